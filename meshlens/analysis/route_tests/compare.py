"""One comparator for every route test: a test's ``validate`` against what the router did.

:class:`Observed` is what the router produced for the request (built from the router stage for
``router-check``, from a whole-proxy trace for ``test-routes``). :func:`compare` checks every field the
test sets, with router_check_tool's conventions: ``""`` expects no value (no cluster, no redirect,
...); the values of a field the route cannot have (a redirect's cluster) are ``""`` / ``0``. A field
meshlens cannot compute offline, or a route selection it could not decide, makes that expectation an
*error*: the test fails with the reason, it never passes unchecked. Failure lines are
router_check_tool's: ``expected: [X], actual: [Y], test type: FIELD``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from meshlens.analysis.route_tests.schema import Validate
from meshlens.analysis.trace.headers import HeaderMap
from meshlens.analysis.trace.matchers import header_verdict
from meshlens.analysis.trace.router import HeaderView, format_duration
from meshlens.models.envoy.route import HeaderMatcher


@dataclass
class Observed:
    """What the router did with one request (see the module docstring)."""

    route_entry: bool = False  # a forwarding route (router_check_tool's routeEntry())
    direct_entry: bool = False  # a redirect or direct response (directResponseEntry())
    cluster_name: str = ""
    virtual_cluster_name: str = ""
    virtual_host_name: str = ""
    path_rewrite: str = ""
    host_rewrite: str = ""
    path_redirect: str = ""
    code_redirect: int = 0
    request: HeaderMap = field(default_factory=HeaderMap)
    response: HeaderMap = field(default_factory=HeaderMap)
    timeout: str = ""  # protojson text of the route timeout ("" without a route entry)
    route_metadata: dict[str, Any] = field(default_factory=dict)  # filter_metadata
    unknown: dict[str, str] = field(default_factory=dict)  # field -> why meshlens cannot compute it
    undetermined: str | None = None  # why the route itself could not be decided


@dataclass
class Verdict:
    """The outcome of one test: failure lines, errors (not evaluable) and the fields that matched."""

    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    covered: set[str] = field(default_factory=set)

    @property
    def passed(self) -> bool:
        """No failure and no error."""
        return not self.failures and not self.errors


def failure_line(expected: Any, actual: Any, test_type: str, expect_match: bool = True) -> str:
    """router_check_tool's failure line."""
    return f"expected: [{expected}], actual: {'' if expect_match else 'NOT '}[{actual}], test type: {test_type}"


def error_line(test_type: str, why: str) -> str:
    """An expectation meshlens cannot evaluate."""
    return f"error: {test_type} cannot be evaluated offline: {why}"


def _matcher_kind(m: HeaderMatcher) -> str:
    for kind in ("exact_match", "safe_regex_match", "range_match", "present_match", "prefix_match",
                 "suffix_match", "contains_match"):
        if getattr(m, kind) is not None:
            return kind
    if m.string_match is not None:
        sm = m.string_match
        for kind in ("exact", "prefix", "suffix", "safe_regex", "contains"):
            if getattr(sm, kind) is not None:
                return f"string_match.{kind}"
        return "string_match.match_pattern_not_set"
    return "present_match"


def _header_matches(headers: HeaderMap, matchers: tuple[HeaderMatcher, ...], where: str, v: Verdict) -> None:
    view = HeaderView(headers)
    for m in matchers:
        test_type = f"{where}.{_matcher_kind(m)}"
        name = m.name.lower()
        if headers.unknown(":authority" if name == "host" else name):
            v.errors.append(error_line(test_type, f"header {m.name} holds a formatter meshlens cannot resolve"))
            continue
        ok, why = header_verdict(m, view)
        if ok is None:
            v.errors.append(error_line(test_type, why))
            continue
        if ok:
            continue
        values = view.header_values(m.name)
        shown = values[0] if values else "NULL"  # the tool prints a header's first value
        kind = _matcher_kind(m)
        if kind == "present_match":
            invert = m.invert_match
            v.failures.append(failure_line(f"has({m.name}):{'false' if invert else 'true'}",
                                           f"has({m.name}):{'true' if invert else 'false'}", test_type))
        elif kind == "string_match.exact" and m.string_match is not None:
            v.failures.append(failure_line(f"{m.name}: {m.string_match.exact}", f"{m.name}: {shown}", test_type,
                                           expect_match=not m.invert_match))
        else:
            v.failures.append(f"actual: [{m.name}: {shown}], test type: {test_type}")


def _header_fields(headers: HeaderMap, expected: tuple[tuple[str, str], ...], where: str, v: Verdict) -> None:
    for name, want in expected:
        if headers.unknown(name):
            v.errors.append(error_line(where, f"header {name} holds a formatter meshlens cannot resolve"))
            continue
        values = headers.values(":authority" if name == "host" else name)
        actual = values[0] if values else ""
        if actual != want:
            v.failures.append(failure_line(want, actual, where))


def _metadata_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _strings(validate: Validate, obs: Observed, v: Verdict) -> None:
    for name, want in validate.strings.items():
        if name in obs.unknown:
            v.errors.append(error_line(name, obs.unknown[name]))
            continue
        actual = getattr(obs, name)
        if actual != want:
            v.failures.append(failure_line(want, actual, name))
        elif obs.route_entry or (obs.direct_entry and name == "path_redirect"):
            v.covered.add(name)


def _code_and_timeout(validate: Validate, obs: Observed, v: Verdict) -> None:
    if validate.code_redirect is not None:
        if obs.code_redirect != validate.code_redirect:
            v.failures.append(failure_line(validate.code_redirect, obs.code_redirect, "code_redirect"))
        elif obs.direct_entry:
            v.covered.add("code_redirect")
    if validate.timeout is not None:
        if "timeout" in obs.unknown:
            v.errors.append(error_line("timeout", obs.unknown["timeout"]))
        elif obs.timeout != validate.timeout_text:
            v.failures.append(failure_line(validate.timeout_text, obs.timeout, "timeout"))
        elif obs.route_entry:
            v.covered.add("timeout")


def _metadata(validate: Validate, obs: Observed, v: Verdict) -> None:
    for exp in validate.route_metadata:
        namespace = obs.route_metadata.get(exp.namespace)
        actual = _metadata_text(namespace[exp.key]) if isinstance(namespace, dict) and exp.key in namespace else ""
        if actual != _metadata_text(exp.value):
            v.failures.append(failure_line(f"{exp.namespace}.{exp.key}: {_metadata_text(exp.value)}",
                                           f"{exp.namespace}.{exp.key}: {actual}", "route_metadata"))


def compare(validate: Validate, obs: Observed) -> Verdict:
    """Check every field ``validate`` sets against ``obs``."""
    v = Verdict()
    if obs.undetermined is not None:
        v.errors.append(error_line("route", obs.undetermined))
        return v
    _strings(validate, obs, v)
    _code_and_timeout(validate, obs, v)
    _metadata(validate, obs, v)
    _header_matches(obs.request, validate.request_header_matches, "request_header_matches", v)
    _header_matches(obs.response, validate.response_header_matches, "response_header_matches", v)
    _header_fields(obs.request, validate.request_header_fields, "request_header_fields", v)
    _header_fields(obs.response, validate.response_header_fields, "response_header_fields", v)
    return v


__all__ = ["Observed", "Verdict", "compare", "error_line", "failure_line", "format_duration"]
