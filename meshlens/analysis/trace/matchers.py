"""Envoy's value matchers: ``StringMatcher``, ``HeaderMatcher`` and ``QueryParameterMatcher``.

Each matcher returns ``(matched, why)`` where ``why`` says what decided it. The ``Maybe`` forms
return ``None`` for "meshlens cannot tell" (a regex it cannot evaluate); the public forms report that
as not matching, with a ``why`` that says so.
"""

from __future__ import annotations

from meshlens.analysis.trace.re2 import regex_match, regex_problem
from meshlens.analysis.trace.request import HeaderSource, Request
from meshlens.models.envoy.core import StringMatcher
from meshlens.models.envoy.route import HeaderMatcher, QueryParameterMatcher

Result = tuple[bool, str]
Maybe = tuple[bool | None, str]  # None: meshlens cannot tell (a regex it cannot evaluate)


def regex_verdict(pattern: str, value: str) -> Maybe:
    """RE2 full match of ``value`` (None: the pattern cannot be evaluated), with the reason."""
    ok = regex_match(pattern, value)
    if ok is None:
        return None, f"regex {pattern!r} is not understood: {regex_problem(pattern)}"
    return ok, f"regex {pattern!r}"


def string_verdict(m: StringMatcher, value: str) -> Maybe:
    """``StringMatcher`` against ``value`` (None: a regex meshlens cannot evaluate)."""
    if m.safe_regex is not None:  # ignore_case does not apply to safe_regex
        return regex_verdict(m.safe_regex.regex, value)
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
    ``why`` says it is not understood).
    """
    ok, why = string_verdict(m, value)
    return ok is True, why


def _value_verdict(m: HeaderMatcher, value: str) -> Maybe:  # noqa: C901 - HeaderMatcher's cases, as Envoy lists them
    """One value against the matcher's value specifier (before ``invert_match``)."""
    if m.exact_match is not None:
        return value == m.exact_match, f"header {m.name} == {m.exact_match!r}"
    if m.safe_regex_match is not None:
        ok, why = regex_verdict(m.safe_regex_match.regex, value)
        return ok, f"header {m.name} {why}"
    if m.range_match is not None:
        try:
            number = int(value)
            ok = m.range_match.start <= number < m.range_match.end
        except ValueError:
            ok = False
        return ok, f"header {m.name} in [{m.range_match.start}, {m.range_match.end})"
    if m.prefix_match is not None:
        return value.startswith(m.prefix_match), f"header {m.name} prefix {m.prefix_match!r}"
    if m.suffix_match is not None:
        return value.endswith(m.suffix_match), f"header {m.name} suffix {m.suffix_match!r}"
    if m.contains_match is not None:
        return m.contains_match in value, f"header {m.name} contains {m.contains_match!r}"
    if m.string_match is not None:
        ok, desc = string_verdict(m.string_match, value)
        return ok, f"header {m.name} {desc}"
    return True, f"header {m.name} present"


def header_values(request: HeaderSource, name: str) -> list[str]:
    """Every value of a header (a repeated header has several), in order."""
    many = getattr(request, "header_values", None)
    if many is not None:
        return list(many(name))
    value = request.header(name)
    return [] if value is None else [value]


def header_verdict(m: HeaderMatcher, request: HeaderSource) -> Maybe:
    """One ``HeaderMatcher`` against the request (None: a regex meshlens cannot evaluate).

    A repeated header matches when any of its values does (checked against Envoy 1.40 in the lab).
    """
    values = header_values(request, m.name)
    if not values and m.treat_missing_header_as_empty:
        values = [""]
    ok: bool | None
    if m.present_match is not None:
        ok = bool(values) == m.present_match
        why = f"header {m.name} {'present' if m.present_match else 'absent'}"
    elif not values:
        # A missing header fails every value matcher; invert_match does not turn that into a match.
        why = f"header {m.name} missing"
        return False, why + (" (invert_match does not apply to a missing header)" if m.invert_match else "")
    else:
        verdicts = [_value_verdict(m, v) for v in values]
        ok = True if any(v[0] is True for v in verdicts) else None if any(v[0] is None for v in verdicts) else False
        why = next((w for o, w in verdicts if o is ok), verdicts[0][1])
        if len(values) > 1:
            why += f" (any of its {len(values)} values)"
    if m.invert_match and ok is not None:
        return not ok, f"not ({why})"
    return ok, why


def header_match(m: HeaderMatcher, request: HeaderSource) -> Result:
    """One ``HeaderMatcher`` (all of a route's header matchers must match)."""
    ok, why = header_verdict(m, request)
    return ok is True, why


def query_verdict(m: QueryParameterMatcher, request: Request) -> Maybe:
    """One ``QueryParameterMatcher`` (the first value of the parameter; None: cannot tell)."""
    values = [v for k, v in request.query if k == m.name]
    if m.present_match is not None:
        ok = bool(values) == m.present_match
        return ok, f"query {m.name} {'present' if m.present_match else 'absent'}"
    if not values:
        return False, f"query {m.name} missing"
    if m.string_match is not None:
        found, desc = string_verdict(m.string_match, values[0])
        return found, f"query {m.name} {desc}"
    return True, f"query {m.name} present"


def query_match(m: QueryParameterMatcher, request: Request) -> Result:
    """One ``QueryParameterMatcher`` (all of a route's query matchers must match)."""
    ok, why = query_verdict(m, request)
    return ok is True, why
