"""The mesh index and the cross-proxy trace on the shared bookinfo bug-report archive."""

from __future__ import annotations

import copy
import json

import pytest
from click.testing import CliRunner

import meshlens as ml
from meshlens.analysis.mesh import MeshTrace, trace_mesh
from meshlens.analysis.mesh.transport import upstream_transport
from meshlens.cli import main
from meshlens.index.mesh import mesh_index
from tests.conftest import fixture_path

PP = "productpage-v1-6c886ff494-7vxhs"
REVIEWS = {"10.244.0.20:9080": "reviews-v1-5c4d6d447c-jq8sm.default",
           "10.244.0.21:9080": "reviews-v2-65cb66b45c-9d2rz.default"}


@pytest.fixture(scope="module")
def archive() -> str:
    return str(fixture_path("bugreport", "bookinfo-mesh.tar.gz"))


@pytest.fixture(scope="module")
def snap(archive: str) -> ml.Snapshot:
    return ml.load(archive)


def test_mesh_index_places_ips_vips_and_identities(snap: ml.Snapshot) -> None:
    idx = mesh_index(snap)
    assert mesh_index(snap) is idx  # built once, kept with the snapshot
    v1 = idx.place("10.244.0.20")
    assert v1 is not None and v1.source == "sidecar" and v1.pod == "reviews-v1-5c4d6d447c-jq8sm"
    assert v1.proxy is snap.proxy("reviews-v1-5c4d6d447c-jq8sm") and v1.workload == "reviews-v1"
    # both the sidecar and the EDS metadata of the other proxies claim it: kept, strongest first
    assert [p.source for p in idx.placements("10.244.0.20")] == ["sidecar", "eds"]
    v3 = idx.place("10.244.0.23")  # no sidecar capture: only EDS metadata knows it
    assert v3 is not None and v3.source == "eds" and v3.workload == "reviews-v3" and v3.proxy is None
    assert idx.place("192.0.2.1") is None  # outside the archive
    assert idx.services_at("10.96.117.95") == ["reviews.default.svc.cluster.local"]
    reviews = idx.workloads_of("spiffe://cluster.local/ns/default/sa/bookinfo-reviews")
    assert {p.pod for p in reviews if p.source == "sidecar"} == {"reviews-v1-5c4d6d447c-jq8sm",
                                                                  "reviews-v2-65cb66b45c-9d2rz"}
    # the ztunnel dump's workloads are indexed too (with their identity and protocol)
    zt = [p for found in idx.by_ip.values() for p in found if p.source == "ztunnel"]
    assert zt and all(p.ztunnel is snap.ztunnels[0] for p in zt)
    assert idx.conflicts == {}
    json.dumps(idx.to_dict())


def test_cross_trace_names_every_reviews_endpoint_and_continues_into_captured_sidecars(snap: ml.Snapshot) -> None:
    t = ml.trace(snap, from_=PP, to="reviews:9080", path="/reviews/0", all_endpoints=True)
    assert isinstance(t, MeshTrace) and t.disposition.value == "ROUTED"
    by_ep = {p.endpoint: p for p in t.paths}
    assert set(by_ep) == {"10.244.0.20:9080", "10.244.0.21:9080", "10.244.0.23:9080"}
    assert {p.workload for p in t.paths} == {"reviews-v1", "reviews-v2", "reviews-v3"}
    for ep, proxy in REVIEWS.items():
        path = by_ep[ep]
        assert path.destination == proxy and path.pod == proxy.split(".")[0]
        assert path.transport["kind"] == "mtls"
        assert path.transport["sni"] == "outbound_.9080_._.reviews.default.svc.cluster.local"
        assert path.transport["alpn"] == ["istio-peer-exchange", "istio"]
        kinds = [(h.proxy, h.kind) for h in path.hops]
        assert kinds[0] == (f"{PP}.default", "listener") and (proxy, "listener") in kinds
        assert next(h for h in path.hops if h.proxy == proxy).name == "virtualInbound"
        # Envoy semantics: without istio.alpn in the source's HCM the TLS context's ALPN is offered, and the
        # destination's port-9080 TLS chain wants istio-http/*: no chain matches, and the path says why.
        assert path.disposition == "NO_FILTER_CHAIN"
        assert any("istio.alpn" in n for n in path.notes)
    v3 = by_ep["10.244.0.23:9080"]
    assert v3.destination_trace is None and v3.placed_by == "eds" and not v3.outside_archive
    assert any("no proxy capture in the archive" in n for n in v3.notes)


def test_cross_trace_with_istio_alpn_reaches_the_inbound_chain_and_local_cluster(snap: ml.Snapshot) -> None:
    t = ml.trace(snap, from_=PP, to="reviews:9080", path="/reviews/0", all_endpoints=True,
                 upstream_alpn=["istio-http/1.1"])
    for path in t.paths:
        if path.endpoint not in REVIEWS:
            continue
        dest = path.destination_trace
        assert dest is not None and dest.disposition.value == "ROUTED"
        assert dest.listener == "virtualInbound" and dest.filter_chain == "0.0.0.0_9080"  # the mTLS chain
        assert [c.name for c in dest.clusters] == ["inbound|9080||"]
        assert "given (upstream_alpn)" in path.transport["why"]


