"""istioctl ztunnel-config views: every golden byte for byte, the sample, the bug-report archive,
every dump shape, filters the goldens do not cover, and istioctl's -o json/yaml shapes."""

from __future__ import annotations

import copy
import io
import json
import tarfile
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

import meshlens
from meshlens.errors import UnsupportedDumpError, UsageError
from meshlens.models.ztunnel import Ztunnel
from meshlens.views.ztunnel import (
    CertificateRow,
    ConnectionRow,
    PolicyRow,
    ServiceRow,
    WorkloadRow,
    render,
    ztunnel_config,
)
from tests.conftest import SAMPLES, fixture_path

SAMPLE = SAMPLES / "ztunnel" / "config_dump.json"
LEGACY_MAP = ("istio", "ztunnel-configdump__legacy-map-format__bookinfo.json")
BUGREPORT = ("bugreport", "bookinfo-mesh.tar.gz")
GOLDEN_NOW = "2026-11-22T13:32:00Z"  # any instant in the istiod leaf's 2023-2033 validity

# golden file -> (view, filters, output). Every golden__zc-* file must be listed here.
GOLDENS: dict[str, tuple[str, dict[str, Any], str]] = {
    "golden__zc-all-short.txt": ("all", {"now": GOLDEN_NOW}, "short"),
    "golden__zc-certificates-short.txt": ("certificate", {"now": GOLDEN_NOW}, "short"),
    "golden__zc-connections-json.json": ("connections", {}, "json"),
    "golden__zc-connections-short.txt": ("connections", {}, "short"),
    # istioctl's workload-pod argument: the golden holds exactly that pod's connections.
    "golden__zc-connections-short__one-workload.txt": (
        "connections", {"pod": "productpage-v1-796f87b58-97bjk.bookinfo"}, "short"),
    "golden__zc-policies-short.txt": ("policy", {}, "short"),
    "golden__zc-workloads-short.txt": ("workload", {}, "short"),
    "golden__zc-workloads-short__one-workload.txt": (
        "workload", {"pod": "productpage-v1-675fc69cf-jscn2.bookinfo"}, "short"),
}


def golden(name: str) -> str:
    return fixture_path("istio", name).read_text(encoding="utf-8")


@cache
def _sample_data() -> dict[str, Any]:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


def sample() -> dict[str, Any]:
    return copy.deepcopy(_sample_data())


def ztunnel_of(source: Any) -> Ztunnel:
    snap = meshlens.load(source)
    assert len(snap.ztunnels) == 1
    return snap.ztunnels[0]


def text(source: Any, view: str, **filters: Any) -> str:
    return render(ztunnel_config(source, view, **filters))


# ---------------------------------------------------------------------------------- goldens
def test_every_zc_golden_has_a_case() -> None:
    found = {p.name for p in fixture_path("istio").glob("golden__zc-*")}
    assert found == set(GOLDENS)


@pytest.mark.parametrize("name", sorted(GOLDENS))
def test_golden_byte_for_byte(name: str) -> None:
    view, filters, output = GOLDENS[name]
    filters = dict(filters)
    pod = filters.pop("pod", None)
    table = ztunnel_config(str(fixture_path(*LEGACY_MAP)), view, pod=pod, **filters)
    assert render(table, output) == golden(name)


@pytest.mark.parametrize(("view", "pod", "namespace", "filters", "name"), [
    ("workload", "productpage-v1-675fc69cf-jscn2", None, {"workload_namespace": "bookinfo"},
     "golden__zc-workloads-short__one-workload.txt"),
    ("workload", "pod/productpage-v1-675fc69cf-jscn2", "bookinfo", {},
     "golden__zc-workloads-short__one-workload.txt"),
    ("connections", "productpage-v1-796f87b58-97bjk", None, {"workload_namespace": "bookinfo"},
     "golden__zc-connections-short__one-workload.txt"),
    ("cons", "productpage-v1-796f87b58-97bjk", "bookinfo", {}, "golden__zc-connections-short__one-workload.txt"),
])
def test_one_workload_goldens_other_spellings(view: str, pod: str, namespace: str | None,
                                              filters: dict[str, Any], name: str) -> None:
    table = ztunnel_config(str(fixture_path(*LEGACY_MAP)), view, pod=pod, namespace=namespace, **filters)
    assert render(table) == golden(name)


