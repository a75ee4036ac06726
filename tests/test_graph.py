"""The request graph: edges for every reference, dangling references, exports."""

from __future__ import annotations

import io
import json

import networkx as nx

import meshlens
from meshlens.index.graph import NodeKey, export_graph
from tests.conftest import fixture_path, needs_shared


@needs_shared
def test_productpage_edges() -> None:
    proxy = meshlens.load(fixture_path("envoy", "sidecar-productpage", "config_dump_include_eds.json")).proxy()
    g = proxy.graph()
    assert g.dangling() == []
    chain = NodeKey("filter_chain", "0.0.0.0_9080/0.0.0.0_9080")
    assert g.successors(chain, "rds") == [NodeKey("route_config", "9080")]
    vhost = NodeKey("virtual_host", "9080/reviews.default.svc.cluster.local:9080")
    routes = g.successors(vhost, "route")
    assert routes
    clusters = {c.name for r in routes for c in g.clusters_for_route(r)}
    assert clusters == {"outbound|9080||reviews.default.svc.cluster.local"}
    reviews = NodeKey("cluster", "outbound|9080||reviews.default.svc.cluster.local")
    endpoints = [k.name for k in g.successors(reviews, "eds")]
    assert sorted(endpoints) == [f"outbound|9080||reviews.default.svc.cluster.local/10.244.0.{i}:9080"
                                 for i in (20, 21, 23)]
    assert vhost in {k for k in g.referrers(routes[0])}
    dns = NodeKey("cluster", "outbound|53||kube-dns.kube-system.svc.cluster.local")
    assert dns in g.successors(NodeKey("filter_chain", "10.96.0.10_53/#0"), "tcp_proxy")
    assert NodeKey("route", "9080/reviews.default.svc.cluster.local:9080/default") in g.routes_for_listener(
        "0.0.0.0_9080")
    svg = g.neighbourhood(reviews)._repr_svg_()
    assert svg is not None and svg.startswith("<svg")


@needs_shared
def test_exports_parse() -> None:
    path = fixture_path("envoy", "sidecar-productpage-degraded", "config_dump_include_eds.json")
    graphml = export_graph(path, "graphml")
    g = nx.read_graphml(io.BytesIO(graphml.encode()))
    assert "cluster:outbound|9080||missing.default.svc.cluster.local" in g
    assert g.nodes["cluster:outbound|9080||missing.default.svc.cluster.local"]["missing"] in (True, "True")
    dot = export_graph(path, "dot")
    assert dot.startswith("digraph meshlens {") and "style=dashed" in dot
    data = json.loads(export_graph(path, "json"))
    assert data["directed"] is True and data["nodes"]
    dangling = json.loads(export_graph(path, dangling_only=True))
    assert {d["relation"] for d in dangling} == {"cluster", "rds", "eds"}
