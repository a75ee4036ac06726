"""The shipped samples (``samples/envoy/productpage``) are complete, valid and self-consistent.

Counts are taken straight from the JSON sections here, not through meshlens' loader, and compared
with ``intended/manifest.json`` (written by ``scripts/capture_samples.py`` from what Envoy was fed).
"""

from __future__ import annotations

import base64
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"
PRODUCTPAGE = SAMPLES / "envoy" / "productpage"
INTENDED = PRODUCTPAGE / "intended"

NODE_ID = "sidecar~10.244.0.22~productpage-v1-6c886ff494-7vxhs.default~default.svc.cluster.local"
SPIFFE_ID = "spiffe://cluster.local/ns/default/sa/bookinfo-productpage"
REDACTED = base64.b64encode(b"[redacted]").decode()
ADMIN = "type.googleapis.com/envoy.admin.v3."

CAPTURED = ["config_dump.json", "config_dump_include_eds.json", "clusters.json", "clusters.txt", "certs.json",
            "server_info.json", "listeners.txt"]
INTENDED_FILES = ["manifest.json", "bootstrap.json", "istiod_debug_config_dump.json",
                  "istiod_debug_config_dump_include_eds.json", "xds/lds.json", "xds/cds.json"]


@cache
def load(rel: str) -> Any:
    return json.loads((PRODUCTPAGE / rel).read_text())


@cache
def manifest() -> dict[str, Any]:
    return load("intended/manifest.json")


def expected() -> dict[str, int]:
    return manifest()["expected"]


def section(dump: dict[str, Any], kind: str) -> dict[str, Any]:
    found = [s for s in dump["configs"] if s["@type"] == ADMIN + kind]
    assert len(found) == 1, f"{kind}: {len(found)} sections"
    return found[0]


def xds_resources(rel: str) -> list[dict[str, Any]]:
    return load(f"intended/xds/{rel}")["resources"]


def one_per_file(kind: str) -> list[dict[str, Any]]:
    out = []
    for path in sorted((INTENDED / "xds" / kind).glob("*.json")):
        resources = json.loads(path.read_text())["resources"]
        assert len(resources) == 1, f"{path.name}: file xDS takes one resource per file"
        out.append(resources[0])
    return out


# --------------------------------------------------------------------------- presence and validity


def test_provenance_files_exist() -> None:
    assert (SAMPLES / "PROVENANCE.md").is_file()
    text = (SAMPLES / "PROVENANCE.md").read_text()
    assert "scripts/capture_samples.py" in text
    assert "ztunnel/PROVENANCE.md" in text


@pytest.mark.parametrize("name", CAPTURED + [f"intended/{n}" for n in INTENDED_FILES])
def test_sample_file_exists_and_is_small(name: str) -> None:
    path = PRODUCTPAGE / name
    assert path.is_file(), path
    assert 0 < path.stat().st_size < 1_000_000, f"{name}: {path.stat().st_size} bytes"


def test_every_json_file_parses() -> None:
    files = sorted(PRODUCTPAGE.rglob("*.json"))
    assert len(files) >= len(CAPTURED) - 2 + len(INTENDED_FILES)
    for path in files:
        json.loads(path.read_text())


def test_no_private_key_material() -> None:
    pem_b64 = base64.b64encode(b"-----BEGIN PRIVATE KEY-----")[:24].decode()
    for path in PRODUCTPAGE.rglob("*"):
        if path.is_file():
            text = path.read_text()
            assert "PRIVATE KEY-----" not in text, path
            assert pem_b64 not in text, path


# --------------------------------------------------------------------------- Envoy's dump vs the manifest


def envoy_counts(dump: dict[str, Any]) -> dict[str, int]:
    clusters = section(dump, "ClustersConfigDump")
    listeners = section(dump, "ListenersConfigDump")
    routes = section(dump, "RoutesConfigDump")
    dynamic_routes = [d["route_config"] for d in routes.get("dynamic_route_configs", [])]
    return {
        "static_clusters": len(clusters.get("static_clusters", [])),
        "dynamic_clusters": len(clusters.get("dynamic_active_clusters", [])),
        "eds_clusters": sum(1 for d in clusters.get("dynamic_active_clusters", [])
                            if d["cluster"].get("type") == "EDS"),
        "static_listeners": len(listeners.get("static_listeners", [])),
        "dynamic_listeners": sum(1 for d in listeners.get("dynamic_listeners", []) if "active_state" in d),
        "route_configs": len(dynamic_routes),
        "static_route_configs": len(routes.get("static_route_configs", [])),
        "virtual_hosts": sum(len(r.get("virtual_hosts", [])) for r in dynamic_routes),
        "secrets": len(section(dump, "SecretsConfigDump").get("dynamic_active_secrets", [])),
    }


