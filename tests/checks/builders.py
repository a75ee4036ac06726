"""Captures derived from the real ones for check cases the real captures do not show.

Each builder takes the fixtures root and returns ``[(file name, document)]``: the documents are
written to a temporary folder and loaded with :func:`meshlens.load_many`, the path real files take.
Every derivation is a small, named edit of a real capture, described in its docstring; nothing is
made up from scratch.
"""

from __future__ import annotations

import copy
import gzip
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

Doc = tuple[str, Any]
BUGREPORT = "bugreport/bookinfo-mesh.tar.gz"
PRODUCTPAGE = "envoy/sidecar-productpage/config_dump_include_eds.json"
UNHEALTHY_RDS = "envoy/sidecar-unhealthy/config_dump_include_eds.json"
ZTUNNEL_LEGACY = "istio/ztunnel-configdump__legacy-map-format__bookinfo.json"


REPO = Path(__file__).resolve().parents[2]


def read_json(root: Path, rel: str) -> Any:
    """A fixture under ``root`` (../shared/fixtures), or ``samples/...`` of this repository."""
    data = (REPO / rel if rel.startswith("samples/") else root / rel).read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return orjson.loads(data)


def bugreport_member(root: Path, suffix: str) -> Any:
    with tarfile.open(root / BUGREPORT, "r:gz") as tar:
        for member in tar:
            if member.name.endswith(suffix):
                handle = tar.extractfile(member)
                assert handle is not None
                return orjson.loads(handle.read())
    raise KeyError(suffix)


