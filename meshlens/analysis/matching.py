"""Envoy's HTTP matching rules as pure functions: strings, headers, query parameters, paths, routes.

Each matcher returns ``(matched, why)`` where ``why`` says what decided it, so a trace can explain
both the route taken and every route skipped before it (Envoy takes the first match, in order).
Semantics follow Envoy's route documentation (``config.route.v3.RouteMatch``, ``HeaderMatcher``,
``type.matcher.v3.StringMatcher``): regexes must match the whole value (RE2 full match); path
matchers see the path without its query string; ``case_sensitive`` applies to ``prefix``, ``path``
and ``path_separated_prefix`` only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from meshlens.models.envoy.core import StringMatcher
from meshlens.models.envoy.route import HeaderMatcher, QueryParameterMatcher, Route, RouteMatch

Result = tuple[bool, str]


@lru_cache(maxsize=4096)
def _regex(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def regex_full_match(pattern: str, value: str) -> bool:
    """RE2-style full match (Python ``re`` covers the RE2 syntax Envoy configs use)."""
    compiled = _regex(pattern)
    return compiled is not None and compiled.fullmatch(value) is not None


def string_match(m: StringMatcher, value: str) -> Result:
    """``type.matcher.v3.StringMatcher`` against ``value``."""
    if m.safe_regex is not None:
        ok = regex_full_match(m.safe_regex.regex, value)
        return ok, f"regex {m.safe_regex.regex!r}"
    subject = value.lower() if m.ignore_case else value
    for kind in ("exact", "prefix", "suffix", "contains"):
        expected = getattr(m, kind)
        if expected is None:
            continue
        want = expected.lower() if m.ignore_case else expected
        if kind == "exact":
            ok = subject == want
        elif kind == "prefix":
            ok = subject.startswith(want)
        elif kind == "suffix":
            ok = subject.endswith(want)
        else:
            ok = want in subject
        return ok, m.describe()
    return True, "any value"


@dataclass(frozen=True)
class Request:
    """An HTTP request as Envoy's router sees it (after the connection manager)."""

    authority: str
    path: str = "/"
    method: str = "GET"
    scheme: str = "http"
    headers: Mapping[str, str] = field(default_factory=dict)  # lowercase names, no pseudo-headers

    @property
    def path_only(self) -> str:
        """The path without query string and fragment (what path matchers see)."""
        cut = len(self.path)
        for sep in ("?", "#"):
            i = self.path.find(sep)
            if i >= 0:
                cut = min(cut, i)
        return self.path[:cut]

    @property
    def query(self) -> list[tuple[str, str]]:
        """Query parameters as Envoy's router sees them: not percent-decoded, ``?c`` present and empty."""
        if "?" not in self.path:
            return []
        query = self.path.split("?", 1)[1].split("#", 1)[0]
        out = []
        for part in query.split("&"):
            if part:
                name, _, value = part.partition("=")
                out.append((name, value))
        return out

    def header(self, name: str) -> str | None:
        """A request header by (case-insensitive) name, pseudo-headers included."""
        key = name.lower()
        if key in (":authority", "host"):
            return self.authority
        if key == ":path":
            return self.path
        if key == ":method":
            return self.method
        if key == ":scheme":
            return self.scheme
        return self.headers.get(key)


def header_match(m: HeaderMatcher, request: Request) -> Result:
    """One ``HeaderMatcher`` (all of a route's header matchers must match)."""
    value = request.header(m.name)
    if value is None and m.treat_missing_header_as_empty:
        value = ""
    if m.present_match is not None:
        ok = (value is not None) == m.present_match
        why = f"header {m.name} {'present' if m.present_match else 'absent'}"
    elif value is None:
        ok, why = False, f"header {m.name} missing"
        # A missing header fails every value matcher; invert_match does not turn that into a match.
        return False, why + (" (invert_match does not apply to a missing header)" if m.invert_match else "")
    elif m.exact_match is not None:
        ok, why = value == m.exact_match, f"header {m.name} == {m.exact_match!r}"
    elif m.safe_regex_match is not None:
        ok, why = regex_full_match(m.safe_regex_match.regex, value), f"header {m.name} ~ {m.safe_regex_match.regex!r}"
    elif m.range_match is not None:
        try:
            number = int(value)
            ok = m.range_match.start <= number < m.range_match.end
        except ValueError:
            ok = False
        why = f"header {m.name} in [{m.range_match.start}, {m.range_match.end})"
    elif m.prefix_match is not None:
        ok, why = value.startswith(m.prefix_match), f"header {m.name} prefix {m.prefix_match!r}"
    elif m.suffix_match is not None:
        ok, why = value.endswith(m.suffix_match), f"header {m.name} suffix {m.suffix_match!r}"
    elif m.contains_match is not None:
        ok, why = m.contains_match in value, f"header {m.name} contains {m.contains_match!r}"
    elif m.string_match is not None:
        ok, desc = string_match(m.string_match, value)
        why = f"header {m.name} {desc}"
    else:
        ok, why = value is not None, f"header {m.name} present"
    if m.invert_match:
        return not ok, f"not ({why})"
    return ok, why


