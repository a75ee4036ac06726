"""trace() semantics on small hand-built configurations, and on the real productpage captures."""

from __future__ import annotations

from typing import Any

import pytest

import meshlens
from meshlens.analysis.trace.model import Disposition
from tests.conftest import fixture_path, needs_shared

HCM = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
TCP = "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy"


def dump(listeners: list[dict[str, Any]], clusters: list[dict[str, Any]] | None = None,
         routes: list[dict[str, Any]] | None = None, endpoints: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    configs: list[dict[str, Any]] = [
        {"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump",
         "dynamic_active_clusters": [{"cluster": c} for c in clusters or []]},
        {"@type": "type.googleapis.com/envoy.admin.v3.ListenersConfigDump",
         "dynamic_listeners": [{"name": lst["name"], "active_state": {"listener": lst}} for lst in listeners]},
        {"@type": "type.googleapis.com/envoy.admin.v3.RoutesConfigDump",
         "dynamic_route_configs": [{"route_config": r} for r in routes or []]},
    ]
    if endpoints is not None:
        configs.insert(1, {"@type": "type.googleapis.com/envoy.admin.v3.EndpointsConfigDump",
                           "dynamic_endpoint_configs": [{"endpoint_config": e} for e in endpoints]})
    return {"configs": configs}


def static_cluster(name: str, hosts: int = 1) -> dict[str, Any]:
    eps = [{"endpoint": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": 9000 + i}}}}
           for i in range(hosts)]
    return {"name": name, "type": "STATIC", "load_assignment": {"cluster_name": name,
                                                                 "endpoints": [{"lb_endpoints": eps}] if eps else []}}


def http_listener(name: str, port: int, route_config: dict[str, Any], address: str = "0.0.0.0",
                  **extra: Any) -> dict[str, Any]:
    return {"name": name, "address": {"socket_address": {"address": address, "port_value": port}},
            "filter_chains": [{"filters": [{"name": "hcm", "typed_config": {
                "@type": HCM, "stat_prefix": name, "route_config": route_config, **extra}}]}]}


def vhost(name: str, domains: list[str], routes: list[dict[str, Any]]) -> dict[str, Any]:
    return {"name": name, "domains": domains, "routes": routes}


def route(name: str, cluster: str = "c1", **match: Any) -> dict[str, Any]:
    return {"name": name, "match": match or {"prefix": "/"}, "route": {"cluster": cluster}}


def one(vhosts: list[dict[str, Any]], clusters: tuple[str, ...] = ("c1", "c2"), **hcm: Any) -> meshlens.EnvoyProxy:
    rc = {"name": "rc", "virtual_hosts": vhosts}
    return meshlens.load(dump([http_listener("l", 8080, rc, **hcm)], [static_cluster(c) for c in clusters])).proxy()


def test_virtual_host_selection_order() -> None:
    proxy = one([
        vhost("star", ["*"], [route("r-star")]),
        vhost("prefix", ["foo.*"], [route("r-prefix")]),
        vhost("suffix-short", ["*.com"], [route("r-suffix-short")]),
        vhost("suffix", ["*.foo.com"], [route("r-suffix")]),
        vhost("exact", ["a.foo.com"], [route("r-exact")]),
        vhost("partial", ["*-bar.foo.com"], [route("r-partial")]),
    ])
    cases = {"a.foo.com": "exact", "b.foo.com": "suffix", "x.com": "suffix-short", "foo.org": "prefix",
             "other": "star", "A.FOO.COM": "exact", "baz-bar.foo.com": "partial", "-bar.foo.com": "suffix",
             "foo.com": "suffix-short"}
    for host, expected in cases.items():
        t = meshlens.trace(proxy, to=host, dst="127.0.0.1:8080")
        assert t.virtual_host == expected, (host, t.hops)
    # the port is part of the Host header unless stripped: "a.foo.com:8080" is no exact domain here
    t = meshlens.trace(proxy, to="a.foo.com:8080", dst="127.0.0.1:8080")
    assert t.virtual_host == "star"


def test_port_stripping_options() -> None:
    vhs = [vhost("exact", ["svc"], [route("r")]), vhost("with-port", ["svc:8080"], [route("rp")])]
    assert meshlens.trace(one(vhs), to="svc:8080", dst="127.0.0.1:8080").virtual_host == "with-port"
    stripped = one(vhs, strip_any_host_port=True)
    assert meshlens.trace(stripped, to="svc:8080", dst="127.0.0.1:8080").virtual_host == "exact"
    matching = one(vhs, strip_matching_host_port=True)
    assert meshlens.trace(matching, to="svc:8080", dst="127.0.0.1:8080").virtual_host == "exact"
    assert meshlens.trace(matching, to="svc:9999", dst="127.0.0.1:8080").disposition == Disposition.NO_ROUTE


def test_route_matchers_first_match_wins() -> None:
    routes = [
        route("exact-path", path="/exact"),
        route("ci", prefix="/CASE", case_sensitive=False),
        route("regex", safe_regex={"regex": "/r/[0-9]+"}),
        route("sep", path_separated_prefix="/sep"),
        route("hdr-exact", prefix="/h", headers=[{"name": "x-a", "string_match": {"exact": "1"}}]),
        route("hdr-absent", prefix="/h", headers=[{"name": "x-b", "present_match": False}]),
        route("hdr-range", prefix="/h", headers=[{"name": "x-n", "range_match": {"start": 10, "end": 20}}]),
        route("hdr-invert", prefix="/h", headers=[{"name": "x-c", "string_match": {"prefix": "no"},
                                                   "invert_match": True}]),
        route("query", prefix="/q", query_parameters=[{"name": "v", "string_match": {"exact": "2"}}]),
        route("direct", prefix="/d"),
        route("fallback", prefix="/"),
    ]
    routes[9] = {"name": "direct", "match": {"prefix": "/d"}, "direct_response": {"status": 418}}
    proxy = one([vhost("v", ["*"], routes)])

    def name(path: str, **headers: str) -> str | None:
        return meshlens.trace(proxy, to="x", dst="127.0.0.1:8080", path=path, headers=headers).route

    assert name("/exact") == "exact-path"
    assert name("/exact?x=1") == "exact-path"  # the query string is not part of the path
    assert name("/exactly") == "fallback"
    assert name("/case/x") == "ci"
    assert name("/r/123") == "regex" and name("/r/12a") == "fallback"  # regex is a full match
    assert name("/sep") == "sep" and name("/sep/x") == "sep" and name("/separate") == "fallback"
    assert name("/h", **{"x-a": "1"}) == "hdr-exact"
    assert name("/h", **{"x-a": "2"}) == "hdr-absent"
    assert name("/h", **{"x-b": "y", "x-n": "15"}) == "hdr-range"
    assert name("/h", **{"x-b": "y", "x-n": "20", "x-c": "yes"}) == "hdr-invert"
    assert name("/h", **{"x-b": "y", "x-c": "nope"}) == "fallback"
    assert name("/h", **{"x-b": "y"}) == "fallback"  # invert_match does not match a missing header
    assert name("/q?v=2") == "query" and name("/q?v=3") == "fallback"
    t = meshlens.trace(proxy, to="x", dst="127.0.0.1:8080", path="/d")
    assert t.disposition == Disposition.DIRECT_RESPONSE and t.response_code == 418
    skipped = {s.name for hop in t.hops if hop.kind == "route" for s in hop.skipped}
    assert {"exact-path", "ci", "regex"} <= skipped


def test_actions_redirect_weighted_missing_cluster() -> None:
    routes = [
        {"name": "redir", "match": {"prefix": "/old"}, "redirect": {"https_redirect": True, "prefix_rewrite": "/new",
                                                                    "response_code": "FOUND"}},
        {"name": "weighted", "match": {"prefix": "/w"}, "route": {"weighted_clusters": {"clusters": [
            {"name": "c1", "weight": 80}, {"name": "c2", "weight": 20}]}}},
        {"name": "by-header", "match": {"prefix": "/ch"}, "route": {"cluster_header": "x-cluster"}},
        route("nowhere", cluster="ghost", prefix="/n"),
    ]
    proxy = one([vhost("v", ["*"], routes)])
    t = meshlens.trace(proxy, to="h:80", dst="127.0.0.1:8080", path="/old/x?q=1")
    assert (t.disposition, t.response_code, t.redirect_location) == (
        Disposition.REDIRECT, 302, "https://h/new/x?q=1")
    t = meshlens.trace(proxy, to="h", dst="127.0.0.1:8080", path="/w")
    assert [(c.name, c.weight) for c in t.clusters] == [("c1", 80), ("c2", 20)]
    assert t.disposition == Disposition.ROUTED
    t = meshlens.trace(proxy, to="h", dst="127.0.0.1:8080", path="/ch", headers={"X-Cluster": "c2"})
    assert t.cluster == "c2"
    t = meshlens.trace(proxy, to="h", dst="127.0.0.1:8080", path="/n")
    assert t.disposition == Disposition.NO_CLUSTER and t.response_code == 503


def test_filter_chain_levels_do_not_backtrack() -> None:
    chains = [
        {"name": "port-9000-tls", "filter_chain_match": {"destination_port": 9000, "transport_protocol": "tls"},
         "filters": [{"name": "tcp", "typed_config": {"@type": TCP, "stat_prefix": "a", "cluster": "c1"}}]},
        {"name": "any-port", "filters": [{"name": "tcp", "typed_config": {"@type": TCP, "stat_prefix": "b",
                                                                          "cluster": "c2"}}]},
        {"name": "src-net", "filter_chain_match": {"destination_port": 9001,
                                                   "source_prefix_ranges": [{"address_prefix": "10.0.0.0",
                                                                             "prefix_len": 8}]},
         "filters": [{"name": "tcp", "typed_config": {"@type": TCP, "stat_prefix": "c", "cluster": "c1"}}]},
    ]
    listener = {"name": "tcp", "address": {"socket_address": {"address": "0.0.0.0", "port_value": 9000}},
                "additional_addresses": [{"address": {"socket_address": {"address": "0.0.0.0", "port_value": 9001}}}],
                "filter_chains": chains}
    proxy = meshlens.load(dump([listener], [static_cluster("c1"), static_cluster("c2")])).proxy()
    # port 9000 selects the port-specific group; plaintext fails its transport level: no fallback to any-port
    t = meshlens.trace(proxy, to="x", dst="127.0.0.1:9000")
    assert t.disposition == Disposition.NO_FILTER_CHAIN
    t = meshlens.trace(proxy, to="x", dst="127.0.0.1:9001", src="10.1.2.3")
    assert t.filter_chain == "src-net" and t.cluster == "c1"
    t = meshlens.trace(proxy, to="x", dst="127.0.0.1:9001", src="192.168.0.1")
    assert t.disposition == Disposition.NO_FILTER_CHAIN
    t = meshlens.trace(proxy, to="x", dst="127.0.0.1:9002")
    assert t.disposition == Disposition.NO_LISTENER


def test_endpoints_health_and_panic() -> None:
    eds = {"name": "e", "type": "EDS", "eds_cluster_config": {"service_name": "e"}}
    none = {"name": "n", "type": "EDS", "eds_cluster_config": {"service_name": "n"}}
    cla = {"cluster_name": "e", "endpoints": [{"lb_endpoints": [
        {"endpoint": {"address": {"socket_address": {"address": "10.0.0.1", "port_value": 80}}},
         "health_status": "UNHEALTHY"}]}]}
    rc = {"name": "rc", "virtual_hosts": [vhost("v", ["*"], [route("to-e", cluster="e", prefix="/e"),
                                                              route("to-n", cluster="n")])]}
    data = dump([http_listener("l", 8080, rc)], [eds, none], endpoints=[cla, {"cluster_name": "n"}])
    proxy = meshlens.load(data).proxy()
    t = meshlens.trace(proxy, to="h", dst="127.0.0.1:8080", path="/e")
    assert t.disposition == Disposition.ROUTED and [e.health for e in t.endpoints] == ["UNHEALTHY"]
    assert any("panic" in n for n in t.notes)
    t = meshlens.trace(proxy, to="h", dst="127.0.0.1:8080", path="/x")
    assert t.disposition == Disposition.NO_HEALTHY_UPSTREAM and t.response_code == 503
    no_eds = meshlens.load(dump([http_listener("l", 8080, rc)], [eds, none])).proxy()
    assert meshlens.trace(no_eds, to="h", dst="127.0.0.1:8080").disposition == Disposition.INSUFFICIENT_INFO


@needs_shared
def test_productpage_reviews_and_unknown_host() -> None:
    proxy = meshlens.load(fixture_path("envoy", "sidecar-productpage", "config_dump_include_eds.json")).proxy()
    t = meshlens.trace(proxy, to="reviews:9080", path="/reviews/0", headers={"end-user": "jason"})
    assert t.disposition == Disposition.ROUTED
    assert t.listener == "0.0.0.0_9080"
    assert t.route_config == "9080"
    assert t.virtual_host == "reviews.default.svc.cluster.local:9080"
    assert t.cluster == "outbound|9080||reviews.default.svc.cluster.local"
    assert len(t.endpoints) == 3 and all(e.health == "HEALTHY" for e in t.endpoints)
    assert any("resolves to" in a for a in t.assumptions)
    t = meshlens.trace(proxy, to="unknown.example.com:9080")
    assert t.disposition == Disposition.PASSTHROUGH and t.virtual_host == "allow_any"
    t = meshlens.trace(proxy, to="example.org:8443")
    assert t.disposition == Disposition.PASSTHROUGH and t.listener == "virtualOutbound"
    no_eds = meshlens.load(fixture_path("envoy", "sidecar-productpage", "config_dump.json")).proxy()
    assert meshlens.trace(no_eds, to="reviews:9080").disposition == Disposition.INSUFFICIENT_INFO


@needs_shared
def test_degraded_dangling_route_is_reported_not_a_crash() -> None:
    proxy = meshlens.load(fixture_path("envoy", "sidecar-productpage-degraded", "config_dump_include_eds.json")).proxy()
    t = meshlens.trace(proxy, to="details:9080", path="/missing/x")
    assert t.disposition == Disposition.NO_CLUSTER and t.route == "to-missing"
    dangling = {(d.relation, d.target.name) for d in proxy.graph().dangling()}
    assert ("cluster", "outbound|9080||missing.default.svc.cluster.local") in dangling
    assert ("rds", "8081") in dangling
    assert ("eds", "outbound|8080||ghost.default.svc.cluster.local") in dangling


@needs_shared
def test_unhealthy_capture_agrees_with_envoys_access_log() -> None:
    """Envoy answered 503 UH for the ejected v3 subset (panic disabled by Istio) and the empty v4 one."""
    proxy = meshlens.load(fixture_path("envoy", "sidecar-unhealthy", "config_dump_include_eds.json")).proxy()
    for user, cluster in (("jason", "outbound|9080|v3|reviews.default.svc.cluster.local"),
                          ("kylo", "outbound|9080|v4|reviews.default.svc.cluster.local")):
        t = meshlens.trace(proxy, to="reviews:9080", path="/reviews/0", headers={"end-user": user})
        assert t.cluster == cluster
        assert t.disposition == Disposition.NO_HEALTHY_UPSTREAM, (user, t.notes)
        assert t.response_code == 503
    t = meshlens.trace(proxy, to="reviews:9080", path="/reviews/0")
    assert t.disposition == Disposition.ROUTED
    # loaded as a folder, /clusters joins the dump: runtime flags become the endpoints' health source
    snap = meshlens.load(fixture_path("envoy", "sidecar-unhealthy"))
    live = next(p for p in snap.proxies if p.group == "")
    t = meshlens.trace(live, to="reviews:9080", path="/reviews/0")
    ejected = next(e for e in t.endpoints if e.address == "127.0.1.3:9080")
    assert ejected.source == "clusters" and "failed_outlier_check" in ejected.health


def test_bad_arguments_are_usage_errors() -> None:
    proxy = one([vhost("v", ["*"], [route("r")])])
    with pytest.raises(meshlens.UsageError):
        meshlens.trace(proxy, to="x", dst="not-an-ip:80")
    with pytest.raises(meshlens.UsageError):
        meshlens.trace(proxy, to="x", http_version="3")