def test_goldens_from_the_bugreportmake_archive() -> None:
    """The archive's ztunnel member is the same dump: same tables, and its capture time is `now`."""
    archive = str(fixture_path(*BUGREPORT))
    assert text(archive, "all", now=GOLDEN_NOW) == golden("golden__zc-all-short.txt")
    assert text(archive, "w") == golden("golden__zc-workloads-short.txt")
    z = meshlens.load(archive).ztunnel()
    assert z.captured_at is not None and z.captured_at.year >= 2026
    # No --now: judged at the capture time (the member's mtime), when the istiod leaf is valid.
    assert render(z.view("certificate")) == golden("golden__zc-certificates-short.txt")


def test_all_with_headers_and_raw_dump() -> None:
    path = fixture_path(*LEGACY_MAP)
    plain = golden("golden__zc-all-short.txt")
    titled = text(str(path), "all", with_headers=True, now=GOLDEN_NOW)
    assert titled.startswith("\n------ WORKLOAD INFO ------\n\nNAMESPACE          POD NAME")
    for t in ["WORKLOAD", "SERVICE", "POLICY", "SECRET", "CONNECTIONS"]:
        assert titled.count(f"\n------ {t} INFO ------\n\n") == 1
        titled = titled.replace(f"\n------ {t} INFO ------\n\n", "\n", 1)
    assert titled == plain
    # -o json prints the dump as ztunnel served it (serde pretty); -o yaml is its YAML.
    table = ztunnel_config(str(path), "all")
    assert render(table, "json") == path.read_text(encoding="utf-8") + "\n"
    assert yaml.safe_load(render(table, "yaml")) == json.loads(path.read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------- the sample
def test_sample_services_vips_waypoints_endpoints() -> None:
    table = sample_ztunnel().view("service")
    rows = {r.name: r for r in table.rows}
    assert all(isinstance(r, ServiceRow) for r in table.rows)
    assert rows["reviews"].vips == ["10.96.203.9"]
    assert (rows["reviews"].healthy_endpoints, rows["reviews"].total_endpoints) == (3, 3)
    assert rows["details"].waypoint == "waypoint" and rows["waypoint"].waypoint == "None"
    assert [r.namespace for r in table.rows] == ["bookinfo"] * 5 + ["istio-system"]
    assert table.cells[-1] == ["istio-system", "istiod", "10.96.0.42", "None", "1/1"]
    # Agrees with the dump itself.
    raw = {s["name"]: s for s in _sample_data()["services"]}
    for row in table.rows:
        assert row.vips == [v.split("/", 1)[1] for v in raw[row.name]["vips"]]
        assert row.total_endpoints == len(raw[row.name]["endpoints"])


def sample_ztunnel() -> Ztunnel:
    return ztunnel_of(sample())


def test_sample_workloads() -> None:
    table = sample_ztunnel().view("w")
    assert all(isinstance(r, WorkloadRow) for r in table.rows)
    by_pod = {r.pod_name: r for r in table.rows}
    assert by_pod["ratings-v1-5b7c9d6f4c-t9wkd"].cells() == [
        "bookinfo", "ratings-v1-5b7c9d6f4c-t9wkd", "10.244.2.21", "ambient-worker2", "waypoint", "HBONE"]
    assert by_pod["istiod-7f9c8d6b5-z4r8n"].waypoint == "None"
    for w in _sample_data()["workloads"]:
        assert by_pod[w["name"]].address == ",".join(w["workloadIps"])
        assert by_pod[w["name"]].protocol == w["protocol"]


@pytest.mark.parametrize(("now", "leaf_valid"), [("2026-11-22T12:00:00Z", True), ("2026-11-23T00:00:01Z", False)])
def test_sample_certificates(now: str, leaf_valid: bool) -> None:
    table = sample_ztunnel().view("certs", now=now)
    assert all(isinstance(r, CertificateRow) for r in table.rows)
    got = [(r.identity.rsplit("/", 1)[-1], r.type, r.status, r.valid) for r in table.rows]
    assert got == [
        ("bookinfo-details", "Leaf", "Available", leaf_valid), ("bookinfo-details", "Root", "Available", True),
        ("bookinfo-productpage", "Leaf", "Available", leaf_valid),
        ("bookinfo-productpage", "Root", "Available", True),
        ("bookinfo-ratings", "NA", "Unavailable", False), ("bookinfo-reviews", "NA", "Initializing", False),
    ]
    leaf = table.rows[0]
    assert leaf.not_after == datetime(2026, 11, 23, tzinfo=timezone.utc)
    assert leaf.serial_number == format(int(_sample_data()["certificates"][0]["certChain"][0]["serialNumber"]), "x")
    assert table.rows[4].state.startswith("Unavailable: signing gRPC error")
    assert table.padding == 5 and "     " in table.text().splitlines()[0]


def test_sample_connections_named_and_raw() -> None:
    z = sample_ztunnel()
    named = z.view("connections")
    assert all(isinstance(r, ConnectionRow) for r in named.rows)
    out = [r for r in named.rows if r.direction == "Outbound"]
    assert [(r.local, r.remote, r.remote_target) for r in out] == [
        ("productpage-v1-6c8f9d7b5b-q8m4z.bookinfo:52410", "waypoint-5f8d7c6b9d-w2j6h.bookinfo:15008",
         "details.bookinfo.svc.cluster.local:9080"),
        ("productpage-v1-6c8f9d7b5b-q8m4z.bookinfo:52418", "waypoint-5f8d7c6b9d-w2j6h.bookinfo:15008",
         "reviews.bookinfo.svc.cluster.local:9080"),
    ]
    raw = z.view("connections", raw=True, direction="outbound")
    assert [r.remote_target for r in raw.rows] == ["10.96.41.17:9080", "10.96.203.9:9080"]
    inbound = z.view("connections", direction="inbound")
    assert {r.workload for r in inbound.rows} == {"details-v1-7d4b9c8f6d-h2xlq.bookinfo",
                                                  "reviews-v1-8f6d5c7b9a-m3n7p.bookinfo"}
    assert all(r.remote_target.endswith(".svc.cluster.local") for r in inbound.rows)  # never renamed
    # -o json: every pod state (reviews-v3 is Pending without connections: null lists).
    states = json.loads(render(named, "json"))
    assert [s["info"]["name"][:7] for s in states] == ["details", "product", "reviews", "reviews"]
    assert states[3] == {"state": "Pending", "connections": {"inbound": None, "outbound": None},
                         "info": {"name": "reviews-v3-6d9f7c8b4d-x7c5r", "namespace": "bookinfo",
                                  "trustDomain": "", "serviceAccount": "bookinfo-reviews"}}


def test_sample_policies() -> None:
    table = sample_ztunnel().view("pol", policy_namespace="ISTIO-SYSTEM")
    assert all(isinstance(r, PolicyRow) for r in table.rows)
    assert table.cells == [["istio-system", "istio_converted_static_strict", "Deny", "Global"]]
    policies = json.loads(render(sample_ztunnel().view("p"), "json"))
    strict = policies[-1]
    assert list(strict) == ["name", "namespace", "scope", "action", "rules"]  # no dryRun in istioctl's struct
    assert strict["rules"] == [[[{"notPrincipals": [{"Presence": []}]}]]]


# ------------------------------------------------------------------------------- all shapes
def to_map_shape(dump: dict[str, Any]) -> dict[str, Any]:
    """1.22: workloads keyed ``network/ip``, services ``network/vip``, policies ``ns/name``."""
    out = dict(dump)
    out["workloads"] = {f"{w.get('network', '')}/{ip}": w for w in dump["workloads"] for ip in w["workloadIps"]}
    out["services"] = {vip: s for s in dump["services"] for vip in s["vips"]}
    out["policies"] = {f"{p['namespace']}/{p['name']}": p for p in dump["policies"]}
    return out


def _snake_key(key: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in key)


def to_stores_shape(dump: dict[str, Any]) -> dict[str, Any]:
    """<= 1.21: internal stores, snake_case keys, certificates as ca_cert + cert_chain."""
    def snake(record: dict[str, Any]) -> dict[str, Any]:
        return {_snake_key(k): v for k, v in record.items()}

    certs = []
    for c in dump["certificates"]:
        chain = [snake(x) for x in c["certChain"] + c["rootCerts"]]
        certs.append({"identity": c["identity"], "state": c["state"], "ca_cert": chain[:1], "cert_chain": chain[1:]})
    by_host: dict[str, list[dict[str, Any]]] = {}
    for s in dump["services"]:
        by_host.setdefault(s["hostname"], []).append(snake(s))
    return {"by_uid": {w["uid"]: snake(w) for w in dump["workloads"]}, "by_host": by_host,
            "by_key": {f"{p['namespace']}/{p['name']}": snake(p) for p in dump["policies"]},
            "staged_services": {}, "certificates": certs, "config": dump["config"]}


@pytest.mark.parametrize("convert", [to_map_shape, to_stores_shape], ids=["map-1.22", "stores-1.21"])
def test_every_shape_gives_the_same_tables(convert: Any) -> None:
    listed, other = sample_ztunnel(), ztunnel_of(convert(sample()))
    assert other.shape != listed.shape
    for view in ("workload", "service", "policy"):
        for output in ("short", "json", "yaml"):
            assert render(other.view(view), output) == render(listed.view(view), output), (view, output)
    assert render(other.view("certificate", now=GOLDEN_NOW)) == render(listed.view("certificate", now=GOLDEN_NOW))
    if other.shape == "map":
        assert render(other.view("connections")) == render(listed.view("connections"))


def test_list_shape_of_the_legacy_fixture_gives_the_goldens() -> None:
    dump = json.loads(fixture_path(*LEGACY_MAP).read_text(encoding="utf-8"))
    for key in ("workloads", "services"):
        dump[key] = list(dump[key].values())
    z = ztunnel_of(dump)
    assert z.shape == "list"
    assert render(z.view("workload")) == golden("golden__zc-workloads-short.txt")
    assert render(z.view("all", now=GOLDEN_NOW)) == golden("golden__zc-all-short.txt")


# ------------------------------------------------------------------ filters beyond the goldens
def test_workload_filter_combinations() -> None:
    src = str(fixture_path(*LEGACY_MAP))
    rows = ztunnel_config(src, "workload", workload_namespace="DEFAULT", workload_node="ambient-worker").rows
    assert [r.pod_name[:9] for r in rows] == ["httpbin-7", "reviews-v", "reviews-v", "reviews-v"]
    assert ztunnel_config(src, "workload", address="10.244.2.53").cells == [
        ["bookinfo", "productpage-v1-675fc69cf-jscn2", "10.244.2.53", "ambient-worker2",
         "bookinfo-productpage-istio-waypoint", "HBONE"]]
    none = ztunnel_config(src, "workload", address="10.244.2.53", workload_namespace="default")
    assert none.rows == [] and none.text() == "NAMESPACE POD NAME ADDRESS NODE WAYPOINT PROTOCOL\n"
    # A bare pod name matches it in any namespace; "name.ns" only there.
    assert len(ztunnel_config(src, "workload", pod="productpage-v1-675fc69cf-kkrm2").rows) == 1
    missing = ztunnel_config(src, "workload", pod="productpage-v1-675fc69cf-kkrm2.bookinfo")
    assert missing.rows == [] and "no workload" in missing.notes[0]


def test_service_policy_connections_filters() -> None:
    src = str(fixture_path(*LEGACY_MAP))
    services = ztunnel_config(src, "svc", service_namespace="kube-system")
    assert services.cells == [["kube-system", "kube-dns", "10.96.0.10", "None", "2/2"]]
    assert ztunnel_config(src, "policies", policy_namespace="bookinfo").rows == []
    inbound = ztunnel_config(src, "cons", direction="inbound", workload_namespace="bookinfo")
    assert {r.direction for r in inbound.rows} == {"Inbound"} and len(inbound.rows) == 5
    # The connections namespace filter is exact, as istioctl compares it.
    assert ztunnel_config(src, "cons", workload_namespace="BOOKINFO").rows == []
    with pytest.raises(UsageError, match="inbound or outbound"):
        ztunnel_config(src, "cons", direction="Inbound")


def _edge_dump() -> dict[str, Any]:
    dump = sample()
    w0 = dump["workloads"][0]
    w0["waypoint"] = {"destination": "bookinfo/nowhere.bookinfo.svc.cluster.local"}  # unresolved -> NA
    w1 = dump["workloads"][1]
    w1["workloadIps"], w1["hostname"] = [], "vm.example.com"  # no IP -> hostname
    w2 = dump["workloads"][2]
    w2["workloadIps"].append("fd00::21")  # dual stack -> both, comma-joined
    del dump["workloads"][3]["status"]  # istioctl reads a missing status as "" (unhealthy)
    reviews = next(s for s in dump["services"] if s["name"] == "reviews")
    reviews["endpoints"]["Kubernetes//Pod/bookinfo/ghost"] = {"workloadUid": "Kubernetes//Pod/bookinfo/ghost",
                                                              "port": {"9080": 9080}, "status": "Healthy"}
    dump["services"][1]["vips"] = []  # headless
    certs = dump["certificates"]
    certs[0]["certChain"][0]["serialNumber"] = "not-a-number"
    certs[0]["certChain"][0]["validFrom"] = "2026-11-22 00:00:00"  # not RFC 3339 for Go
    certs[1]["rootCerts"].append(copy.deepcopy(certs[1]["rootCerts"][0]))  # rotation: two roots
    return dump


def test_edge_cases_follow_istioctl() -> None:
    z = ztunnel_of(_edge_dump())
    workloads = {r.pod_name: r for r in z.view("workload").rows}
    assert workloads["details-v1-7d4b9c8f6d-h2xlq"].waypoint == "NA"
    assert workloads["productpage-v1-6c8f9d7b5b-q8m4z"].address == "vm.example.com"
    assert workloads["ratings-v1-5b7c9d6f4c-t9wkd"].address == "10.244.2.21,fd00::21"
    services = {r.name: r for r in z.view("service").rows}
    # 3 real endpoints, one of them of a workload without status; plus one of an unknown workload.
    assert services["reviews"].cells()[-1] == "2/4"
    assert services["istiod"].cells()[2] == ""
    certs = z.view("certificate", now="2026-11-22T12:00:00Z").rows
    assert (certs[0].cells()[3:5], certs[0].valid) == (["false", "<nil>"], False)
    assert [r.type for r in certs[2:5]] == ["Leaf", "Root", "Root"]
    assert render(z.view("certificate", now=datetime(2026, 11, 22, 12, tzinfo=timezone.utc))).count("Root") == 3


def test_now_defaults_to_capture_time_else_wall_clock() -> None:
    z = sample_ztunnel()
    assert z.captured_at is None
    wall = datetime.now(timezone.utc)
    leaf_valid = datetime(2026, 11, 22, tzinfo=timezone.utc) < wall < datetime(2026, 11, 23, tzinfo=timezone.utc)
    assert z.view("certificate").rows[0].valid is leaf_valid
    z.captured_at = datetime(2026, 11, 22, 6, tzinfo=timezone.utc)
    assert z.view("certificate").rows[0].valid is True
    with pytest.raises(UsageError, match="RFC 3339"):
        z.view("certificate", now="yesterday")


# ------------------------------------------------------------- several ztunnels in an archive
def make_archive(tmp_path: Path, mtime: datetime) -> Path:
    a, b = sample(), sample()
    b["config"]["localNode"] = "ambient-worker2"
    b["workloadState"] = {}
    path = tmp_path / "bug-report.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name, dump in (("ztunnel-a", a), ("ztunnel-b", b)):
            body = json.dumps(dump, indent=2).encode()
            info = tarfile.TarInfo(f"bug-report/proxies/istio-system/{name}/config_dump")
            info.size, info.mtime = len(body), int(mtime.timestamp())
            tar.addfile(info, io.BytesIO(body))
    return path


def test_choosing_among_several_ztunnels(tmp_path: Path) -> None:
    path = str(make_archive(tmp_path, datetime(2026, 11, 22, 6, tzinfo=timezone.utc)))
    first = ztunnel_config(path, "workload")
    assert "2 ztunnels in the capture; showing ztunnel-a.istio-system" in first.notes[0]
    with pytest.raises(UsageError, match="--ztunnel NAME or --node NODE"):
        ztunnel_config(path, "certificate")
    by_name = ztunnel_config(path, "cons", ztunnel="ztunnel-b")
    assert by_name.rows == [] and not by_name.notes[1:]
    assert ztunnel_config(path, "cons", node="ambient-worker").rows  # ztunnel-a has the connections
    # A workload pod picks the ztunnel on its node and filters; a ztunnel pod just picks it.
    ratings = ztunnel_config(path, "cons", pod="ratings-v1-5b7c9d6f4c-t9wkd.bookinfo")
    assert ratings.rows == [] and not any("2 ztunnels" in n for n in ratings.notes)
    assert len(ztunnel_config(path, "w", pod="ratings-v1-5b7c9d6f4c-t9wkd", namespace="bookinfo").rows) == 1
    assert len(ztunnel_config(path, "w", pod="ztunnel-b.istio-system").rows) == 8
    # Certificates judged at the archive's capture time by default.
    assert ztunnel_config(path, "certs", ztunnel="ztunnel-a").rows[0].valid is True
    with pytest.raises(UsageError, match="no ztunnel 'ztunnel-c'"):
        ztunnel_config(path, "w", ztunnel="ztunnel-c")


def test_wrong_kind_of_capture() -> None:
    envoy = fixture_path("envoy", "sidecar-productpage", "config_dump.json")
    with pytest.raises(UnsupportedDumpError, match="not a ztunnel /config_dump") as info:
        ztunnel_config(str(envoy), "workload")
    assert str(envoy) in str(info.value)
    with pytest.raises(UsageError, match="unknown ztunnel-config view"):
        ztunnel_config(sample(), "clusters")
    with pytest.raises(UsageError, match="takes no filter"):
        ztunnel_config(sample(), "service", workload_namespace="x")


# ------------------------------------------------------------------- istioctl's json / yaml
def test_json_is_istioctls_structs() -> None:
    z = sample_ztunnel()
    workload = json.loads(render(z.view("workload", pod="details-v1-7d4b9c8f6d-h2xlq"), "json"))[0]
    assert list(workload) == ["uid", "workloadIps", "waypoint", "protocol", "name", "namespace", "serviceAccount",
                              "workloadName", "workloadType", "canonicalName", "canonicalRevision", "clusterId",
                              "trustDomain", "locality", "node", "status", "hostname", "capacity",
                              "applicationTunnel"]
    assert workload["waypoint"] == {"destination": "/10.96.12.34"}
    assert workload["locality"] == {"region": "eu-west", "zone": "eu-west-1a"}
    text_out = render(z.view("service"), "json")
    assert text_out.startswith('[\n    {\n        "name": "details"')
    service = json.loads(text_out)[0]
    endpoint = next(iter(service["endpoints"].values()))
    assert set(endpoint) == {"workloadUid", "service", "port"}  # no status
    certs = json.loads(render(z.view("certificate"), "json"))
    assert list(certs[0]) == ["identity", "state", "certChain", "rootCerts"]


def test_go_json_escaping_and_yaml() -> None:
    dump = sample()
    dump["policies"][0]["name"] = "a<b>&c"
    z = ztunnel_of(dump)
    assert '"name": "a\\u003cb\\u003e\\u0026c"' in render(z.view("policy"), "json")
    services = render(z.view("service"), "yaml")
    assert services.endswith("\n\n") and services.startswith("- canonical: true\n  endpoints:\n")
    assert '    "9080": 9080\n' in services and "  ipFamilies: IPv4\n" in services
    certs = render(z.view("certificate"), "yaml")
    assert 'expirationTime: "2026-11-23T00:00:00Z"' in certs  # reads as a time: quoted by go-yaml
    assert yaml.safe_load(certs)[0]["identity"].endswith("bookinfo-details")


def test_frames_and_dicts() -> None:
    pytest.importorskip("pandas")
    table = sample_ztunnel().view("service")
    frame = table.to_frame()
    assert list(frame.columns) == list(ServiceRow.model_fields)
    assert frame.loc[frame["name"] == "reviews", "total_endpoints"].item() == 3
    assert table.to_dict()[0]["vips"] == ["10.96.41.17"]
    assert "<table>" in table._repr_html_()
