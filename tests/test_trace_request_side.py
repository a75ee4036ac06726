"""Trace, request side (issue 11 item 3) and the failure reporting of issue 13: each a test that fails
without the feature. Semantics are Envoy 1.40's, checked in the lab (tests/test_trace_vs_envoy.py)."""

from __future__ import annotations

from typing import Any

from click.testing import CliRunner

import meshlens
from meshlens.analysis.trace.model import Disposition
from meshlens.cli import main
from tests.test_trace_semantics import A, dr, go, http_chain, lis, one_listener, proxy_of, vh

H = "x-lab"


def _hm(name: str, exact: str) -> dict[str, Any]:
    return {"name": name, "string_match": {"exact": exact}}


def test_http10_without_host_does_not_crash_and_uses_default_host() -> None:
    vhosts = [vh("dflt", ["default.example"], [dr("to-default")]), vh("any", ["*"], [dr("any")])]
    proxy = one_listener(vhosts, http_protocol_options={"accept_http_10": True,
                                                        "default_host_for_http_10": "default.example"})
    t = go(proxy, to=None, http_version="1.0")
    assert t.route == "to-default" and t.disposition == Disposition.DIRECT_RESPONSE
    assert go(proxy, to=None, http_version="1.1").response_code == 400  # HTTP/1.1 needs a Host
    refused = go(one_listener(vhosts), to="h", http_version="1.0")
    assert refused.response_code == 426  # accept_http_10 off


def test_header_values_are_trimmed_and_repeated_headers_match_any_value() -> None:
    proxy = one_listener([vh("v", ["*"], [
        dr("pad", {"prefix": "/", "headers": [_hm(f"{H}-pad", "v w")]}),
        dr("rep-b", {"prefix": "/", "headers": [_hm(f"{H}-rep", "b")]}),
        dr("other")])])
    assert go(proxy, headers={f"{H}-pad": "  v w \t"}).route == "pad"
    assert go(proxy, headers=[(f"{H}-rep", "a"), (f"{H}-rep", "b")]).route == "rep-b"


def test_x_envoy_internal_follows_the_connection_managers_rules() -> None:
    vhosts = [vh("ext", ["ext.example"], [dr("ext")], require_tls="EXTERNAL_ONLY")]
    cidr = {"cidr_ranges": [{"address_prefix": "127.0.0.0", "prefix_len": 8}]}
    internal = one_listener(vhosts, use_remote_address=True, internal_address_config=cidr)
    external = one_listener(vhosts, use_remote_address=True)
    client = {"x-envoy-internal": "true"}
    assert go(internal, to="ext.example", src="127.0.0.1", headers=client).disposition == Disposition.DIRECT_RESPONSE
    forged = go(external, to="ext.example", src="127.0.0.1", headers=client)
    assert forged.disposition == Disposition.REDIRECT  # a client's own x-envoy-internal is dropped
    xff = one_listener(vhosts, internal_address_config={"cidr_ranges": [{"address_prefix": "10.0.0.0",
                                                                           "prefix_len": 8}]})
    assert go(xff, to="ext.example", headers={"x-forwarded-for": "10.1.2.3"}).disposition == \
        Disposition.DIRECT_RESPONSE
    assert go(xff, to="ext.example", headers={"x-forwarded-for": "8.8.8.8"}).disposition == Disposition.REDIRECT


def test_uri_templates_match_and_rewrite() -> None:
    tpl = "type.googleapis.com/envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig"
    rw = "type.googleapis.com/envoy.extensions.path.rewrite.uri_template.v3.UriTemplateRewriteConfig"
    route = {"name": "books", "match": {"path_match_policy": {"name": "m", "typed_config": {
        "@type": tpl, "path_template": "/books/{id}/reviews"}}},
        "route": {"cluster": "c", "path_rewrite_policy": {"name": "r", "typed_config": {
            "@type": rw, "path_template_rewrite": "/r/{id}"}}}}
    proxy = one_listener([vh("v", ["*"], [route, dr("other")])])
    t = go(proxy, path="/books/7/reviews?x=1")
    assert t.route == "books" and t.upstream_path == "/r/7?x=1"
    assert go(proxy, path="/books/7/8/reviews").route == "other"


def test_rewrites_headers_and_direct_response_body_in_the_result() -> None:
    route = {"name": "up", "match": {"prefix": "/old/"}, "route": {
        "cluster": "c", "prefix_rewrite": "/new/", "host_rewrite_literal": "upstream.example", "timeout": "2s"},
        "request_headers_to_add": [{"header": {"key": "x-added", "value": "%REQ(x-in)%"}}],
        "response_headers_to_add": [{"header": {"key": "x-resp", "value": "r"}}]}
    body = {"name": "dr", "match": {"prefix": "/dr"},
            "direct_response": {"status": 201, "body": {"inline_string": "made here"}}}
    proxy = one_listener([vh("v", ["*"], [route, body])])
    t = go(proxy, path="/old/x", headers={"x-in": "hello"})
    assert (t.upstream_path, t.upstream_host, t.timeout) == ("/new/x", "upstream.example", "2s")
    assert {h.name: h.value for h in t.request_headers}["x-added"] == "hello"
    assert [(h.name, h.value) for h in t.response_headers] == [("x-resp", "r")]
    d = go(proxy, path="/dr")
    assert d.response_body == "made here" and d.response_code == 201