def query_match(m: QueryParameterMatcher, request: Request) -> Result:
    values = [v for k, v in request.query if k == m.name]
    if m.present_match is not None:
        ok = bool(values) == m.present_match
        return ok, f"query {m.name} {'present' if m.present_match else 'absent'}"
    if not values:
        return False, f"query {m.name} missing"
    if m.string_match is not None:
        ok, desc = string_match(m.string_match, values[0])
        return ok, f"query {m.name} {desc}"
    return True, f"query {m.name} present"


def path_match(match: RouteMatch, request: Request) -> Result:
    """The path specifier of a route match."""
    path = request.path_only
    sensitive = match.case_sensitive is not False
    subject = path if sensitive else path.lower()

    def norm(value: str) -> str:
        return value if sensitive else value.lower()

    if match.prefix is not None:
        return subject.startswith(norm(match.prefix)), f"prefix {match.prefix!r}"
    if match.path is not None:
        return subject == norm(match.path), f"path {match.path!r}"
    if match.path_separated_prefix is not None:
        want = norm(match.path_separated_prefix)
        ok = subject == want or subject.startswith(want + "/")
        return ok, f"path_separated_prefix {match.path_separated_prefix!r}"
    if match.safe_regex is not None:
        return regex_full_match(match.safe_regex.regex, path), f"regex {match.safe_regex.regex!r}"
    if match.connect_matcher is not None:
        return request.method.upper() == "CONNECT", "CONNECT request"
    if match.path_match_policy is not None:
        return False, "path_match_policy (uri template) is not evaluated"
    return False, "no path specifier"


@dataclass
class RouteVerdict:
    matched: bool
    why: str
    notes: list[str] = field(default_factory=list)


def route_match(route: Route, request: Request) -> RouteVerdict:
    """Whether ``route`` matches ``request``: path, then headers, query parameters, and the rest."""
    match = route.match
    ok, why = path_match(match, request)
    if not ok:
        return RouteVerdict(False, f"{why} does not match {request.path_only!r}")
    reasons = [why]
    notes: list[str] = []
    for h in match.headers:
        ok, hwhy = header_match(h, request)
        if not ok:
            return RouteVerdict(False, f"{hwhy}: no")
        reasons.append(hwhy)
    for q in match.query_parameters:
        ok, qwhy = query_match(q, request)
        if not ok:
            return RouteVerdict(False, f"{qwhy}: no")
        reasons.append(qwhy)
    if match.grpc is not None:
        content_type = request.header("content-type") or ""
        if not content_type.startswith("application/grpc"):
            return RouteVerdict(False, "gRPC only (content-type application/grpc)")
        reasons.append("gRPC")
    if match.tls_context is not None and match.tls_context.get("presented") is True:
        return RouteVerdict(False, "requires a client certificate (plaintext request)")
    if match.runtime_fraction is not None:
        value = match.runtime_fraction.default_value
        numerator = int(value.get("numerator", 0) or 0)
        denominator = {"HUNDRED": 100, "TEN_THOUSAND": 10_000, "MILLION": 1_000_000}.get(
            str(value.get("denominator", "HUNDRED")), 100)
        percent = 100.0 * numerator / denominator
        key = match.runtime_fraction.runtime_key
        if numerator <= 0:
            return RouteVerdict(False, f"runtime fraction {key or ''} is 0% by default")
        if numerator < denominator:
            notes.append(f"runtime fraction {key or ''}: matches {percent:g}% of requests (default value); "
                         "traced as matching")
        reasons.append(f"runtime fraction {percent:g}%")
    if match.dynamic_metadata:
        notes.append("dynamic_metadata matchers depend on request state and are assumed to match")
    return RouteVerdict(True, ", ".join(reasons), notes)


def split_host_port(authority: str) -> tuple[str, int | None]:
    """``host:port`` / ``[v6]:port`` / ``host`` -> (host, port)."""
    if authority.startswith("["):
        end = authority.find("]")
        host = authority[: end + 1] if end >= 0 else authority
        rest = authority[end + 1:] if end >= 0 else ""
        if rest.startswith(":") and rest[1:].isdigit():
            return host, int(rest[1:])
        return host, None
    if authority.count(":") == 1:
        host, _, port = authority.partition(":")
        if port.isdigit():
            return host, int(port)
    return authority, None
