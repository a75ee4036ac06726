"""Envoy /config_dump loading over real captures: counts, states, casing, variants, tolerance."""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path

import pytest
import yaml

import meshlens
from meshlens.models.casing import to_camel_tree
from meshlens.models.envoy.listener import HttpConnectionManager, UnknownTypedConfig
from tests.conftest import FIXTURES, fixture_path, needs_shared


def _dump_files() -> list[Path]:
    if not FIXTURES.is_dir():
        return []
    files = sorted(FIXTURES.glob("envoy/*/config_dump*.json")) + sorted(FIXTURES.glob("envoy/*/intended/istiod_*.json"))
    files += sorted(FIXTURES.glob("istio/envoy-configdump__*")) + sorted(FIXTURES.glob("istio/envoy-bootstrap__*"))
    return [f for f in files if "resource_bogus" not in f.name]


@needs_shared
@pytest.mark.parametrize("path", _dump_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_real_dump_loads_and_validates(path: Path) -> None:
    snap = meshlens.load(path)
    assert len(snap.proxies) == 1
    proxy = snap.proxy()
    resources = [*proxy.listeners, *proxy.clusters, *proxy.route_configs, *proxy.endpoints, *proxy.secrets,
                 *proxy.ecds]
    assert resources or proxy.bootstrap is not None
    for res in resources:
        assert res.validate() is None, res.validate()
        assert res.state in {"static", "active", "warming", "draining", "rejected"}
        assert isinstance(res.raw, dict)


def _manifest(capture: str) -> dict[str, int]:
    return json.loads(fixture_path("envoy", capture, "intended", "manifest.json").read_text())["expected"]


@needs_shared
@pytest.mark.parametrize("capture", ["sidecar-productpage", "sidecar-unhealthy"])
def test_counts_match_manifest(capture: str) -> None:
    expected = _manifest(capture)
    proxy = meshlens.load(fixture_path("envoy", capture, "config_dump_include_eds.json")).proxy()

    def count(items: list, state: str) -> int:
        return sum(1 for r in items if r.state == state)

    assert count(proxy.clusters, "static") == expected["static_clusters"]
    assert count(proxy.clusters, "active") == expected["dynamic_clusters"]
    assert count(proxy.listeners, "static") == expected["static_listeners"]
    assert count(proxy.listeners, "active") == expected["dynamic_listeners"]
    assert count(proxy.route_configs, "active") == expected["route_configs"]
    assert count(proxy.secrets, "active") == expected["secrets"]
    assert sum(1 for c in proxy.clusters if c.discovery_type == "EDS") == expected["eds_clusters"]
    assert sum(r.lb_endpoint_count for r in proxy.endpoints if r.is_dynamic) == expected["endpoints"]
    assert sum(r.virtual_host_count for r in proxy.route_configs if r.is_dynamic) == expected["virtual_hosts"]


@needs_shared
def test_healthy_productpage_identity_and_types() -> None:
    proxy = meshlens.load(fixture_path("envoy", "sidecar-productpage", "config_dump.json")).proxy()
    assert proxy.node_id == "sidecar~10.244.0.22~productpage-v1-6c886ff494-7vxhs.default~default.svc.cluster.local"
    assert proxy.name == "productpage-v1-6c886ff494-7vxhs.default"
    assert proxy.node.istio_version == "1.24.2"
    assert proxy.node.envoy_version == "1.40.0"
    reviews = [c for c in proxy.clusters if "reviews" in c.name]
    assert sorted(c.parsed_name.subset for c in reviews) == ["", "v1", "v2", "v3"]
    assert all(c.eds_service_name == c.name for c in reviews)
    outbound = next(r for r in proxy.listeners if r.name == "virtualOutbound").listener
    assert outbound.use_original_dst is True and outbound.port == 15001
    http = next(r for r in proxy.listeners if r.name == "0.0.0.0_9080").listener
    hcm = next(ch.hcm for ch in http.filter_chains if ch.hcm is not None)
    assert isinstance(hcm, HttpConnectionManager) and hcm.route_config_name == "9080"
    route = next(r for r in proxy.route_configs if r.name == "9080").route_config
    assert "allow_any" in [vh.name for vh in route.virtual_hosts]
    default = next(s for s in proxy.secrets if s.name == "default")
    leaf = default.certificates[0]
    assert leaf.spiffe_id == "spiffe://cluster.local/ns/default/sa/bookinfo-productpage"
    assert default.certificate_error is None
    # Envoy lists inline route configs once per filter chain: same name twice, both kept.
    assert [r.name for r in proxy.route_configs if r.state == "static"].count("inbound|9080||") == 2
    healthy = meshlens.load(fixture_path("envoy", "sidecar-productpage", "config_dump_include_eds.json"))
    assert healthy.findings == []


@needs_shared
def test_degraded_capture_reports_warming_and_rejected() -> None:
    snap = meshlens.load(fixture_path("envoy", "sidecar-productpage-degraded", "config_dump.json"))
    proxy = snap.proxy()
    by_name = {r.name: r for r in proxy.listeners}
    assert by_name["0.0.0.0_8081"].state == "warming"
    rejected = by_name["0.0.0.0_8082"]
    assert rejected.state == "rejected"
    assert "duplicate matcher" in rejected.error.details
    assert rejected.listener.port == 8082  # the failed configuration is kept and typed
    warming = [c.name for c in proxy.clusters if c.state == "warming"]
    assert warming == ["outbound|8080||ghost.default.svc.cluster.local"]
    assert not any("broken" in c.name for c in proxy.clusters)  # rejected clusters vanish from the dump
    codes = {(f.code, f.name) for f in snap.findings}
    assert ("ML0005", "0.0.0.0_8081") in codes
    assert ("ML0005", "outbound|8080||ghost.default.svc.cluster.local") in codes
    assert ("ML0004", "0.0.0.0_8082") in codes
    assert ("ML0006", "0.0.0.0_8082") in codes  # the unnamed twin is reported, not counted
    assert sum(1 for r in proxy.listeners if r.state == "rejected") == 1


@needs_shared
@pytest.mark.parametrize("capture", ["sidecar-productpage", "sidecar-unhealthy", "sidecar-productpage-degraded"])
def test_camel_istiod_dump_equals_envoy_snake_dump(capture: str) -> None:
    """istiod's camelCase dump of what was sent equals what Envoy echoes back (snake_case)."""
    intended = meshlens.load(fixture_path("envoy", capture, "intended", "istiod_debug_config_dump.json")).proxy()
    loaded = meshlens.load(fixture_path("envoy", capture, "config_dump.json")).proxy()
    assert intended.config_dump_style == "camel" and loaded.config_dump_style == "snake"
    for kind in ("clusters", "listeners", "route_configs", "secrets"):
        mine = {r.name: r for r in getattr(loaded, kind) if r.state == "active"}
        theirs = {r.name: r for r in getattr(intended, kind)}
        common = set(mine) & set(theirs)
        assert common, kind
        for name in common:
            if kind == "secrets":  # Envoy redacts the private key; istiod writes it as given
                continue
            assert mine[name].raw == theirs[name].raw, (kind, name)
            assert mine[name].config == theirs[name].config, (kind, name)


def test_camel_and_snake_of_same_config_load_to_equal_models() -> None:
    snake = {"configs": [
        {"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump", "version_info": "v1",
         "dynamic_active_clusters": [{"version_info": "v1", "cluster": {
             "@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster",
             "name": "outbound|9080||reviews.default.svc.cluster.local", "type": "EDS",
             "eds_cluster_config": {"eds_config": {"ads": {}, "resource_api_version": "V3"},
                                    "service_name": "outbound|9080||reviews.default.svc.cluster.local"},
             "metadata": {"filter_metadata": {"istio": {"default_original_port": 9080}}},
             "transport_socket_matches": [{"name": "tlsMode-istio", "match": {"tlsMode": "istio"}}]}}]}]}
    camel = to_camel_tree(snake)
    assert "dynamicActiveClusters" in camel["configs"][0]
    assert camel["configs"][0]["dynamicActiveClusters"][0]["cluster"]["metadata"]["filterMetadata"]["istio"] == {
        "default_original_port": 9080}
    a = meshlens.load(copy.deepcopy(snake)).proxy().clusters[0]
    b = meshlens.load(camel).proxy().clusters[0]
    assert a.raw == b.raw
    assert a.config == b.config
    assert b.config.transport_socket_matches[0].match == {"tlsMode": "istio"}


@needs_shared
def test_unknown_types_are_kept() -> None:
    data = json.loads(fixture_path("envoy", "sidecar-productpage", "config_dump.json").read_text())
    data["configs"].append({"@type": "type.googleapis.com/envoy.admin.v3.FutureThingConfigDump", "things": [1]})
    listeners = next(c for c in data["configs"] if c["@type"].endswith("ListenersConfigDump"))
    target = listeners["dynamic_listeners"][0]["active_state"]["listener"]
    exotic = {"name": "istio.metadata_exchange",
              "typed_config": {"@type": "type.googleapis.com/envoy.tcp.metadataexchange.config.MetadataExchange",
                               "protocol": "istio-peer-exchange", "enable_discovery": True}}
    target["filter_chains"][0]["filters"].insert(0, exotic)
    snap = meshlens.load(data)
    proxy = snap.proxy()
    assert proxy.unknown_sections == [{"@type": "type.googleapis.com/envoy.admin.v3.FutureThingConfigDump",
                                       "things": [1]}]
    assert any(f.code == "ML0001" for f in snap.findings)
    listener = next(r for r in proxy.listeners if r.name == target["name"]).listener
    tc = listener.filter_chains[0].filters[0].typed_config
    assert isinstance(tc, UnknownTypedConfig)
    assert tc.model_extra == {"protocol": "istio-peer-exchange", "enable_discovery": True}
    assert tc.type_url.endswith("MetadataExchange")


@needs_shared
def test_resource_and_mask_variants() -> None:
    base = ("envoy", "sidecar-productpage")
    expect = {"config_dump_resource_dynamic_active_clusters.json": ("clusters", 18),
              "config_dump_resource_dynamic_listeners.json": ("listeners", 10),
              "config_dump_resource_dynamic_route_configs.json": ("route_configs", 4),
              "config_dump_resource_dynamic_endpoint_configs.json": ("endpoints", 18),
              "config_dump_resource_dynamic_active_secrets.json": ("secrets", 2),
              "config_dump_mask_clusters_names.json": ("clusters", 18)}
    for name, (kind, n) in expect.items():
        snap = meshlens.load(fixture_path(*base, name))
        assert len(getattr(snap.proxy(), kind)) == n, name
    regex = meshlens.load(fixture_path(*base, "config_dump_name_regex_reviews.json")).proxy()
    assert regex.node_id  # name_regex keeps the whole bootstrap
    assert all("reviews" in c.name for c in regex.clusters if c.state == "active")


@needs_shared
def test_v2alpha_dump_loads_like_v3() -> None:
    text = fixture_path("envoy", "sidecar-productpage", "config_dump.json").read_text()
    old = text.replace("envoy.admin.v3.", "envoy.admin.v2alpha.").replace(
        "envoy.config.cluster.v3.Cluster", "envoy.api.v2.Cluster")
    data = json.loads(old)
    # v2 listener dumps had one list per state instead of dynamic_listeners[].{state}
    section = next(c for c in data["configs"] if c["@type"].endswith("ListenersConfigDump"))
    section["dynamic_active_listeners"] = [d["active_state"] for d in section.pop("dynamic_listeners")]
    proxy = meshlens.load(data).proxy()
    assert sum(1 for c in proxy.clusters if c.state == "active") == 18
    assert sum(1 for r in proxy.listeners if r.state == "active") == 10


@needs_shared
def test_same_dump_from_every_input_form(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    src = fixture_path("envoy", "sidecar-productpage", "config_dump.json")
    raw = src.read_bytes()
    (tmp_path / "dump.json.gz").write_bytes(gzip.compress(raw))
    (tmp_path / "dump.yaml").write_text(yaml.safe_dump(json.loads(raw)))
    forms = [src, tmp_path / "dump.json.gz", tmp_path / "dump.yaml", raw, json.loads(raw), str(src)]
    counts = set()
    for form in forms:
        proxy = meshlens.load(form).proxy()
        counts.add((len(proxy.clusters), len(proxy.listeners), len(proxy.route_configs), len(proxy.secrets)))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(gzip.compress(raw))))
    proxy = meshlens.load("-").proxy()
    counts.add((len(proxy.clusters), len(proxy.listeners), len(proxy.route_configs), len(proxy.secrets)))
    assert counts == {(22, 12, 8, 3)}
    assert src.read_bytes() == raw  # nothing the user gave is modified