@pytest.mark.parametrize("name", ["config_dump.json", "config_dump_include_eds.json"])
def test_envoy_dump_counts_match_manifest(name: str) -> None:
    dump = load(name)
    want = {k: v for k, v in expected().items() if k != "endpoints"}
    assert envoy_counts(dump) == want
    clusters = section(dump, "ClustersConfigDump")
    assert "dynamic_warming_clusters" not in clusters
    assert all(set(d) == {"name", "active_state"}
               for d in section(dump, "ListenersConfigDump")["dynamic_listeners"])


def test_envoy_dump_sections() -> None:
    plain = [s["@type"].removeprefix(ADMIN) for s in load("config_dump.json")["configs"]]
    assert plain == ["BootstrapConfigDump", "ClustersConfigDump", "ListenersConfigDump", "ScopedRoutesConfigDump",
                     "RoutesConfigDump", "SecretsConfigDump"]
    with_eds = [s["@type"].removeprefix(ADMIN) for s in load("config_dump_include_eds.json")["configs"]]
    assert with_eds == plain[:2] + ["EndpointsConfigDump"] + plain[2:]


def test_envoy_dump_endpoints_match_manifest() -> None:
    eds = section(load("config_dump_include_eds.json"), "EndpointsConfigDump")
    dynamic = eds["dynamic_endpoint_configs"]
    # Envoy lists an assignment for every cluster, empty for the non-EDS ones.
    assert len(dynamic) == expected()["dynamic_clusters"]
    assert len(eds["static_endpoint_configs"]) == expected()["static_clusters"]
    hosts = [ep for d in dynamic for loc in d["endpoint_config"].get("endpoints", []) for ep in loc["lb_endpoints"]]
    assert len(hosts) == expected()["endpoints"]
    assert {ep["health_status"] for ep in hosts} == {"HEALTHY"}


def test_envoy_dump_node_and_versions() -> None:
    dump = load("config_dump.json")
    node = section(dump, "BootstrapConfigDump")["bootstrap"]["node"]
    assert node["id"] == NODE_ID == manifest()["node_id"]
    meta = node["metadata"]
    assert meta["MESHLENS_SAMPLE"] == "true"
    for key in ("ISTIO_VERSION", "CLUSTER_ID", "NAMESPACE", "LABELS", "MESH_ID"):
        assert key in meta
    version = manifest()["version_info"]
    assert section(dump, "ClustersConfigDump")["version_info"] == version
    assert all(d["version_info"] == version for d in section(dump, "ClustersConfigDump")["dynamic_active_clusters"])


def test_envoy_redacts_private_key() -> None:
    for d in section(load("config_dump.json"), "SecretsConfigDump")["dynamic_active_secrets"]:
        tls = d["secret"].get("tls_certificate")
        if tls:
            assert tls["private_key"] == {"inline_bytes": REDACTED}


def test_dump_echoes_what_was_fed() -> None:
    dump = load("config_dump.json")
    fed_clusters = {c["name"]: c for c in xds_resources("cds.json")}
    got_clusters = {d["cluster"]["name"]: d["cluster"]
                    for d in section(dump, "ClustersConfigDump")["dynamic_active_clusters"]}
    assert got_clusters == fed_clusters
    fed_listeners = {lst["name"]: lst for lst in xds_resources("lds.json")}
    got_listeners = {d["name"]: d["active_state"]["listener"]
                     for d in section(dump, "ListenersConfigDump")["dynamic_listeners"]}
    assert got_listeners == fed_listeners
    fed_routes = {r["name"]: r for r in one_per_file("rds")}
    got_routes = {d["route_config"]["name"]: d["route_config"]
                  for d in section(dump, "RoutesConfigDump")["dynamic_route_configs"]}
    assert got_routes == fed_routes


# --------------------------------------------------------------------------- other admin pages


def test_clusters_json_matches_manifest() -> None:
    statuses = load("clusters.json")["cluster_statuses"]
    assert len(statuses) == expected()["static_clusters"] + expected()["dynamic_clusters"]
    eds_hosts = sum(len(s.get("host_statuses", [])) for s in statuses if s.get("added_via_api")
                    and s["name"].startswith("outbound|"))
    assert eds_hosts == expected()["endpoints"]