def test_tls_input_sni_alpn_and_require_tls() -> None:
    tls_ts = {"name": "tls", "typed_config": {
        "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext"}}
    secure = [vh("s", ["*"], [dr("ok")], require_tls="ALL")]
    tls_chain = {**http_chain(secure, name="tls-a", match={"server_names": ["a.example"], "transport_protocol": "tls"}),
                 "transport_socket": tls_ts}
    plain = http_chain(secure, name="plain", match={"transport_protocol": "raw_buffer"})
    proxy = proxy_of([lis("l", "127.0.0.1", 8443, [tls_chain, plain],
                          listener_filters=[{"name": "envoy.filters.listener.tls_inspector"}])])
    t = go(proxy, to="a.example", port=8443, tls=True)
    assert t.filter_chain == "tls-a" and t.disposition == Disposition.DIRECT_RESPONSE  # https: no redirect
    assert go(proxy, to="a.example", port=8443).disposition == Disposition.REDIRECT  # plaintext
    assert go(proxy, to="b.example", port=8443, tls=True, sni="b.example").disposition == Disposition.NO_FILTER_CHAIN


def test_weighted_cluster_by_random_value() -> None:
    route = {"name": "w", "match": {"prefix": "/"}, "route": {"weighted_clusters": {"clusters": [
        {"name": "a", "weight": 30}, {"name": "b", "weight": 70}]}}}
    proxy = one_listener([vh("v", ["*"], [route])])
    assert [c.name for c in go(proxy).clusters] == ["a", "b"]
    assert [c.name for c in go(proxy, random_value=29).clusters] == ["a"]
    assert [c.name for c in go(proxy, random_value=130).clusters] == ["b"]


def _warming_dump() -> dict[str, Any]:
    active = lis("virtualOutbound", "0.0.0.0", 15001, [http_chain([vh("v", ["*"], [dr("catch-all")])])],
                 use_original_dst=True)
    warming = lis("0.0.0.0_8081", "0.0.0.0", 8081, [http_chain([vh("v", ["*"], [dr("foo")])])])
    return {"configs": [{"@type": A + "ListenersConfigDump", "dynamic_listeners": [
        {"name": "virtualOutbound", "active_state": {"listener": active}},
        {"name": "0.0.0.0_8081", "warming_state": {"listener": warming}}]}]}


def test_a_warming_listener_is_named_and_the_listener_serving_the_port_said() -> None:
    t = meshlens.trace(meshlens.load(_warming_dump()).proxy(), to="foo:8081", dst="10.0.0.9:8081")
    assert t.listener == "virtualOutbound"
    assert any("0.0.0.0_8081 for port 8081 is warming" in n and "served by listener virtualOutbound" in n
               for n in t.notes), t.notes
    skipped = {s.name: s.reason for h in t.hops for s in h.skipped}
    assert "is warming" in skipped.get("0.0.0.0_8081", ""), skipped


def test_trace_exit_code(tmp_path: Any) -> None:
    import json

    path = tmp_path / "dump.json"
    path.write_text(json.dumps(_warming_dump()))
    runner = CliRunner()
    routed = runner.invoke(main, ["trace", str(path), "--to", "foo:8081", "--dst", "10.0.0.9:8081", "--exit-code"])
    assert routed.exit_code == 1, routed.output  # a direct response reaches no upstream
    plain = runner.invoke(main, ["trace", str(path), "--to", "foo:8081", "--dst", "10.0.0.9:8081"])
    assert plain.exit_code == 0


def test_a_rejected_listener_alone_is_named_not_just_no_listener() -> None:
    rejected = lis("0.0.0.0_8081", "0.0.0.0", 8081, [http_chain([vh("v", ["*"], [dr("foo")])])])
    capture = {"configs": [{"@type": A + "ListenersConfigDump", "dynamic_listeners": [
        {"name": "0.0.0.0_8081", "error_state": {"failed_configuration": {"@type": "x", **rejected},
                                                 "details": "bad"}}]}]}
    t = meshlens.trace(meshlens.load(capture).proxy(), to="foo:8081", dst="10.0.0.9:8081")
    assert t.disposition == Disposition.NO_LISTENER
    assert any("0.0.0.0_8081 for port 8081 was rejected" in n for n in t.notes), t.notes
