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
from typing import Any

from meshlens.analysis.trace.matchers import (
    Maybe,
    Result,
    header_verdict,
    query_verdict,
    regex_verdict,
    string_verdict,
)
from meshlens.analysis.trace.request import Request
from meshlens.analysis.trace.uri_template import TemplateError, match_path, match_template
from meshlens.models.envoy.core import StringMatcher
from meshlens.models.envoy.route import Route, RouteMatch

DENOMINATORS = {"HUNDRED": 100, "TEN_THOUSAND": 10_000, "MILLION": 1_000_000}


@dataclass(frozen=True)
class MatchOptions:
    """What route matching needs beyond the request: the stream's random value and the runtime.

    ``check_tool``: router_check_tool's semantics, where a route with a ``runtime_fraction`` matches
    only when the test names its runtime key (``runtime_key``) and ``random_value`` falls under the
    fraction (a 0% default counts as one unit). Otherwise Envoy's: the fraction's default value
    (runtime overrides are not in a config dump), decided by ``random_value`` when one is given.
    """

    random_value: int | None = None
    runtime_key: str | None = None
    check_tool: bool = False


def fraction(value: dict[str, Any]) -> tuple[int, int]:
    """A ``FractionalPercent`` as (numerator, denominator)."""
    numerator = int(value.get("numerator", 0) or 0)
    return numerator, DENOMINATORS.get(str(value.get("denominator", "HUNDRED")), 100)


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
        template = match_template(match.path_match_policy)
        if template is None:
            return None, "path_match_policy is not a URI template (an extension meshlens does not evaluate)"
        try:
            return match_path(template, path) is not None, f"path template {template!r}"
        except TemplateError as exc:
            return None, f"path template {template!r} is not understood: {exc}"
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


def _runtime(match: RouteMatch, options: MatchOptions, notes: list[str]) -> RouteVerdict | None:
    """The runtime fraction's verdict: None when it lets the route match."""
    rf = match.runtime_fraction
    assert rf is not None
    numerator, denominator = fraction(rf.default_value)
    key = rf.runtime_key or ""
    percent = 100.0 * numerator / denominator
    if options.check_tool:
        if not key or key != options.runtime_key:
            return RouteVerdict(False, f"runtime fraction {key}: the test does not enable this runtime key")
        value = options.random_value or 0
        if value % denominator >= max(numerator, 1):
            return RouteVerdict(False, f"runtime fraction {key}: random value {value} is not under "
                                       f"{max(numerator, 1)}/{denominator}")
        return None
    if options.random_value is not None:
        if options.random_value % denominator >= numerator:
            return RouteVerdict(False, f"runtime fraction {key} ({percent:g}% by default): random value "
                                       f"{options.random_value} is not under {numerator}/{denominator}")
        return None
    if numerator <= 0:
        return RouteVerdict(False, f"runtime fraction {key} is 0% by default")
    if numerator < denominator:
        notes.append(f"runtime fraction {key}: matches {percent:g}% of requests (default value; a runtime "
                     "override is not in the capture); traced as matching")
    return None


def _metadata_value(metadata: Any, namespace: str, path: list[Any]) -> tuple[bool, Any]:
    node = metadata.get(namespace) if isinstance(metadata, dict) else None
    if node is None:
        return False, None
    for seg in path:
        key = seg.get("key") if isinstance(seg, dict) else None
        if not isinstance(node, dict) or key not in node:
            return False, None
        node = node[key]
    return True, node


def _value_match(spec: dict[str, Any], found: bool, value: Any) -> bool | None:
    if "present_match" in spec:
        return found == bool(spec["present_match"])
    if not found:
        return False
    if "null_match" in spec:
        return value is None
    if "bool_match" in spec:
        return isinstance(value, bool) and value == bool(spec["bool_match"])
    if "string_match" in spec:
        if not isinstance(value, str):
            return False
        ok, _ = string_verdict(StringMatcher.model_validate(spec["string_match"]), value)
        return ok
    if "double_match" in spec:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return False
        dm = spec["double_match"]
        if "exact" in dm:
            return float(value) == float(dm["exact"])
        rng = dm.get("range") or {}
        return float(rng.get("start", float("-inf"))) <= float(value) < float(rng.get("end", float("inf")))
    return None


def metadata_verdict(matchers: list[dict[str, Any]], metadata: dict[str, Any] | None) -> tuple[bool | None, str]:
    """Route ``dynamic_metadata`` matchers (``MetadataMatcher``) against the stream's dynamic metadata
    (``{namespace: struct}``); None when it is unknown (trace has none) or a matcher is not understood.
    """
    if metadata is None:
        return None, "dynamic_metadata matchers depend on metadata set by filters at run time"
    for m in matchers:
        namespace = str(m.get("filter", ""))
        path = m.get("path") or []
        found, value = _metadata_value(metadata, namespace, path)
        ok = _value_match(m.get("value") or {}, found, value)
        where = namespace + "".join(f".{seg.get('key')}" for seg in path if isinstance(seg, dict))
        if ok is None:
            return None, f"dynamic_metadata matcher on {where} is not understood"
        if bool(m.get("invert")):
            ok = not ok
        if not ok:
            return False, f"dynamic_metadata {where}"
    return True, "dynamic_metadata"


def route_match(route: Route, request: Request, options: MatchOptions | None = None) -> RouteVerdict:  # noqa: C901 - Envoy's match steps in its order, in one place
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
        verdict = _runtime(match, options or MatchOptions(), notes)
        if verdict is not None:
            return verdict
        reasons.append("runtime fraction")
    if match.dynamic_metadata:
        found, mwhy = metadata_verdict(match.dynamic_metadata, request.dynamic_metadata)
        if found is None:
            return _unknown(mwhy)
        if not found:
            return RouteVerdict(False, f"{mwhy}: no")
        reasons.append(mwhy)
    return RouteVerdict(True, ", ".join(reasons), notes)