BAD_INPUTS = {
    "truncated.json": b'{"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump", "stat',
    "list.json": b"[]",
    "image.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)),
    "empty.json": b"",
    "binary.bin": bytes([0, 1, 2, 3, 255, 254]) * 50,
    "not-json.txt": b"hello: world\n",
    "bad.gz": b"\x1f\x8b\x08\x00garbage",
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_raises_located_load_error(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(BAD_INPUTS[name])
    with pytest.raises(meshlens.LoadError) as info:
        meshlens.load(path)
    message = str(info.value)
    assert str(path) in message
    assert "\n" not in message


def test_malformed_resource_is_located_not_a_traceback() -> None:
    data = {"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump",
                         "dynamic_active_clusters": [{"cluster": {"name": "c1", "type": "EDS",
                                                                  "connect_timeout": "1s",
                                                                  "transport_socket_matches": "oops"}}]}]}
    proxy = meshlens.load(data).proxy()
    err = proxy.clusters[0].validate()
    assert err is not None
    assert err.json_path == "$.configs[0].dynamic_active_clusters[0].cluster.transport_socket_matches"


def test_byte_order_marks_are_accepted() -> None:
    import codecs

    data = json.dumps({"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump",
                                    "static_clusters": [{"cluster": {"name": "a"}}]}]})
    assert len(meshlens.load(codecs.BOM_UTF8 + data.encode()).proxy().clusters) == 1
    assert len(meshlens.load(data.encode("utf-16")).proxy().clusters) == 1


def test_junk_entries_are_findings_not_crashes() -> None:
    snap = meshlens.load({"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump",
                                       "dynamic_active_clusters": [None, {"cluster": {"name": "a"}}],
                                       "static_clusters": "nope"}]})
    assert [c.name for c in snap.proxy().clusters] == ["a"]
    junk = {f.location.json_path for f in snap.findings if f.code == "ML0007"}
    assert junk == {"$.configs[0].dynamic_active_clusters[0]", "$.configs[0].static_clusters"}
