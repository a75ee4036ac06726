"""Envoy's route matching: the path specifier, then headers, query parameters and the other conditions.

Each matcher returns ``(matched, why)`` where ``why`` says what decided it, so a trace can explain
both the route taken and every route skipped before it (Envoy takes the first match, in order).
Semantics follow Envoy's route documentation (``config.route.v3.RouteMatch``, ``HeaderMatcher``,
``type.matcher.v3.StringMatcher``): regexes are RE2 and must match the whole value; path matchers
see the path without its query string; ``case_sensitive`` applies to ``prefix``, ``path`` and
``path_separated_prefix`` only. A regex meshlens cannot evaluate makes a matcher undetermined: the
public functions report it as not matching with a ``why`` that says so, and ``route_match`` marks the
verdict ``undetermined`` with a note instead of claiming the route does not match.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from meshlens.analysis.trace.matchers import Maybe, Result, header_verdict, query_verdict, regex_verdict
from meshlens.analysis.trace.request import Request
from meshlens.models.envoy.route import Route, RouteMatch


def _path_match(match: RouteMatch, request: Request) -> Maybe:
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
    if match.safe_regex is not None:  # case_sensitive does not apply to safe_regex
        return regex_verdict(match.safe_regex.regex, path)
    if match.connect_matcher is not None:
        return request.method.upper() == "CONNECT", "CONNECT request"
    if match.path_match_policy is not None:
        return False, "path_match_policy (uri template) is not evaluated"
    return False, "no path specifier"


def path_match(match: RouteMatch, request: Request) -> Result:
    """The path specifier of a route match."""
    ok, why = _path_match(match, request)
    return ok is True, why


def is_grpc(content_type: str | None) -> bool:
    """Envoy's gRPC test: content-type exactly ``application/grpc`` or starting ``application/grpc+``
    (so not ``application/grpc-web+proto``).
    """
    value = content_type or ""
    return value == "application/grpc" or value.startswith("application/grpc+")


@dataclass
class RouteVerdict:
    """Whether a route's match accepts the request, why, and whether meshlens could evaluate it."""

    matched: bool
    why: str
    notes: list[str] = field(default_factory=list)
    undetermined: bool = False  # a matcher meshlens cannot evaluate decided it: traced as not matching


def _unknown(why: str) -> RouteVerdict:
    note = f"{why}: meshlens cannot tell whether the route matches and traces it as not matching"
    return RouteVerdict(False, f"{why}; whether it matches is unknown (traced as not matching)", [note], True)


def _tls_flag(tls: dict[str, object], key: str) -> bool | None:
    value = tls.get(key)
    if isinstance(value, dict):  # a BoolValue written as {"value": ...}
        value = value.get("value", False)
    return None if value is None else bool(value)


def route_match(route: Route, request: Request) -> RouteVerdict:  # noqa: C901 - Envoy's match steps in its order, in one place
    """Whether ``route`` matches ``request``: path, then headers, query parameters, and the rest."""
    match = route.match
    ok, why = _path_match(match, request)
    if ok is None:
        return _unknown(why)
    if not ok:
        return RouteVerdict(False, f"{why} does not match {request.path_only!r}")
    reasons = [why]
    notes: list[str] = []
    for h in match.headers:
        found, hwhy = header_verdict(h, request)
        if found is None:
            return _unknown(hwhy)
        if not found:
            return RouteVerdict(False, f"{hwhy}: no")
        reasons.append(hwhy)
    for q in match.query_parameters:
        found, qwhy = query_verdict(q, request)
        if found is None:
            return _unknown(qwhy)
        if not found:
            return RouteVerdict(False, f"{qwhy}: no")
        reasons.append(qwhy)
    if match.grpc is not None:
        content_type = request.header("content-type")
        if not is_grpc(content_type):
            got = f"content-type {content_type!r}" if content_type is not None else "no content-type"
            return RouteVerdict(False, f"gRPC only (content-type application/grpc or application/grpc+...): {got}")
        reasons.append("gRPC")
    if match.tls_context is not None:
        # trace's requests are plaintext: no client certificate is presented, none is validated
        for key, what in (("presented", "a client certificate"), ("validated", "a validated client certificate")):
            if _tls_flag(match.tls_context, key):
                return RouteVerdict(False, f"tls_context requires {what} (plaintext request)")
        if any(_tls_flag(match.tls_context, k) is False for k in ("presented", "validated")):
            reasons.append("tls_context: no client certificate")
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
