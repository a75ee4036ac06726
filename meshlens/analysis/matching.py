"""Envoy's HTTP matching rules as pure functions: strings, headers, query parameters, paths, routes.

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

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from meshlens.models.envoy.core import StringMatcher
from meshlens.models.envoy.route import HeaderMatcher, QueryParameterMatcher, Route, RouteMatch

Result = tuple[bool, str]
Maybe = tuple[bool | None, str]  # None: meshlens cannot tell (a regex it cannot evaluate)


# --- RE2 -------------------------------------------------------------------------------------------
# Envoy's safe_regex is RE2. The google-re2 bindings evaluate patterns exactly as Envoy does (on the
# UTF-8 bytes of the value); without them, RE2 syntax is translated to Python ``re`` where Python can
# express it (POSIX classes, \pL / \p{Greek}, \z, (?<name>, \Q..\E, \x{...}) and refused otherwise.
try:
    import re2 as _re2
except ImportError:  # pragma: no cover - google-re2 is a dependency; the translation is the fallback
    _re2 = None
if not hasattr(_re2, "Options"):  # another package's ``re2`` module, not google-re2
    _re2 = None

FullMatch = Callable[[str], bool]


class RegexNotUnderstood(ValueError):
    """An RE2 pattern meshlens cannot evaluate."""


@lru_cache(maxsize=4096)
def _compiled(pattern: str, use_re2: bool = True) -> FullMatch | str:
    """A full-match function for RE2 ``pattern``, or the reason it cannot be evaluated."""
    if use_re2 and _re2 is not None:
        options = _re2.Options()
        options.log_errors = False
        try:
            rx = _re2.compile(pattern.encode("utf-8", "surrogateescape"), options)
        except _re2.error as exc:
            detail = exc.args[0] if exc.args else exc
            return detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)
        return lambda value: rx.fullmatch(value.encode("utf-8", "surrogateescape")) is not None
    try:
        py = re.compile(translate_re2(pattern), re.ASCII)
    except (re.error, ValueError, OverflowError) as exc:
        return str(exc)
    return lambda value: py.fullmatch(value) is not None


def regex_problem(pattern: str) -> str | None:
    """Why meshlens cannot evaluate RE2 ``pattern`` (None when it can)."""
    compiled = _compiled(pattern)
    return compiled if isinstance(compiled, str) else None


def regex_match(pattern: str, value: str) -> bool | None:
    """RE2 full match of ``value``; None when the pattern cannot be evaluated."""
    compiled = _compiled(pattern)
    return None if isinstance(compiled, str) else compiled(value)


def regex_full_match(pattern: str, value: str) -> bool:
    """RE2 full match (False when the pattern cannot be evaluated: see ``regex_problem``)."""
    return regex_match(pattern, value) is True


Ranges = tuple[tuple[int, int], ...]


def _runs(code_points: Iterable[int]) -> Ranges:
    """Ascending code points -> ranges of consecutive ones."""
    out: list[tuple[int, int]] = []
    for cp in code_points:
        if out and out[-1][1] == cp - 1:
            out[-1] = (out[-1][0], cp)
        else:
            out.append((cp, cp))
    return tuple(out)


_POSIX = {name: _runs(cp for cp in range(128) if re.fullmatch(f"[{spec}]", chr(cp))) for name, spec in {
    "alnum": "0-9A-Za-z", "alpha": "A-Za-z", "ascii": r"\x00-\x7f", "blank": r"\t ", "cntrl": r"\x00-\x1f\x7f",
    "digit": "0-9", "graph": "!-~", "lower": "a-z", "print": " -~", "punct": r"!-/:-@\[-`{-~",
    "space": r"\t\n\x0b\f\r ", "upper": "A-Z", "word": "0-9A-Za-z_", "xdigit": "0-9A-Fa-f"}.items()}
_SCRIPT_NAMES = {"Han": ("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH")}


@lru_cache(maxsize=64)
def _unicode_ranges(name: str) -> Ranges:
    r"""The code points of RE2's ``\p{name}``: a general category from ``unicodedata``, or a script
    approximated by character names (GREEK ..., CYRILLIC ...)."""
    if name == "Any":
        return ((0, 0x10FFFF),)
    if len(name) <= 2 and name[:1] in "CLMNPSZ" and name[1:] in ("", *"cdefiklmnopstu"):
        def test(ch: str) -> bool:
            return unicodedata.category(ch).startswith(name)
    else:
        prefixes = _SCRIPT_NAMES.get(name, (name.upper().replace("_", " ") + " ",))

        def test(ch: str) -> bool:
            return unicodedata.name(ch, "").startswith(prefixes)
    ranges = _runs(cp for cp in range(0x110000) if test(chr(cp)))
    if not ranges:
        raise RegexNotUnderstood(f"unknown Unicode class {name!r}")
    return ranges


def _class_body(ranges: Ranges, negate: bool = False) -> str:
    """Ranges (or their complement) as the inside of a Python character class."""
    if negate:
        out, start = [], 0
        for lo, hi in ranges:
            if lo > start:
                out.append((start, lo - 1))
            start = max(start, hi + 1)
        if start <= 0x10FFFF:
            out.append((start, 0x10FFFF))
        ranges = tuple(out)
    if not ranges:
        raise RegexNotUnderstood("an empty character class")
    return "".join(f"\\U{a:08x}" if a == b else f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges)


def _escape(pattern: str, i: int, in_class: bool) -> tuple[str, int]:
    """Translate the escape at ``pattern[i]`` (a backslash); returns (Python text, index after it)."""
    e = pattern[i + 1: i + 2]
    if not e:
        raise RegexNotUnderstood("trailing backslash")
    if e in "pP":
        if pattern[i + 2: i + 3] == "{":
            close = pattern.find("}", i + 3)
            if close < 0:
                raise RegexNotUnderstood("missing } in \\p{...}")
            name, after = pattern[i + 3: close], close + 1
        else:
            name, after = pattern[i + 2: i + 3], i + 3
        body = _class_body(_unicode_ranges(name.lstrip("^")), negate=(e == "P") != name.startswith("^"))
        return (body if in_class else f"[{body}]"), after
    if e == "x" and pattern[i + 2: i + 3] == "{":
        close = pattern.find("}", i + 3)
        return f"\\U{int(pattern[i + 3: close], 16):08x}", close + 1
    if e == "z" and not in_class:
        return r"\Z", i + 2
    if e == "Z" or (e.isdigit() and e != "0") or e == "C":
        raise RegexNotUnderstood(f"\\{e} is not supported")
    return pattern[i: i + 2], i + 2


def _group(pattern: str, i: int) -> tuple[str, int]:
    """Translate a ``(?`` construct at ``pattern[i]``."""
    rest = pattern[i + 2:]
    if rest.startswith("P<"):
        return "(?P<", i + 4
    if rest.startswith("<") and not rest.startswith(("<=", "<!")):
        return "(?P<", i + 3
    flags = re.match(r"[imsU]*(?:-[imsU]*)?[:)]", rest)
    if flags is None:
        raise RegexNotUnderstood(f"(?{rest[:2]} is not RE2 syntax")
    if "U" in flags.group():
        raise RegexNotUnderstood("the U (ungreedy) flag has no Python equivalent")
    return "(?" + flags.group(), i + 2 + flags.end()


def translate_re2(pattern: str) -> str:
    r"""RE2 ``pattern`` in Python ``re`` syntax (compile with ``re.ASCII``: RE2's \d \w \s \b are ASCII).

    Raises ``RegexNotUnderstood`` for RE2 constructs Python cannot express and for Python-only syntax
    RE2 rejects (lookaround, backreferences, possessive and atomic forms)."""
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = class_start = False
    while i < n:
        c = pattern[i]
        if c == "\\" and pattern.startswith("\\Q", i) and not in_class:
            close = pattern.find("\\E", i + 2)
            literal = pattern[i + 2: close if close >= 0 else n]
            out.append(re.escape(literal))
            i = n if close < 0 else close + 2
        elif c == "\\":
            text, i = _escape(pattern, i, in_class)
            out.append(text)
            class_start = False
        elif in_class:
            if pattern.startswith("[:", i) and (close := pattern.find(":]", i + 2)) >= 0:
                name = pattern[i + 2: close]
                if name.lstrip("^") not in _POSIX:
                    raise RegexNotUnderstood(f"unknown POSIX class [:{name}:]")
                out.append(_class_body(_POSIX[name.lstrip("^")], negate=name.startswith("^")))
                i = close + 2
            else:
                in_class = not (c == "]" and not class_start)
                out.append("\\[" if c == "[" else c)
                i += 1
            class_start = False
        elif c == "[":
            in_class = class_start = True
            caret = pattern.startswith("[^", i)
            out.append("[^" if caret else "[")
            i += 2 if caret else 1
        elif pattern.startswith("(?", i):
            text, i = _group(pattern, i)
            out.append(text)
        elif c in "*+?" and pattern[i + 1: i + 2] == "+":
            raise RegexNotUnderstood(f"{c}+ (possessive) is not RE2 syntax")
        elif c == "{" and re.match(r"\{,\d*\}", pattern[i:]):
            out.append("\\{")  # RE2 reads {,n} literally
            i += 1
        else:
            out.append(c)
            i += 1
    if in_class:
        raise RegexNotUnderstood("missing ]")
    return "".join(out)


def _regex_result(pattern: str, value: str) -> Maybe:
    ok = regex_match(pattern, value)
    if ok is None:
        return None, f"regex {pattern!r} is not understood: {regex_problem(pattern)}"
    return ok, f"regex {pattern!r}"


def _string_match(m: StringMatcher, value: str) -> Maybe:
    if m.safe_regex is not None:  # ignore_case does not apply to safe_regex
        return _regex_result(m.safe_regex.regex, value)
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


def string_match(m: StringMatcher, value: str) -> Result:
    """``type.matcher.v3.StringMatcher`` against ``value`` (a regex meshlens cannot evaluate: False, and
    ``why`` says it is not understood)."""
    ok, why = _string_match(m, value)
    return ok is True, why


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


def _header_match(m: HeaderMatcher, request: Request) -> Maybe:
    value = request.header(m.name)
    if value is None and m.treat_missing_header_as_empty:
        value = ""
    ok: bool | None
    if m.present_match is not None:
        ok = (value is not None) == m.present_match
        why = f"header {m.name} {'present' if m.present_match else 'absent'}"
    elif value is None:
        # A missing header fails every value matcher; invert_match does not turn that into a match.
        why = f"header {m.name} missing"
        return False, why + (" (invert_match does not apply to a missing header)" if m.invert_match else "")
    elif m.exact_match is not None:
        ok, why = value == m.exact_match, f"header {m.name} == {m.exact_match!r}"
    elif m.safe_regex_match is not None:
        ok, why = _regex_result(m.safe_regex_match.regex, value)
        why = f"header {m.name} {why}"
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
        ok, desc = _string_match(m.string_match, value)
        why = f"header {m.name} {desc}"
    else:
        ok, why = True, f"header {m.name} present"
    if m.invert_match and ok is not None:
        return not ok, f"not ({why})"
    return ok, why


def header_match(m: HeaderMatcher, request: Request) -> Result:
    """One ``HeaderMatcher`` (all of a route's header matchers must match)."""
    ok, why = _header_match(m, request)
    return ok is True, why


def _query_match(m: QueryParameterMatcher, request: Request) -> Maybe:
    values = [v for k, v in request.query if k == m.name]
    if m.present_match is not None:
        ok = bool(values) == m.present_match
        return ok, f"query {m.name} {'present' if m.present_match else 'absent'}"
    if not values:
        return False, f"query {m.name} missing"
    if m.string_match is not None:
        found, desc = _string_match(m.string_match, values[0])
        return found, f"query {m.name} {desc}"
    return True, f"query {m.name} present"


def query_match(m: QueryParameterMatcher, request: Request) -> Result:
    ok, why = _query_match(m, request)
    return ok is True, why


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
        return _regex_result(match.safe_regex.regex, path)
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
    (so not ``application/grpc-web+proto``)."""
    value = content_type or ""
    return value == "application/grpc" or value.startswith("application/grpc+")


@dataclass
class RouteVerdict:
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


def route_match(route: Route, request: Request) -> RouteVerdict:
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
        found, hwhy = _header_match(h, request)
        if found is None:
            return _unknown(hwhy)
        if not found:
            return RouteVerdict(False, f"{hwhy}: no")
        reasons.append(hwhy)
    for q in match.query_parameters:
        found, qwhy = _query_match(q, request)
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