def section(dump: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(c for c in dump["configs"] if c["@type"].endswith("." + kind))


def route_config(dump: dict[str, Any], name: str) -> dict[str, Any]:
    routes = section(dump, "RoutesConfigDump")
    return next(r["route_config"] for r in routes["dynamic_route_configs"] if r["route_config"]["name"] == name)


def vhost(config: dict[str, Any], name: str) -> dict[str, Any]:
    return next(v for v in config["virtual_hosts"] if v["name"] == name)


def set_node(dump: dict[str, Any], node_id: str) -> None:
    section(dump, "BootstrapConfigDump")["bootstrap"]["node"]["id"] = node_id


# ------------------------------------------------------------------------------------ certificates
def reviews_v2_trusts_other_root(root: Path) -> list[Doc]:
    """reviews-v2's dump (leaf from root B) with the ROOTCA of reviews-v1 (root A): the leaf no
    longer chains to the proxy's roots (a CA rotation applied to ROOTCA but not to the leaf)."""
    v2 = bugreport_member(root, "reviews-v2-65cb66b45c-9d2rz/config_dump?include_eds")
    v1 = bugreport_member(root, "reviews-v1-5c4d6d447c-jq8sm/config_dump?include_eds")
    secrets_v1 = section(v1, "SecretsConfigDump")["dynamic_active_secrets"]
    secrets_v2 = section(v2, "SecretsConfigDump")["dynamic_active_secrets"]
    root_a = next(s for s in secrets_v1 if s["name"] == "ROOTCA")
    for i, entry in enumerate(secrets_v2):
        if entry["name"] == "ROOTCA":
            secrets_v2[i] = copy.deepcopy(root_a)
    return [("reviews-v2-config_dump.json", v2), ("reviews-v1-config_dump.json", v1)]


# ---------------------------------------------------------------------------------------- listeners
def kube_dns_cluster_removed(root: Path) -> list[Doc]:
    """sidecar-productpage without the cluster ``outbound|53||kube-dns...`` its TCP listener
    ``10.96.0.10_53`` sends to."""
    dump = read_json(root, PRODUCTPAGE)
    clusters = section(dump, "ClustersConfigDump")
    clusters["dynamic_active_clusters"] = [
        c for c in clusters["dynamic_active_clusters"]
        if c["cluster"]["name"] != "outbound|53||kube-dns.kube-system.svc.cluster.local"]
    return [("config_dump.json", dump)]


def registry_only_without_ratings(root: Path) -> list[Doc]:
    """Two sidecars of one mesh: productpage as captured (ALLOW_ANY, knows ratings), and a copy
    as another pod (``reviews-v9-...``) switched to REGISTRY_ONLY the way istiod renders it (the
    outbound catch-all chain to BlackHoleCluster, ``allow_any`` virtual hosts replaced by a
    ``block_all`` one answering 502) and scoped by a Sidecar that leaves ratings out (no ratings
    clusters, no ratings virtual host)."""
    original = read_json(root, PRODUCTPAGE)
    dump = copy.deepcopy(original)
    set_node(dump, "sidecar~10.244.0.99~reviews-v9-7d9c9f8d7b-abcde.default~default.svc.cluster.local")
    listeners = section(dump, "ListenersConfigDump")["dynamic_listeners"]
    outbound = next(entry["active_state"]["listener"] for entry in listeners if entry["name"] == "virtualOutbound")
    for flt in outbound["default_filter_chain"]["filters"]:
        flt["typed_config"]["cluster"] = "BlackHoleCluster"
        flt["typed_config"]["stat_prefix"] = "BlackHoleCluster"
    routes = section(dump, "RoutesConfigDump")["dynamic_route_configs"]
    for entry in routes:
        config = entry["route_config"]
        hosts = [v for v in config["virtual_hosts"] if not v["name"].startswith("ratings.")]
        for v in hosts:
            if v["name"] == "allow_any":
                v["name"] = "block_all"
                v["routes"] = [{"match": {"prefix": "/"}, "direct_response": {"status": 502}, "name": "block_all"}]
        config["virtual_hosts"] = hosts
    clusters = section(dump, "ClustersConfigDump")
    clusters["dynamic_active_clusters"] = [c for c in clusters["dynamic_active_clusters"]
                                           if "|ratings." not in c["cluster"]["name"]]
    return [("productpage.json", original), ("reviews-v9.json", dump)]


# ------------------------------------------------------------------------------------------- routes
def catch_all_first(root: Path) -> list[Doc]:
    """sidecar-unhealthy with the reviews virtual host's ``default`` route (``prefix: /``) moved
    before the ``end-user`` header routes, as a VirtualService whose match-less rule comes first."""
    dump = read_json(root, UNHEALTHY_RDS)
    reviews = vhost(route_config(dump, "9080"), "reviews.default.svc.cluster.local:9080")
    routes = reviews["routes"]
    default = next(r for r in routes if r.get("name") == "default")
    reviews["routes"] = [default] + [r for r in routes if r is not default]
    return [("config_dump.json", dump)]


def duplicated_domain(root: Path) -> list[Doc]:
    """sidecar-productpage with the ratings virtual host also claiming ``details:9080``."""
    dump = read_json(root, PRODUCTPAGE)
    config = route_config(dump, "9080")
    vhost(config, "ratings.default.svc.cluster.local:9080")["domains"].append("details:9080")
    return [("config_dump.json", dump)]


# ------------------------------------------------------------------------------------------ ztunnel
def ztunnel_workload_removed(root: Path) -> list[Doc]:
    """The legacy ztunnel dump without the workload ``bookinfo/reviews-v2-5b667bcbf8-q5pn2``,
    still an endpoint of ``bookinfo/reviews``."""
    dump = read_json(root, ZTUNNEL_LEGACY)
    dump["workloads"] = {k: w for k, w in dump["workloads"].items() if w.get("name") != "reviews-v2-5b667bcbf8-q5pn2"}
    return [("ztunnel.json", dump)]


def ztunnel_service_staged(root: Path) -> list[Doc]:
    """The legacy ztunnel dump with ``bookinfo/ratings`` removed from ``services`` and its
    endpoints moved to ``stagedServices`` (what ztunnel holds before the Service arrives)."""
    dump = read_json(root, ZTUNNEL_LEGACY)
    key = next(k for k, s in dump["services"].items() if s["hostname"] == "ratings.bookinfo.svc.cluster.local")
    service = dump["services"].pop(key)
    dump["stagedServices"] = {"bookinfo/ratings.bookinfo.svc.cluster.local": service["endpoints"]}
    return [("ztunnel.json", dump)]


def ztunnel_waypoint_service_removed(root: Path) -> list[Doc]:
    """The legacy ztunnel dump without the service ``bookinfo/namespace-istio-waypoint`` whose VIP
    ``/10.96.65.117`` bookinfo workloads use as their waypoint."""
    dump = read_json(root, ZTUNNEL_LEGACY)
    dump["services"] = {k: s for k, s in dump["services"].items() if s["name"] != "namespace-istio-waypoint"}
    return [("ztunnel.json", dump)]


def sample_service_removed(root: Path) -> list[Doc]:
    """samples/ztunnel without the service ``bookinfo/details``, which workload details-v1 backs."""
    dump = read_json(root, "samples/ztunnel/config_dump.json")
    dump["services"] = [s for s in dump["services"] if s["hostname"] != "details.bookinfo.svc.cluster.local"]
    return [("ztunnel.json", dump)]


# ----------------------------------------------------------------------------------- load findings
def ztunnel_certs_available(root: Path) -> list[Doc]:
    """The legacy ztunnel dump keeping only its Available certificate entry."""
    dump = read_json(root, ZTUNNEL_LEGACY)
    dump["certificates"] = [c for c in dump["certificates"] if c["state"] == "Available"]
    return [("ztunnel.json", dump)]


def unknown_section(root: Path) -> list[Doc]:
    """sidecar-productpage with one more config dump section of a type meshlens does not know."""
    dump = read_json(root, PRODUCTPAGE)
    dump["configs"].append({"@type": "type.googleapis.com/envoy.admin.v3.FutureConfigDump", "items": []})
    return [("config_dump.json", dump)]


def duplicate_cluster(root: Path) -> list[Doc]:
    """sidecar-productpage with its first dynamic cluster listed twice."""
    dump = read_json(root, PRODUCTPAGE)
    clusters = section(dump, "ClustersConfigDump")["dynamic_active_clusters"]
    clusters.append(copy.deepcopy(clusters[0]))
    return [("config_dump.json", dump)]


def draining_listener(root: Path) -> list[Doc]:
    """sidecar-productpage with listener ``0.0.0.0_9153`` in ``draining_state`` (being removed)."""
    dump = read_json(root, PRODUCTPAGE)
    for entry in section(dump, "ListenersConfigDump")["dynamic_listeners"]:
        if entry["name"] == "0.0.0.0_9153":
            entry["draining_state"] = entry.pop("active_state")
    return [("config_dump.json", dump)]


def bad_ztunnel_pem(root: Path) -> list[Doc]:
    """The legacy ztunnel dump with the istiod leaf's ``pem`` replaced by base64 of "not a cert"."""
    dump = read_json(root, ZTUNNEL_LEGACY)
    entry = next(c for c in dump["certificates"] if c["state"] == "Available")
    chain = entry.get("certChain") or entry.get("cert_chain")
    chain[0]["pem"] = "bm90IGEgY2VydA=="
    return [("ztunnel.json", dump)]


def malformed_cluster_status(root: Path) -> list[Doc]:
    """sidecar-productpage's config dump and /clusters JSON, with the weight of the first host of
    ``outbound|9080||details...`` garbled (``"heavy"``): that cluster status cannot be read."""
    dump = read_json(root, PRODUCTPAGE)
    clusters = read_json(root, "envoy/sidecar-productpage/clusters.json")
    status = next(c for c in clusters["cluster_statuses"] if c["name"].startswith("outbound|9080||details."))
    status["host_statuses"][0]["weight"] = "heavy"
    return [("config_dump.json", dump), ("clusters.json", clusters)]


# ------------------------------------------------------------------------------------- ztunnel logs
def _sample_dump(capacity: dict[str, int] | None = None, unhealthy: tuple[str, ...] = (),
                 extra: str | None = None) -> dict[str, Any]:
    """samples/ztunnel/config_dump.json with ``reviews`` served directly (its waypoint removed)."""
    doc = orjson.loads((REPO / "samples" / "ztunnel" / "config_dump.json").read_bytes())
    svc = next(s for s in doc["services"] if s["name"] == "reviews")
    svc.pop("waypoint", None)
    svc["loadBalancer"] = {"healthPolicy": "AllowAll", "mode": "Standard", "routingPreferences": []}
    for w in doc["workloads"]:
        if w["name"] in (capacity or {}):
            w["capacity"] = (capacity or {})[w["name"]]
        if w["name"] in unhealthy:
            w["status"] = "Unhealthy"
            svc["endpoints"][w["uid"]]["status"] = "Unhealthy"
    if extra:
        new = copy.deepcopy(next(w for w in doc["workloads"] if w["name"].startswith("reviews-v1")))
        new.update(name=extra, uid=f"Kubernetes//Pod/bookinfo/{extra}", workloadIps=["10.244.1.99"])
        doc["workloads"].append(new)
        svc["endpoints"][new["uid"]] = {"workloadUid": new["uid"], "port": {"9080": 9080}, "status": "Healthy"}
    return doc


def _log(lines: list[str]) -> str:
    """The lines as ``kubectl logs --prefix`` prints them for the ztunnel ``ztunnel-test``."""
    return "".join(f"[pod/ztunnel-test/istio-proxy] {line}\n" for line in lines)


def logs_balanced(root: Path) -> list[Doc]:
    """400 connections spread at random 2:1:1 over reviews v1/v2/v3, whose capacities are 2, 1, 1."""
    from tests.ztunnel_loggen import BACKENDS, scenario

    lines, _ = scenario(400, seed=11, weights=(2, 1, 1))
    return [("ztunnel.log", _log(lines)), ("dump.json", _sample_dump(capacity={BACKENDS[0][0]: 2}))]


def logs_skewed(root: Path) -> list[Doc]:
    """400 connections spread 8:1:1 over reviews v1/v2/v3 of equal capacity."""
    from tests.ztunnel_loggen import scenario

    lines, _ = scenario(400, seed=11, weights=(8, 1, 1))
    return [("ztunnel.log", _log(lines)), ("dump.json", _sample_dump())]


def logs_unhealthy_and_idle(root: Path) -> list[Doc]:
    """300 connections over v1/v2/v3 while the dump says v3 is Unhealthy and has an idle v4."""
    from tests.ztunnel_loggen import BACKENDS, scenario

    lines, _ = scenario(300, seed=5)
    dump = _sample_dump(unhealthy=(BACKENDS[2][0],), extra="reviews-v4-1a2b3c4d5e-zzzzz")
    return [("ztunnel.log", _log(lines)), ("dump.json", dump)]


def logs_plaintext_outbound(root: Path) -> list[Doc]:
    """60 connections to reviews, the last 20 in plain TCP (no dst.hbone_addr, dst.addr the app port)."""
    from tests.ztunnel_loggen import BACKENDS, CLIENT, T0, access_line

    lines = [access_line(T0.replace(second=i % 60, microsecond=i), direction="outbound", src=CLIENT,
                         src_port=40000 + i, dst_workload=BACKENDS[i % 3][0], dst_ip=BACKENDS[i % 3][1],
                         hbone=i < 40) for i in range(60)]
    return [("ztunnel.log", _log(lines)), ("dump.json", _sample_dump())]


BUILDERS: dict[str, Callable[[Path], list[Doc]]] = {
    f.__name__: f for f in (
        reviews_v2_trusts_other_root, kube_dns_cluster_removed, registry_only_without_ratings, catch_all_first,
        duplicated_domain, ztunnel_workload_removed, ztunnel_service_staged, ztunnel_waypoint_service_removed,
        sample_service_removed, ztunnel_certs_available, unknown_section, duplicate_cluster, draining_listener,
        bad_ztunnel_pem, malformed_cluster_status, logs_balanced, logs_skewed, logs_unhealthy_and_idle,
        logs_plaintext_outbound,
    )
}


def write(docs: list[Doc], folder: Path) -> list[Path]:
    paths = []
    for name, doc in docs:
        path = folder / name
        path.write_bytes(doc.encode() if isinstance(doc, str) else orjson.dumps(doc, option=orjson.OPT_INDENT_2))
        paths.append(path)
    return paths