def test_istio_alpn_filter_in_the_capture_is_applied(snap: ml.Snapshot) -> None:
    """A source HCM with Istio's istio.alpn filter offers istio-http/1.1: read from the capture, not given."""
    pp = copy.deepcopy(snap.proxy(PP))
    for res in pp.listeners:
        for chain in res.raw.get("filter_chains") or ():
            for flt in chain.get("filters") or ():
                typed = flt.get("typed_config") or {}
                if "HttpConnectionManager" in str(typed.get("@type")):
                    typed["http_filters"].insert(0, {"name": "istio.alpn", "typed_config": {
                        "@type": "type.googleapis.com/istio.envoy.config.filter.http.alpn.v2alpha1.FilterConfig",
                        "alpn_override": [{"upstream_protocol": "HTTP11", "alpn_override": ["istio-http/1.1"]},
                                          {"upstream_protocol": "HTTP2", "alpn_override": ["istio-h2"]}]}})
    pp.derived.clear()
    other = [p for p in snap.proxies if not p.matches(PP)]
    mesh = ml.Snapshot(proxies=[pp, *other])
    t = trace_mesh(mesh, PP, "reviews:9080", "/reviews/0", endpoint="10.244.0.21:9080")
    (path,) = t.paths
    assert path.transport["alpn"] == ["istio-http/1.1"] and "istio.alpn" in path.transport["why"]
    assert path.destination_trace is not None and path.destination_trace.clusters[0].name == "inbound|9080||"


def test_default_follows_one_endpoint_and_says_so(snap: ml.Snapshot) -> None:
    t = ml.trace(snap, from_=PP, to="reviews:9080")
    assert isinstance(t, MeshTrace) and len(t.paths) == 1
    assert any("--all-endpoints" in n for n in t.notes)
    assert t.hops == t.paths[0].hops and {h.proxy for h in t.hops} == {f"{PP}.default", t.paths[0].destination}
    data = t.to_dict()
    assert data["disposition"] == "ROUTED" and all("proxy" in h for h in data["hops"])
    json.dumps(data)
    assert "path 1/1" in str(t)


def test_endpoint_outside_the_archive() -> None:
    cluster = {"transport_socket_matches": [{"name": "tlsMode-istio", "match": {"tlsMode": "istio"},
                                             "transport_socket": {"name": "tls", "typed_config": {
                                                 "@type": "type.googleapis.com/envoy.extensions.transport_sockets"
                                                          ".tls.v3.UpstreamTlsContext", "sni": "x",
                                                 "common_tls_context": {"alpn_protocols": ["istio"]}}}},
                                            {"name": "tlsMode-disabled", "match": {},
                                             "transport_socket": {"name": "envoy.transport_sockets.raw_buffer"}}]}
    plain = upstream_transport(cluster, {"metadata": {}})
    assert plain.kind == "plaintext" and plain.socket_match == "tlsMode-disabled"
    tls = upstream_transport(cluster, {"metadata": {"filter_metadata": {"envoy.transport_socket_match":
                                                                           {"tlsMode": "istio"}}}})
    assert tls.kind == "tls" and tls.sni == "x" and tls.alpn == ("istio",)  # no client certificate: not mTLS


def test_unplaced_endpoint_is_outside_the_archive(snap: ml.Snapshot) -> None:
    pp = snap.proxy(PP)
    alone = ml.Snapshot(proxies=[pp])
    # only the source's own EDS metadata names the reviews pods: placed by EDS, no proxy capture
    t = trace_mesh(alone, PP, "reviews:9080", all_endpoints=True)
    assert all(p.placed_by == "eds" and p.destination_trace is None for p in t.paths)
    stripped = copy.deepcopy(pp)
    for res in stripped.endpoints:
        for group in res.raw.get("endpoints") or ():
            for lb in group.get("lb_endpoints") or ():
                lb.pop("metadata", None)
    stripped.derived.clear()
    t = trace_mesh(ml.Snapshot(proxies=[stripped]), PP, "reviews:9080", all_endpoints=True)
    assert t.paths and all(p.outside_archive and p.destination is None for p in t.paths)
    assert all(p.transport["kind"] == "plaintext" for p in t.paths)  # no tlsMode metadata: raw_buffer


def test_cli_trace_from(archive: str) -> None:
    res = CliRunner().invoke(main, ["trace", archive, "--from", PP, "--to", "reviews:9080", "--all-endpoints",
                                    "-o", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert len(data["paths"]) == 3 and {p["workload"] for p in data["paths"]} == {"reviews-v1", "reviews-v2",
                                                                                  "reviews-v3"}
    res = CliRunner().invoke(main, ["trace", archive, "--from", PP, "--to", "reviews:9080"])
    assert res.exit_code == 0 and "[reviews-v" in res.output and "Istio mTLS" in res.output
    res = CliRunner().invoke(main, ["trace", archive, "--from", "nope", "--to", "reviews:9080"])
    assert res.exit_code == 2 and "Traceback" not in res.output