def test_clusters_text_has_every_cluster() -> None:
    names = {line.split("::", 1)[0] for line in (PRODUCTPAGE / "clusters.txt").read_text().splitlines() if line}
    assert len(names) == expected()["static_clusters"] + expected()["dynamic_clusters"]


def test_listeners_text_lists_every_listener() -> None:
    lines = [ln for ln in (PRODUCTPAGE / "listeners.txt").read_text().splitlines() if ln]
    assert len(lines) == expected()["static_listeners"] + expected()["dynamic_listeners"]
    names = {ln.split("::", 1)[0] for ln in lines}
    assert {"virtualOutbound", "virtualInbound", "0.0.0.0_9080", "10.96.0.10_53"} <= names


def test_certs_show_the_workload_leaf() -> None:
    certs = load("certs.json")["certificates"]
    assert certs
    uris = {san.get("uri") for c in certs for leaf in c["cert_chain"] for san in leaf["subject_alt_names"]}
    assert uris == {SPIFFE_ID}


def test_server_info_is_live() -> None:
    info = load("server_info.json")
    assert info["state"] == "LIVE"
    assert info["version"].split("/")[1] in manifest()["envoy_version"]
    assert info["node"]["id"] == NODE_ID


# --------------------------------------------------------------------------- what was fed, and istiod's form


def test_fed_resources_match_manifest() -> None:
    clusters = xds_resources("cds.json")
    assert len(clusters) == expected()["dynamic_clusters"]
    assert sum(1 for c in clusters if c.get("type") == "EDS") == expected()["eds_clusters"]
    assert len(xds_resources("lds.json")) == expected()["dynamic_listeners"]
    routes = one_per_file("rds")
    assert len(routes) == expected()["route_configs"]
    assert sum(len(r["virtual_hosts"]) for r in routes) == expected()["virtual_hosts"]
    assignments = one_per_file("eds")
    assert len(assignments) == expected()["eds_clusters"]
    assert sum(len(loc["lb_endpoints"]) for a in assignments for loc in a.get("endpoints", [])) == \
        expected()["endpoints"]
    secrets = one_per_file("sds")
    assert len(secrets) == expected()["secrets"]
    assert {s["name"] for s in secrets} == {"default", "ROOTCA"}


def istiod_counts(dump: dict[str, Any]) -> dict[str, int]:
    clusters = section(dump, "ClustersConfigDump")["dynamicActiveClusters"]
    routes = [d["routeConfig"] for d in section(dump, "RoutesConfigDump")["dynamicRouteConfigs"]]
    return {
        "dynamic_clusters": len(clusters),
        "eds_clusters": sum(1 for d in clusters if d["cluster"].get("type") == "EDS"),
        "dynamic_listeners": len(section(dump, "ListenersConfigDump")["dynamicListeners"]),
        "route_configs": len(routes),
        "virtual_hosts": sum(len(r["virtualHosts"]) for r in routes),
        "secrets": len(section(dump, "SecretsConfigDump")["dynamicActiveSecrets"]),
    }


@pytest.mark.parametrize("include_eds", [False, True])
def test_istiod_intended_dump(include_eds: bool) -> None:
    name = "istiod_debug_config_dump_include_eds.json" if include_eds else "istiod_debug_config_dump.json"
    dump = load(f"intended/{name}")
    kinds = [s["@type"].removeprefix(ADMIN) for s in dump["configs"]]
    want_kinds = ["BootstrapConfigDump", "ClustersConfigDump", "ListenersConfigDump", "ScopedRoutesConfigDump",
                  "RoutesConfigDump", "SecretsConfigDump", "EcdsConfigDump"]
    if include_eds:
        want_kinds.insert(2, "EndpointsConfigDump")
    assert kinds == want_kinds
    assert dump["configs"][0] == {"@type": ADMIN + "BootstrapConfigDump"}
    counts = istiod_counts(dump)
    assert counts == {k: expected()[k] for k in counts}
    version = manifest()["version_info"]
    assert section(dump, "ClustersConfigDump")["versionInfo"] == version
    assert section(dump, "ListenersConfigDump")["versionInfo"] == version
    for d in section(dump, "ListenersConfigDump")["dynamicListeners"]:
        assert set(d) == {"name", "activeState"} and d["activeState"]["versionInfo"] == version
    for d in section(dump, "SecretsConfigDump")["dynamicActiveSecrets"]:
        assert set(d) == {"versionInfo", "secret"}
        if "tlsCertificate" in d["secret"]:
            assert d["secret"]["tlsCertificate"]["privateKey"] == {"inlineBytes": REDACTED}
    if include_eds:
        eds = section(dump, "EndpointsConfigDump")["dynamicEndpointConfigs"]
        assert len(eds) == expected()["eds_clusters"]
        assert sum(len(loc["lbEndpoints"]) for d in eds for loc in d["endpointConfig"].get("endpoints", [])) == \
            expected()["endpoints"]


