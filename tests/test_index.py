"""The per-proxy reference index: lookups, reverse references, dangling references, derived facts,
and the graph drawn from it (equal, node for node and edge for edge, to the typed-model walk)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import meshlens
from meshlens.index import INDEX, index_for
from meshlens.index.graph import GRAPH, MeshGraph, NodeKey
from meshlens.models.derived import DerivedFacts, Fact
from meshlens.models.envoy.listener import FilterChain
from meshlens.models.envoy.route import Route, VirtualHost
from meshlens.models.names import ClusterName
from meshlens.models.snapshot import EnvoyProxy
from tests.conftest import FIXTURES, SAMPLES, fixture_path, needs_shared
from tests.graph_oracle import TypedGraph

REVIEWS = "outbound|9080||reviews.default.svc.cluster.local"


def _productpage() -> EnvoyProxy:
    return meshlens.load(fixture_path("envoy", "sidecar-productpage", "config_dump_include_eds.json")).proxy()


# ------------------------------------------------------------------------------------ lookups
@needs_shared
def test_lookups_are_by_name_address_port_and_parsed_name() -> None:
    idx = index_for(_productpage())
    assert idx.listeners_by_name["0.0.0.0_9080"].name == "0.0.0.0_9080"
    assert idx.wildcard("10.96.1.1", 9080) is idx.listeners_by_name["0.0.0.0_9080"]
    assert idx.exact("10.96.0.10", 53) is not None and idx.exact("10.96.0.11", 53) is None
    assert idx.clusters[REVIEWS].name == REVIEWS
    assert idx.cluster("no-such-cluster") is None
    # the DNS-SRV spelling of the same cluster finds it through the parsed name
    srv = ClusterName.parse("outbound_.9080_._.reviews.default.svc.cluster.local")
    assert idx.cluster_by_parsed(srv) is idx.clusters[REVIEWS]
    subsets = sorted(c.name for c in idx.clusters_for_service("reviews.default.svc.cluster.local", 9080))
    assert subsets == sorted([REVIEWS] + [f"outbound|9080|{v}|reviews.default.svc.cluster.local"
                                          for v in ("v1", "v2", "v3")])
    assert ("reviews.default.svc.cluster.local", 9080) in idx.outbound_services()
    assert idx.route_configs["9080"].name == "9080"
    assert idx.assignments[REVIEWS].name == REVIEWS
    secret = idx.secret("default")
    assert secret is not None and secret.name == "default"
    assert idx.secret("nope") is None
    assert idx.cluster_status(REVIEWS) is None  # no /clusters capture given


@needs_shared
def test_cluster_status_comes_from_the_clusters_capture() -> None:
    base = FIXTURES / "envoy" / "sidecar-productpage"
    proxy = meshlens.load_many([base / "config_dump_include_eds.json", base / "clusters.json"]).proxy()
    status = index_for(proxy).cluster_status(REVIEWS)
    assert status is not None
    assert sorted(h.endpoint for h in status.host_statuses) == [f"10.244.0.{i}:9080" for i in (20, 21, 23)]


@needs_shared
def test_reverse_references() -> None:
    idx = index_for(_productpage())
    assert [(r.kind, r.name, r.via) for r in idx.referrers(REVIEWS)] == [
        ("route", "9080/reviews.default.svc.cluster.local:9080/default", "route")]
    assert [r.chain_name for r in idx.rds_users("9080")] == ["0.0.0.0_9080/0.0.0.0_9080"]
    dns = "outbound|53||kube-dns.kube-system.svc.cluster.local"
    assert [(r.kind, r.chain) for r in idx.referrers(dns)] == [("listener", "10.96.0.10_53/#0")]
    assert idx.referrers("outbound|9080||nobody.default.svc.cluster.local") == []
    assert REVIEWS in idx.referenced_clusters()


@needs_shared
def test_secret_users_are_the_tls_contexts_that_name_the_secret() -> None:
    idx = index_for(_productpage())
    users = idx.secret_users("default")
    assert {(r.kind, r.name) for r in users} >= {("filter_chain", "virtualInbound/0.0.0.0_9080"), ("cluster", REVIEWS)}
    assert all(u.location.json_path.endswith("transport_socket") for u in users)
    # the static secret istio-agent keeps for itself is named by no TLS context: Envoy never uses it
    assert idx.secret_users("static-spiffe://cluster.local/ns/default/sa/bookinfo-productpage") == []
    assert idx.secret_users("nope") == []


@needs_shared
def test_dangling_references_in_the_index_and_the_graph() -> None:
    proxy = meshlens.load(fixture_path("envoy", "sidecar-productpage-degraded", "config_dump_include_eds.json")).proxy()
    idx = index_for(proxy)
    missing_cluster = "outbound|9080||missing.default.svc.cluster.local"
    refs = idx.referrers(missing_cluster)
    assert [r.name for r in refs] == ["9080/details.default.svc.cluster.local:9080/to-missing"]
    assert idx.cluster(missing_cluster) is None
    assert [r.route_config for r in idx.refs.rds_refs if r.route_config not in idx.route_configs] == ["8081"]
    dangling = {(d.relation, str(d.target)) for d in proxy.graph().dangling()}
    assert dangling == {("cluster", f"cluster:{missing_cluster}"), ("rds", "route_config:8081"),
                        ("eds", "assignment:outbound|8080||ghost.default.svc.cluster.local")}


# ------------------------------------------------------------------------------- derived facts
@needs_shared
def test_facts_are_built_once_typed_and_cleared_with_the_resources() -> None:
    proxy = _productpage()
    assert not hasattr(proxy, "cache")  # no string-keyed cache any more
    assert isinstance(proxy.derived, DerivedFacts) and proxy.derived.built() == []
    idx = index_for(proxy)
    # the index reads the resources the typed model accepts (the guarded boundary), itself a fact
    assert INDEX.of(proxy) is idx and proxy.derived.built() == ["valid resources", "index"]
    graph = proxy.graph()
    assert graph is proxy.graph() is GRAPH.of(proxy) and graph._index is idx  # drawn from the same index
    assert "graph" in proxy.derived.built()
    proxy.derived.clear()
    assert index_for(proxy) is not idx


def test_a_fact_is_keyed_by_itself_not_by_its_name() -> None:
    calls: list[str] = []
    one: Fact[EnvoyProxy, str] = Fact("same", lambda p: calls.append("one") or "one")
    two: Fact[EnvoyProxy, str] = Fact("same", lambda p: calls.append("two") or "two")
    proxy = EnvoyProxy(group="g")
    assert (one.of(proxy), two.of(proxy), one.of(proxy)) == ("one", "two", "one")
    assert calls == ["one", "two"]
    assert EnvoyProxy(group="g") == proxy  # derived facts never make two proxies differ


@needs_shared
def test_graph_models_are_typed_on_demand() -> None:
    g = _productpage().graph()
    assert isinstance(g.model(NodeKey("filter_chain", "0.0.0.0_9080/0.0.0.0_9080")), FilterChain)
    vhost = g.model(NodeKey("virtual_host", "9080/reviews.default.svc.cluster.local:9080"))
    assert isinstance(vhost, VirtualHost) and vhost.name == "reviews.default.svc.cluster.local:9080"
    route = g.model(NodeKey("route", "9080/reviews.default.svc.cluster.local:9080/default"))
    assert isinstance(route, Route) and route.route is not None and route.route.cluster == REVIEWS
    assert g.model(NodeKey("cluster", REVIEWS)).name == REVIEWS
    assert g.model(NodeKey("listener", "0.0.0.0_9080")).name == "0.0.0.0_9080"


# ---------------------------------------------------- graph from the index == the typed walk
def _captures() -> list[Path]:
    if not FIXTURES.is_dir():
        return []
    found = sorted(FIXTURES.glob("envoy/sidecar-*/config_dump*.json"))
    found += sorted(FIXTURES.glob("envoy/sidecar-*/intended/*.json"))
    found += sorted(p for p in FIXTURES.glob("istio/envoy-configdump__*") if p.suffix in (".json", ".yaml"))
    found += [FIXTURES / "envoy" / "scale" / "n100-config_dump_include_eds.json.gz",
              FIXTURES / "envoy" / "scale" / "n1000-config_dump_include_eds.json.gz",
              FIXTURES / "bugreport" / "bookinfo-mesh.tar.gz"]
    found += sorted(SAMPLES.glob("envoy/*/config_dump*.json")) + sorted(SAMPLES.glob("envoy/*/intended/*.json"))
    return [p for p in found if p.exists()]


def _shape(graph: Any) -> tuple[dict[Any, dict[str, Any]], Counter[Any]]:
    nodes = {key: {k: v for k, v in data.items() if k not in ("model", "entry")}
             for key, data in graph.nodes(data=True)}
    edges = Counter((src, dst, tuple(sorted(data.items()))) for src, dst, data in graph.edges(data=True))
    return nodes, edges


def _load(path: Path) -> meshlens.Snapshot:
    try:
        return meshlens.load(path)
    except meshlens.MeshlensError:
        pytest.skip(f"{path.name} does not load on its own")


@needs_shared
@pytest.mark.parametrize("path", _captures(), ids=lambda p: p.name)
def test_graph_from_index_equals_the_typed_walk(path: Path) -> None:
    snapshot = _load(path)
    if not snapshot.proxies:
        pytest.skip("no Envoy proxy in this capture")
    for proxy in snapshot.proxies:
        new_nodes, new_edges = _shape(MeshGraph(proxy).nx)
        old_nodes, old_edges = _shape(TypedGraph(proxy).nx)
        assert new_nodes == old_nodes, proxy.name
        assert new_edges == old_edges, proxy.name


def test_the_capture_list_is_not_empty() -> None:
    if FIXTURES.is_dir():
        assert len(_captures()) >= 20
