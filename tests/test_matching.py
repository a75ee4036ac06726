"""Envoy's matching rules in meshlens.analysis.trace.chains (filter_chain_matcher trees) and
meshlens.analysis.trace.re2, .matchers and .routes (RE2 regexes, gRPC and tls_context route matchers).

The same behaviours are pinned against a real Envoy by the lab configurations ``matcher_tree_fallback``
and ``route_re2_grpc_tls`` (tests/test_trace_vs_envoy.py); these tests keep them checked without Envoy.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

import meshlens
from meshlens.analysis.trace import re2 as matching
from meshlens.analysis.trace.chains import Connection, select_chain
from meshlens.analysis.trace.matchers import string_match
from meshlens.analysis.trace.re2 import translate_re2
from meshlens.analysis.trace.request import Request
from meshlens.analysis.trace.routes import RouteVerdict, is_grpc, route_match
from meshlens.models.envoy.core import StringMatcher
from meshlens.models.envoy.listener import Listener
from meshlens.models.envoy.route import Route
from tests.conftest import fixture_path

# --- filter_chain_matcher --------------------------------------------------------------------------
SV = "type.googleapis.com/google.protobuf.StringValue"
NET = "type.googleapis.com/envoy.extensions.matching.common_inputs.network.v3."
IP_MATCHER = "type.googleapis.com/xds.type.matcher.v3.IPMatcher"


def act(name: str, **extra: Any) -> dict[str, Any]:
    return {"action": {"name": name, "typed_config": {"@type": SV, "value": name}}, **extra}


def inp(kind: str) -> dict[str, Any]:
    return {"name": kind, "typed_config": {"@type": NET + kind}}


def exact(kind: str, entries: dict[str, Any], on_no_match: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"matcher_tree": {"input": inp(kind), "exact_match_map": {"map": entries}}}
    if on_no_match is not None:
        out["on_no_match"] = on_no_match
    return out


def ip_matcher(ranges: list[tuple[str, int, dict[str, Any], bool]],
               on_no_match: dict[str, Any] | None = None) -> dict[str, Any]:
    rms = [{"ranges": [{"address_prefix": a, "prefix_len": n}], "on_match": om, "exclusive": ex}
           for a, n, om, ex in ranges]
    out: dict[str, Any] = {"matcher_tree": {"input": inp("DestinationIPInput"), "custom_match": {
        "name": "ip", "typed_config": {"@type": IP_MATCHER, "range_matchers": rms}}}}
    if on_no_match is not None:
        out["on_no_match"] = on_no_match
    return out


NEVER = {"matcher": exact("SourcePortInput", {"1": act("a")})}  # the connections below come from port 5000
CHAINS = ("a", "b", "c", "fallback")


def listener(matcher: dict[str, Any], default: bool = False) -> Listener:
    raw: dict[str, Any] = {"name": "m", "filter_chains": [{"name": n, "filters": []} for n in CHAINS],
                           "filter_chain_matcher": matcher}
    if default:
        raw["default_filter_chain"] = {"name": "dflt", "filters": []}
    return Listener.model_validate(raw)


def pick(matcher: dict[str, Any], dst: str = "10.1.1.1:8000", alpn: tuple[str, ...] = (),
         default: bool = False) -> str | None:
    ip, _, port = dst.rpartition(":")
    conn = Connection(dst_ip=ip, dst_port=int(port), src_ip="10.9.9.9", src_port=5000, application_protocols=alpn)
    choice = select_chain(listener(matcher, default), conn)
    return choice.chain.name if choice.chain is not None else None


def test_nested_map_that_fails_falls_to_the_parents_on_no_match() -> None:
    # the reviewer's case: port 8000 -> IP map without 10.1.1.1 -> the top level's on_no_match
    m = exact("DestinationPortInput", {"8000": {"matcher": exact("DestinationIPInput", {"10.2.2.2": act("a")})}},
              on_no_match=act("fallback"))
    assert pick(m) == "fallback"
    assert pick(m, "10.2.2.2:8000") == "a"
    assert pick(m, "10.2.2.2:9000") == "fallback"


def test_the_most_specific_on_no_match_wins() -> None:
    inner = exact("DestinationIPInput", {"10.2.2.2": act("a")}, on_no_match=act("b"))
    m = exact("DestinationPortInput", {"8000": {"matcher": inner}}, on_no_match=act("fallback"))
    assert pick(m) == "b"
    # an on_no_match that itself finds nothing: the parent's on_no_match
    inner = exact("DestinationIPInput", {"10.2.2.2": act("a")}, on_no_match=NEVER)
    m = exact("DestinationPortInput", {"8000": {"matcher": inner}}, on_no_match=act("fallback"))
    assert pick(m) == "fallback"


def test_ip_matcher_tries_the_next_shorter_range() -> None:
    m = ip_matcher([("10.1.1.0", 24, NEVER, False), ("10.0.0.0", 8, act("b"), False)])
    assert pick(m) == "b"
    # declaration order does not matter: longest prefix first
    m = ip_matcher([("10.0.0.0", 8, act("b"), False), ("10.1.1.0", 24, NEVER, False), ("10.1.0.0", 16, act("c"),
                                                                                          False)])
    assert pick(m) == "c"
    # then its own on_no_match, before the parent's
    m = exact("DestinationPortInput", {"8000": {"matcher": ip_matcher([("10.1.1.0", 24, NEVER, False)],
                                                                      on_no_match=act("c"))}},
              on_no_match=act("fallback"))
    assert pick(m) == "c"
    assert pick(m, "10.7.7.7:8000") == "c"


def test_ip_matcher_exclusive_ranges_only_when_most_specific() -> None:
    m = ip_matcher([("10.1.1.0", 24, NEVER, False), ("10.1.0.0", 16, act("c"), True), ("10.0.0.0", 8, act("b"),
                                                                                         False)])
    assert pick(m) == "b"  # the /24 fails; the exclusive /16 is not the most specific range: skipped
    assert pick(m, "10.1.2.2:8000") == "c"  # here the /16 is the most specific
    assert pick(m, "10.200.0.1:8000") == "b"


def test_prefix_map_tries_shorter_prefixes() -> None:
    m = {"matcher_tree": {"input": inp("DestinationIPInput"), "prefix_match_map": {"map": {
        "10.1.1.1": NEVER, "10.1.": act("b"), "10.": act("c")}}}, "on_no_match": act("fallback")}
    assert pick(m) == "b"
    assert pick(m, "10.1.1.12:8000") == "b"
    assert pick(m, "10.2.0.1:8000") == "c"
    assert pick(m, "11.0.0.1:8000") == "fallback"


def test_matcher_list_goes_on_after_a_failed_entry() -> None:
    def entry(predicate: dict[str, Any], on_match: dict[str, Any]) -> dict[str, Any]:
        return {"predicate": predicate, "on_match": on_match}

    def single(kind: str, **value_match: Any) -> dict[str, Any]:
        return {"single_predicate": {"input": inp(kind), "value_match": value_match}}

    m = {"matcher_list": {"matchers": [
        entry(single("DestinationIPInput", exact="10.1.1.1"), NEVER),
        entry({"and_matcher": {"predicate": [single("DestinationPortInput", exact="8000"),
                                             {"not_matcher": single("SourceIPInput", prefix="10.9.")}]}}, act("a")),
        entry({"or_matcher": {"predicate": [single("DestinationPortInput", exact="1"),
                                            single("DestinationIPInput", safe_regex={"regex": "10[.][0-9.]+"})]}},
              act("b")),
    ]}, "on_no_match": act("fallback")}
    assert pick(m) == "b"
    assert pick(m, "192.168.0.1:8000") == "fallback"


def test_keep_matching_skips_an_action() -> None:
    m = exact("DestinationIPInput", {"10.1.1.1": act("a", keep_matching=True)}, on_no_match=act("b"))
    assert pick(m) == "b"


def test_no_action_anywhere_leaves_the_default_chain_or_none() -> None:
    m = exact("DestinationPortInput", {"8000": {"matcher": exact("DestinationIPInput", {"10.2.2.2": act("a")})}})
    assert pick(m) is None
    assert pick(m, default=True) == "dflt"
    conn = Connection(dst_ip="10.1.1.1", dst_port=8000)
    assert "matched nothing" in select_chain(listener(m), conn).matched_by


def test_empty_inputs_take_on_no_match() -> None:
    # no ALPN: Envoy's ApplicationProtocolInput has no value, so the map's on_no_match applies
    m = exact("ApplicationProtocolInput", {"'h2c'": act("a"), "'http/1.1'": act("a")}, on_no_match=act("b"))
    assert pick(m) == "b"
    assert pick(m, alpn=("h2c",)) == "a"
    assert pick(m, alpn=("h2",)) == "b"
    m = exact("ServerNameInput", {"": act("a")}, on_no_match=act("b"))
    assert pick(m) == "b"


def _waypoint_listener(fixture: str) -> Listener:
    proxy = meshlens.load(fixture_path("istio", fixture)).proxy()
    found = next(r.listener for r in proxy.listeners if r.name == "main_internal")
    assert found is not None and found.filter_chain_matcher
    return found


def test_waypoint_full_matcher_tree() -> None:
    lst = _waypoint_listener("envoy-configdump__waypoint-full__istio1.21.json")

    def name(dst_ip: str, port: int, alpn: tuple[str, ...] = ()) -> str | None:
        choice = select_chain(lst, Connection(dst_ip=dst_ip, dst_port=port, application_protocols=alpn))
        return choice.chain.name if choice.chain is not None else None

    assert name("10.104.171.68", 8000) == "inbound-vip|8000||httpbin.default.svc.cluster.local-http"
    assert name("10.104.171.68", 8100) == "inbound-vip|8100||httpbin.default.svc.cluster.local-http"
    assert name("10.104.171.68", 9999) is None  # the port map fails and nothing above has on_no_match
    assert name("192.168.195.248", 8000, ("h2c",)) == "direct-http"
    assert name("192.168.195.248", 8000, ("http/1.1",)) == "direct-http"
    assert name("192.168.195.248", 8000, ("h2",)) == "direct-tcp"
    assert name("192.168.195.248", 8000) == "direct-tcp"
    assert name("10.0.0.1", 8000) is None


def test_waypoint_cds_lds_rds_matcher_tree() -> None:
    lst = _waypoint_listener("envoy-configdump__waypoint-cds-lds-rds__2024-03.json")
    choice = select_chain(lst, Connection(dst_ip="10.96.1.201", dst_port=9080))
    assert choice.chain is not None and choice.chain.name == "inbound-vip|9080||details.default.svc.cluster.local-http"
    assert "10.96.1.201" in choice.matched_by and "9080" in choice.matched_by
    choice = select_chain(lst, Connection(dst_ip="10.96.1.201", dst_port=9999))
    assert choice.chain is None and "matched nothing" in choice.matched_by
    # the capture holds only the details chain: another service's chain is named but absent
    choice = select_chain(lst, Connection(dst_ip="10.98.193.58", dst_port=9080))
    assert choice.chain is None and "not a chain here" in choice.matched_by


# --- RE2 -------------------------------------------------------------------------------------------
def regex_route(pattern: str, **match: Any) -> Route:
    return Route.model_validate({"name": "r", "match": {"safe_regex": {"regex": pattern}, **match},
                                 "route": {"cluster": "c"}})


def req(path: str = "/", **headers: str) -> Request:
    return Request(authority="h", path=path, headers=headers)


@pytest.mark.parametrize(("pattern", "value", "expected"), [
    ("/a/[[:digit:]]+", "/a/123", True),
    ("/a/[[:digit:]]+", "/a/12x", False),
    ("/a/[[:digit:]]+", "/a/:", False),  # Python's re reads [[:digit:]] as a set of [:digt plus "]"
    ("/an/[[:^alpha:]]+", "/an/123", True),
    ("/b/\\pL+", "/b/abcé", True),
    ("/b/\\p{L}+", "/b/ab1", False),
    ("/g/\\p{Greek}+", "/g/αβγ", True),
    ("/g/\\p{Greek}+", "/g/abc", False),
    ("/g/\\PL+", "/g/123", True),
    ("x\\z", "x", True),
    ("/n/(?P<id>[0-9]+)", "/n/42", True),
    ("/n/(?<id>[0-9]+)", "/n/42", True),
    ("/q/\\Qa.b\\E", "/q/a.b", True),
    ("/q/\\Qa.b\\E", "/q/axb", False),
    ("(?i)/ci/abc", "/CI/ABC", True),
    ("/d/\\d+", "/d/١٢", False),  # RE2's \d is ASCII
    ("/items/[0-9]+", "/items/12/x", False),  # full match
    ("a{,2}", "a{,2}", True),  # RE2 reads {,n} literally
])
def test_re2_syntax(pattern: str, value: str, expected: bool) -> None:
    assert matching.regex_match(pattern, value) is expected
    assert route_match(regex_route(pattern), req(value)).matched is expected
    # the Python translation (used without google-re2) agrees
    assert matching._compiled(pattern, use_re2=False)(value) is expected  # type: ignore[operator]


@pytest.mark.parametrize("pattern", ["(?=a)a", "(a)\\1", "a\\Z", "a*+", "(?>a)", "[a", "\\p{NoSuchScript}"])
def test_patterns_meshlens_cannot_evaluate_are_reported(pattern: str) -> None:
    problem = matching.regex_problem(pattern)
    assert problem
    assert isinstance(matching._compiled(pattern, use_re2=False), str)  # the translation refuses them too
    verdict = route_match(regex_route(pattern), req("/a"))
    assert not verdict.matched and verdict.undetermined
    assert f"regex {pattern!r} is not understood" in verdict.why and "does not match" not in verdict.why
    assert verdict.notes and "is not understood" in verdict.notes[0]
    ok, why = string_match(StringMatcher.model_validate({"safe_regex": {"regex": pattern}}), "a")
    assert not ok and "is not understood" in why


def test_undetermined_header_regex_is_not_inverted() -> None:
    route = Route.model_validate({"name": "r", "match": {"prefix": "/", "headers": [
        {"name": "x", "string_match": {"safe_regex": {"regex": "(?=v)v"}}, "invert_match": True}]},
        "route": {"cluster": "c"}})
    verdict = route_match(route, req("/", x="v"))
    assert not verdict.matched and verdict.undetermined and "header x" in verdict.why


def test_query_and_header_regexes_use_re2() -> None:
    route = Route.model_validate({"name": "r", "match": {"prefix": "/", "headers": [
        {"name": "x-v", "string_match": {"safe_regex": {"regex": "v[[:digit:]]+\\pL?"}}}],
        "query_parameters": [{"name": "q", "string_match": {"safe_regex": {"regex": "[[:alpha:]]+"}}}]},
        "route": {"cluster": "c"}})
    assert route_match(route, req("/?q=abc", **{"x-v": "v12é"})).matched
    assert not route_match(route, req("/?q=ab1", **{"x-v": "v12"})).matched
    assert not route_match(route, req("/?q=abc", **{"x-v": "v"})).matched


def test_trace_skips_an_unknown_regex_without_claiming_it_does_not_match() -> None:
    rc = {"name": "rc", "virtual_hosts": [{"name": "v", "domains": ["*"], "routes": [
        {"name": "lookahead", "match": {"safe_regex": {"regex": "/(?=a).*"}}, "direct_response": {"status": 201}},
        {"name": "posix", "match": {"safe_regex": {"regex": "/a/[[:digit:]]+"}}, "direct_response": {"status": 202}},
        {"name": "fallback", "match": {"prefix": "/"}, "direct_response": {"status": 200}}]}]}
    hcm = {"name": "hcm", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.network."
                                                    "http_connection_manager.v3.HttpConnectionManager",
                                           "stat_prefix": "s", "route_config": rc}}
    lst = {"name": "l", "address": {"socket_address": {"address": "0.0.0.0", "port_value": 8000}},
           "filter_chains": [{"filters": [hcm]}]}
    dump = {"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ListenersConfigDump",
                         "dynamic_listeners": [{"name": "l", "active_state": {"listener": lst}}]}]}
    proxy = meshlens.load(dump).proxy()
    t = meshlens.trace(proxy, to="h", dst="10.0.0.1:8000", path="/a/7")
    assert t.route == "posix"
    skipped = {s.name: s.reason for h in t.hops for s in h.skipped}
    assert "is not understood" in skipped["lookahead"] and "does not match" not in skipped["lookahead"]


def test_translation_of_re2_only_constructs() -> None:
    def py(pattern: str) -> re.Pattern[str]:
        return re.compile(translate_re2(pattern), re.ASCII)

    assert py("[[:digit:][:upper:]_]+").fullmatch("1A_") and not py("[[:digit:][:upper:]]").fullmatch("a")
    assert py("[x[:^digit:]]+").fullmatch("xa-é") and not py("[[:^digit:]]").fullmatch("1")
    assert translate_re2("a\\z") == "a\\Z"
    assert translate_re2("(?<n>x)") == "(?P<n>x)"
    assert translate_re2("\\Qa.b\\E") == "a\\.b"
    assert py("\\x{41}").fullmatch("A")
    assert py("[]a]+").fullmatch("]a")
    assert py("[\\p{Greek}a]+").fullmatch("aβ") and py("[\\P{L}]").fullmatch("1")


def test_without_google_re2_the_translation_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(matching, "_re2", None)
    matching._compiled.cache_clear()
    try:
        assert route_match(regex_route("/a/[[:digit:]]+"), req("/a/12")).matched
        assert not route_match(regex_route("/a/[[:digit:]]+"), req("/a/:")).matched
        verdict = route_match(regex_route("/(?=a)"), req("/a"))
        assert verdict.undetermined and "is not understood" in verdict.why
    finally:
        matching._compiled.cache_clear()


# --- gRPC, tls_context ---------------------------------------------------------------------------
@pytest.mark.parametrize(("content_type", "expected"), [
    ("application/grpc", True), ("application/grpc+proto", True), ("application/grpc+json", True),
    ("application/grpc-web+proto", False), ("application/grpc-web", False), ("application/grpc;charset=utf-8", False),
    ("application/GRPC", False), ("application/grpcx", False), ("text/plain", False), (None, False),
])
def test_grpc_content_types(content_type: str | None, expected: bool) -> None:
    assert is_grpc(content_type) is expected
    route = Route.model_validate({"name": "g", "match": {"prefix": "/", "grpc": {}}, "route": {"cluster": "c"}})
    headers = {"content-type": content_type} if content_type is not None else {}
    assert route_match(route, req("/", **headers)).matched is expected


@pytest.mark.parametrize(("tls", "expected"), [
    ({"presented": True}, False), ({"validated": True}, False), ({"presented": False}, True),
    ({"validated": False}, True), ({"presented": False, "validated": True}, False), ({}, True),
    ({"presented": {"value": True}}, False),
])
def test_tls_context_on_a_plaintext_request(tls: dict[str, Any], expected: bool) -> None:
    route = Route.model_validate({"name": "t", "match": {"prefix": "/", "tls_context": tls},
                                  "route": {"cluster": "c"}})
    verdict: RouteVerdict = route_match(route, req())
    assert verdict.matched is expected
    if not expected:
        assert "plaintext" in verdict.why