def test_istiod_dump_keeps_data_keys() -> None:
    """camelCase for fields, original spelling for Struct / map keys."""
    dump = load("intended/istiod_debug_config_dump_include_eds.json")
    clusters = [d["cluster"] for d in section(dump, "ClustersConfigDump")["dynamicActiveClusters"]]
    reviews = next(c for c in clusters if c["name"] == "outbound|9080||reviews.default.svc.cluster.local")
    istio = reviews["metadata"]["filterMetadata"]["istio"]
    assert istio["default_original_port"] == 9080
    assert istio["config"].endswith("/destination-rule/reviews")
    assert reviews["transportSocketMatches"][0]["match"] == {"tlsMode": "istio"}
    passthrough = next(c for c in clusters if c["name"] == "PassthroughCluster")
    assert list(passthrough["typedExtensionProtocolOptions"]) == [
        "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
    ]
    eds = section(dump, "EndpointsConfigDump")["dynamicEndpointConfigs"]
    md = eds[0]["endpointConfig"]["endpoints"][0]["lbEndpoints"][0]["metadata"]["filterMetadata"]
    assert "istio" in md


def test_reviews_virtual_service_routes() -> None:
    routes = section(load("config_dump.json"), "RoutesConfigDump")["dynamic_route_configs"]
    rc = next(d["route_config"] for d in routes if d["route_config"]["name"] == "9080")
    vhosts = {v["name"]: v for v in rc["virtual_hosts"]}
    assert "allow_any" in vhosts
    assert vhosts["allow_any"]["routes"][0]["route"]["cluster"] == "PassthroughCluster"
    reviews = vhosts["reviews.default.svc.cluster.local:9080"]
    assert {"reviews", "reviews:9080", "10.96.201.33", "reviews.default.svc.cluster.local:9080"} <= \
        set(reviews["domains"])
    jason, default = reviews["routes"]
    assert jason["match"]["headers"] == [{"name": "end-user", "string_match": {"exact": "jason"}}]
    assert jason["route"]["cluster"] == "outbound|9080|v2|reviews.default.svc.cluster.local"
    weights = {c["name"].split("|")[2]: c["weight"] for c in default["route"]["weighted_clusters"]["clusters"]}
    assert weights == {"v1": 50, "v3": 50}
    assert jason["metadata"]["filter_metadata"]["istio"]["config"].endswith("/virtual-service/reviews")


# --- the samples through meshlens itself (the README's main job) -------------------------------
def test_samples_load_with_meshlens_and_match_the_manifest() -> None:
    import meshlens

    base = SAMPLES / "envoy" / "productpage"
    expected = json.loads((base / "intended" / "manifest.json").read_text())["expected"]
    snap = meshlens.load(base / "config_dump_include_eds.json")
    proxy = snap.proxy()
    assert snap.findings == []
    assert sum(1 for c in proxy.clusters if c.state == "static") == expected["static_clusters"]
    assert sum(1 for c in proxy.clusters if c.state == "active") == expected["dynamic_clusters"]
    assert sum(1 for r in proxy.listeners if r.state == "active") == expected["dynamic_listeners"]
    assert sum(r.lb_endpoint_count for r in proxy.endpoints if r.is_dynamic) == expected["endpoints"]
    drift = meshlens.diff(base / "intended" / "istiod_debug_config_dump_include_eds.json", proxy)
    assert drift.resources == []
    t = meshlens.trace(proxy, to="reviews:9080", path="/reviews/0", headers={"end-user": "jason"})
    assert t.disposition.value == "ROUTED" and t.cluster is not None and "reviews" in t.cluster
    folder = meshlens.load(base)  # the dump with its /clusters, /certs and /server_info, as one proxy
    assert {p.group for p in folder.proxies} == {"", "intended"}


def test_ztunnel_sample_loads_in_list_shape() -> None:
    import meshlens

    z = meshlens.load(SAMPLES / "ztunnel" / "config_dump.json").ztunnel()
    assert z.shape == "list" and z.workloads and z.services and z.certificates
