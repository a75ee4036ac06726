"""ztunnel /config_dump loading: every shape, the real fixtures, the synthesized sample, bad input."""

from __future__ import annotations

import base64
import copy
import json
import tarfile
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from typing import Any

import jsonpath_ng
import pytest
import yaml

import meshlens
from meshlens.errors import LoadError
from meshlens.models.base import (
    ML0011_BAD_CERTIFICATE,
    ML0014_ZTUNNEL_STAGED_SERVICES,
    ML0015_ZTUNNEL_CERT_NOT_READY,
    Location,
)
from meshlens.models.casing import camel_to_snake
from meshlens.models.ztunnel import (
    SHAPE_LIST,
    SHAPE_LOCAL_CONFIG,
    SHAPE_MAP,
    SHAPE_STORES,
    CertsDump,
    Service,
    Workload,
    Ztunnel,
)
from meshlens.sources import ztunnel as loader
from meshlens.sources.read import Document, parse_bytes
from tests.conftest import SAMPLES, fixture_path

SAMPLE = SAMPLES / "ztunnel" / "config_dump.json"
LEGACY_MAP = ("istio", "ztunnel-configdump__legacy-map-format__bookinfo.json")
LOCAL_CONFIG = ("ztunnel", "ztunnel-local-xds__localhost.yaml")
BUGREPORT = ("bugreport", "bookinfo-mesh.tar.gz")
ZTUNNEL_MEMBER = "bug-report/proxies/istio-system/ztunnel-qk2pp/config_dump"


@cache
def sample_data() -> dict[str, Any]:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


def sample() -> dict[str, Any]:
    return copy.deepcopy(sample_data())


def load_one(source: Any) -> tuple[Ztunnel, meshlens.Snapshot]:
    snap = meshlens.load(source)
    assert len(snap.ztunnels) == 1, snap
    return snap.ztunnels[0], snap


def codes(snap: meshlens.Snapshot) -> list[str]:
    return [f.code for f in snap.findings]


# ------------------------------------------------------------------------------ real fixtures
def test_legacy_map_fixture() -> None:
    path = fixture_path(*LEGACY_MAP)
    z, snap = load_one(path)
    assert snap.kind == loader.KIND
    assert z.shape == SHAPE_MAP
    assert z.name == "ztunnel-configdump__legacy-map-format__bookinfo"
    assert z.counts() == {"workloads": 27, "services": 19, "policies": 2, "certificates": 4,
                          "workload_state": 6, "staged_services": 0}
    # MANIFEST.md: Available / Initializing / two Unavailable with reasons.
    states = [c.state for c in z.certificates]
    assert states[:2] == ["Available", "Initializing"]
    assert [c.short_state for c in z.certificates[2:]] == ["Unavailable", "Unavailable"]
    assert z.certificates[2].unavailable_reason == "the identity is no longer needed"
    # Legacy chain (no rootCerts): the last element is the root; serials print as istioctl's hex.
    istiod = z.certificates[0]
    assert istiod.root_certs is None and istiod.root_in_chain
    assert [(role, c.serial_hex) for role, c in istiod.chain_roles()] == [
        ("Leaf", "e5dfb59150b2ba7f108d93dcec5aa613"), ("Root", "8a516645c40ce76c2c0d27ab4e2461c1")]
    assert all(c.certificate is not None for c in istiod.cert_chain)  # PEM text decodes too
    assert istiod.cert_chain[1].certificate.is_ca
    # Findings: one Initializing (info), two Unavailable (warning); every pem decodes.
    assert sorted(codes(snap)) == [ML0015_ZTUNNEL_CERT_NOT_READY] * 3
    assert ML0011_BAD_CERTIFICATE not in codes(snap)
    # <= 1.23 endpoints: keyed "uid:network/ip", with service and address.
    ep = next(iter(z.services[0].endpoints.values()))
    assert ep.is_legacy and ep.key == f"{ep.workload_uid}:{ep.address}"
    assert ep.parsed_address is not None and ep.parsed_address.address == "10.244.2.52"
    assert {p.key for p in z.policies} == {"default/allow-nothing", "default/allow-waypoint"}
    assert z.policies[1].rules[0][0][0].service_accounts[0].service_account == "waypoint"
    assert z.workload_state[0].pod_uid == "54ce2023-7c77-4bb8-b6c3-eccf619cd6f2"
    assert len(z.workload_state[0].inbound) == 2 and z.workload_state[0].inbound[0].original_dst is None


def test_map_record_paths_and_raw_point_into_the_document() -> None:
    z, _ = load_one(fixture_path(*LEGACY_MAP))
    w = z.workloads[0]
    assert w.json_path == "$.workloads['network1/10.244.2.54']"
    assert w.location.file == str(fixture_path(*LEGACY_MAP))
    found = [m.value for m in jsonpath_ng.parse(w.json_path).find(z.raw)]
    assert found == [w.raw] and w.raw is z.raw["workloads"]["network1/10.244.2.54"]
    assert w.waypoint is not None and w.waypoint.port == 15008  # spelled "port" in this capture
    assert w.waypoint.parsed.kind == "address"
    assert z.workload(w.uid) is w
    assert z.service(z.services[0].key) is z.services[0]


def test_local_config_yaml() -> None:
    z, snap = load_one(fixture_path(*LOCAL_CONFIG))
    assert z.shape == SHAPE_LOCAL_CONFIG
    assert z.counts()["workloads"] == 2 and len(z.services) == 2 and len(z.policies) == 1
    local = z.workloads[0]
    assert local.uid == "cluster1//v1/Pod/default/local"
    assert local.services == ("default/example.com", "default/example2.com")
    assert local.service_ports == {"default/example.com": {"80": 8080}, "default/example2.com": {"80": 8080}}
    assert [s.namespace for s in local.parsed_services] == ["default", "default"]
    assert z.services[0].ports == {"80": 8080} and z.services[0].canonical is True
    assert z.services[1].parsed_vips[0].network == "remote"
    policy = z.policies[0]
    assert (policy.key, policy.action, policy.scope, policy.dry_run) == ("default/deny-9999", "Allow",
                                                                          "Namespace", False)
    assert policy.rules[0][0][0].not_destination_ports == (9999,)
    assert z.static_config is not None and z.static_config.workloads == z.workloads
    assert snap.findings == []


def test_local_config_as_static_config_of_a_dump() -> None:
    local = yaml.safe_load(fixture_path(*LOCAL_CONFIG).read_text(encoding="utf-8"))
    dump = sample()
    dump["staticConfig"] = local
    z, _ = load_one(dump)
    assert z.static_config is not None and len(z.static_config.workloads) == 2
    assert z.static_config.workloads[1].json_path == "$.staticConfig.workloads[1]"
    assert z.static_config.workloads[1].service_ports["default/example2.com"] == {"80": 8080}
    assert z.static_config.policies[0].key == "default/deny-9999"
    assert len(z.workloads) == 8  # the dump's own lists are untouched


def test_bugreport_member_named_after_its_pod() -> None:
    archive = fixture_path(*BUGREPORT)
    with tarfile.open(archive) as tar:
        member = tar.extractfile(ZTUNNEL_MEMBER)
        assert member is not None
        body = member.read()
    doc = parse_bytes(body, Location(file=str(archive), member=ZTUNNEL_MEMBER))
    assert loader.sniff(doc)
    z = loader.read_ztunnel(doc)
    assert z.name == "ztunnel-qk2pp"
    assert z.counts()["workloads"] == 27 and len(z.certificates) == 4
    assert z.workloads[0].location.member == ZTUNNEL_MEMBER


def test_bugreport_archive_holds_one_ztunnel() -> None:
    snap = meshlens.load(fixture_path(*BUGREPORT))
    assert [z.name for z in snap.ztunnels] == ["ztunnel-qk2pp"]
    assert snap.ztunnel("ztunnel-qk2pp").counts()["services"] == 19
    assert snap.ztunnels[0].captured_at is not None


# -------------------------------------------------------------------------------------- sample
def test_sample_loads_in_list_shape() -> None:
    z, snap = load_one(SAMPLE)
    assert z.shape == SHAPE_LIST
    assert z.counts() == {"workloads": 8, "services": 6, "policies": 3, "certificates": 4,
                          "workload_state": 4, "staged_services": 0}
    assert [w.json_path for w in z.workloads[:2]] == ["$.workloads[0]", "$.workloads[1]"]
    assert z.version is not None and z.version.version == "1.30.3" and z.istio_version == "1.30.3"
    assert (z.local_node, z.cluster_id, z.network, z.proxy_mode) == ("ambient-worker", "Kubernetes", "",
                                                                     "Shared")
    assert z.secret_ttl is not None and z.secret_ttl.total_seconds() == 86400
    assert z.static_config is not None and not z.static_config
    # Waypoints: workloads by VIP address, services by hostname.
    assert {w.waypoint.parsed.kind for w in z.workloads if w.waypoint} == {"address"}
    reviews = z.service("bookinfo/reviews.bookinfo.svc.cluster.local")
    assert reviews is not None and reviews.waypoint is not None and reviews.waypoint.parsed.kind == "hostname"
    assert len(reviews.endpoints) == 3 and all(not e.is_legacy and e.status == "Healthy"
                                               for e in reviews.endpoints.values())
    assert all(z.workload(uid) is not None for s in z.services for uid in s.endpoints)
    ratings = z.service("bookinfo/ratings.bookinfo.svc.cluster.local")
    assert ratings is not None and ratings.load_balancer is not None
    assert ratings.load_balancer.mode == "Failover"
    assert ratings.vip_ips == ("10.96.77.150",)
    strict = next(p for p in z.policies if p.scope == "Global")
    assert strict.rules[0][0][0].not_principals[0].kind == "Presence"
    assert sorted(codes(snap)) == [ML0015_ZTUNNEL_CERT_NOT_READY] * 2


def test_sample_certificates() -> None:
    z, _ = load_one(SAMPLE)
    by_state = {c.short_state: c for c in z.certificates}
    assert set(by_state) == {"Available", "Initializing", "Unavailable"}
    now = datetime(2026, 11, 22, 12, tzinfo=timezone.utc)
    for cert in z.certificates:
        if not cert.is_available:
            assert cert.cert_chain == () and cert.root_certs == ()
            assert cert.chain_roles() == []
            continue
        assert cert.root_certs is not None and len(cert.root_certs) == 1 and not cert.root_in_chain
        assert [role for role, _ in cert.chain_roles()] == ["Leaf", "Root"]
        leaf, root = cert.leaf, cert.roots[0]
        assert leaf is not None and leaf.certificate is not None and root.certificate is not None
        assert leaf.certificate.spiffe_id == cert.identity == cert.spiffe_id.raw
        assert leaf.certificate.issued_by(root.certificate) and root.certificate.is_ca
        assert leaf.serial_hex == leaf.certificate.serial_number
        assert (leaf.valid_from, leaf.expiration_time) == ("2026-11-22T00:00:00Z", "2026-11-23T00:00:00Z")
        assert leaf.is_valid_at(now) and leaf.certificate.is_valid_at(now)
        assert base64.b64decode(leaf.pem).startswith(b"-----BEGIN CERTIFICATE-----")


def test_sample_is_pretty_printed_like_ztunnel() -> None:
    text = SAMPLE.read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    assert (SAMPLES / "ztunnel" / "PROVENANCE.md").is_file()
    assert "PRIVATE KEY" not in text


# ------------------------------------------------------------------ the same content, other shapes
def to_map_shape(dump: dict[str, Any]) -> dict[str, Any]:
    """1.22: workloads keyed ``network/ip`` (once per IP), services ``network/vip``, policies ``ns/name``."""
    out = dict(dump)
    out["workloads"] = {f"{w.get('network', '')}/{ip}": w for w in dump["workloads"] for ip in w["workloadIps"]}
    out["services"] = {vip: s for s in dump["services"] for vip in s["vips"]}
    out["policies"] = {f"{p['namespace']}/{p['name']}": p for p in dump["policies"]}
    out["certificates"] = {c["identity"]: c for c in dump["certificates"]}
    return out


def _snake(record: dict[str, Any]) -> dict[str, Any]:
    """Field names in snake_case (map keys such as ports and endpoint uids left alone)."""
    out = {camel_to_snake(k): v for k, v in record.items()}
    if isinstance(out.get("endpoints"), dict):
        out["endpoints"] = {k: {camel_to_snake(f): v for f, v in e.items()} for k, e in out["endpoints"].items()}
    return out


def _legacy_cert(cert: dict[str, Any]) -> dict[str, Any]:
    chain = [{camel_to_snake(k): v for k, v in c.items()} for c in cert["certChain"] + cert["rootCerts"]]
    return {"identity": cert["identity"], "state": cert["state"], "ca_cert": chain[:1], "cert_chain": chain[1:]}


def to_stores_shape(dump: dict[str, Any], *, snake_records: bool) -> dict[str, Any]:
    """<= 1.21: the flattened internal stores, snake_case certificates, no workloadState."""
    fix = _snake if snake_records else (lambda r: r)
    workloads = [fix(w) for w in dump["workloads"]]
    services = [fix(s) for s in dump["services"]]
    by_host: dict[str, list[dict[str, Any]]] = {}
    for s in services:
        by_host.setdefault(s["hostname"], []).append(s)
    return {
        "by_addr": {f"/{ip}": w for w in workloads for ip in w.get("workloadIps", w.get("workload_ips", []))},
        "by_uid": {w["uid"]: w for w in workloads},
        "by_hostname": {},
        "staged_services": {},
        "workload_to_services": {},
        "by_vip": {vip: s for s in services for vip in s["vips"]},
        "by_host": by_host,
        "by_key": {f"{p['namespace']}/{p['name']}": fix(p) for p in dump["policies"]},
        "by_namespace": {},
        "static_config": dump["staticConfig"],
        "version": dump["version"],
        "config": dump["config"],
        "certificates": [_legacy_cert(c) for c in dump["certificates"]],
    }


def test_map_shape_loads_to_equal_records() -> None:
    listed, _ = load_one(sample())
    mapped, _ = load_one(to_map_shape(sample()))
    assert mapped.shape == SHAPE_MAP
    for attr in ("workloads", "services", "policies", "certificates", "workload_state", "staged_services"):
        assert getattr(mapped, attr) == getattr(listed, attr), attr
    assert mapped.services[0].json_path.startswith("$.services['/10.96.")


@pytest.mark.parametrize("snake_records", [False, True], ids=["camel-records", "snake-records"])
def test_stores_shape_loads_to_equal_records(snake_records: bool) -> None:
    listed, _ = load_one(sample())
    stores, snap = load_one(to_stores_shape(sample(), snake_records=snake_records))
    assert stores.shape == SHAPE_STORES
    assert stores.workloads == listed.workloads
    assert stores.services == listed.services
    assert stores.policies == listed.policies
    assert stores.workload_state == []
    assert stores.workloads[0].json_path == "$.by_uid['Kubernetes//Pod/bookinfo/details-v1-7d4b9c8f6d-h2xlq']"
    assert stores.version == listed.version and stores.config == listed.config
    # Certificates: ca_cert + cert_chain read as one chain, root last (the legacy reading).
    for old, new in zip(stores.certificates, listed.certificates, strict=True):
        assert (old.identity, old.state) == (new.identity, new.state)
        assert old.root_certs is None
        assert [c.pem for c in old.cert_chain] == [c.pem for c in new.all_certs()]
        assert [(role, c.pem) for role, c in old.chain_roles()] == [(role, c.pem) for role, c in new.chain_roles()]
    assert sorted(codes(snap)) == [ML0015_ZTUNNEL_CERT_NOT_READY] * 2


def test_snake_case_list_shape_loads_to_equal_records() -> None:
    listed, _ = load_one(sample())
    dump = sample()
    for key in ("workloads", "services", "policies"):
        dump[key] = [_snake(r) for r in dump[key]]
    snaked, _ = load_one(dump)
    assert (snaked.workloads, snaked.services, snaked.policies) == (listed.workloads, listed.services,
                                                                   listed.policies)


def test_legacy_root_in_chain_and_pre_1_24_endpoints() -> None:
    dump = sample()
    for cert in dump["certificates"]:  # <= 1.25: root appended to certChain, no rootCerts
        cert["certChain"] = cert["certChain"] + cert.pop("rootCerts")
    for svc in dump["services"]:  # <= 1.23: keyed "uid:network/ip", with service and address
        eps = {}
        for uid, ep in svc["endpoints"].items():
            ip = next(w["workloadIps"][0] for w in dump["workloads"] if w["uid"] == uid)
            eps[f"{uid}:/{ip}"] = {"workloadUid": uid, "service": f"{svc['namespace']}/{svc['hostname']}",
                                   "address": f"/{ip}", "port": ep["port"]}
        svc["endpoints"] = eps
    z, _ = load_one(dump)
    listed, _ = load_one(sample())
    for old, new in zip(z.certificates, listed.certificates, strict=True):
        assert old.root_certs is None
        assert [(r, c.pem) for r, c in old.chain_roles()] == [(r, c.pem) for r, c in new.chain_roles()]
    for old, new in zip(z.services, listed.services, strict=True):
        assert all(e.is_legacy for e in old.endpoints.values())
        assert sorted(e.workload_uid for e in old.endpoints.values()) == sorted(new.endpoints)


def test_map_shape_keeps_a_dual_stack_workload_once() -> None:
    dump = sample()
    dump["workloads"][0]["workloadIps"].append("fd00:10:244::11")
    z, _ = load_one(to_map_shape(dump))
    assert len(z.workloads) == 8
    assert z.workloads[0].workload_ips == ("10.244.1.11", "fd00:10:244::11")


def test_workload_state_spellings_and_list_form() -> None:
    dump = sample()
    dump["workloadstate"] = dump.pop("workloadState")  # what istioctl's Go decoder also accepts
    z, _ = load_one(dump)
    assert len(z.workload_state) == 4 and z.workload_state[0].json_path.startswith("$.workloadstate['")
    dump = sample()
    dump["workloadState"] = list(dump["workloadState"].values())
    z, _ = load_one(dump)
    assert [s.pod_uid for s in z.workload_state] == [""] * 4
    assert {s.info.name for s in z.workload_state} >= {"productpage-v1-6c8f9d7b5b-q8m4z"}


# ------------------------------------------------------------------------------ findings, errors
def test_staged_services_are_reported() -> None:
    dump = sample()
    uid = dump["workloads"][0]["uid"]
    dump["stagedServices"] = {"bookinfo/missing.bookinfo.svc.cluster.local": {
        uid: {"workloadUid": uid, "port": {"80": 8080}, "status": "Healthy"}}}
    z, snap = load_one(dump)
    assert len(z.staged_services) == 1
    staged = z.staged_services[0]
    assert staged.parsed_service.hostname == "missing.bookinfo.svc.cluster.local"
    assert staged.endpoints[uid].workload_uid == uid
    finding = next(f for f in snap.findings if f.code == ML0014_ZTUNNEL_STAGED_SERVICES)
    assert finding.location.json_path == "$.stagedServices['bookinfo/missing.bookinfo.svc.cluster.local']"
    assert finding.name == "bookinfo/missing.bookinfo.svc.cluster.local" and finding.proxy == z.name


def test_undecodable_pem_is_a_finding_not_a_failure() -> None:
    dump = sample()
    available = next(c for c in dump["certificates"] if c["state"] == "Available")
    available["certChain"][0]["pem"] = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nnope\n").decode()
    z, snap = load_one(dump)
    cert = next(c for c in z.certificates if c.identity == available["identity"])
    assert cert.leaf is not None and cert.leaf.certificate is None and cert.leaf.decode_error
    bad = [f for f in snap.findings if f.code == ML0011_BAD_CERTIFICATE]
    assert len(bad) == 1 and bad[0].location.json_path.endswith(".certChain[0]")
    assert bad[0].name == available["identity"]


WRONG_TYPES = [
    (lambda d: d.__setitem__("workloads", "all of them"), "$.workloads", "expected a list or a map of workloads"),
    (lambda d: d["workloads"][0].__setitem__("workloadIps", 5), "$.workloads[0].workloadIps",
     "expected a list of IP strings"),
    (lambda d: d["workloads"][0].__setitem__("workloadIps", [10]), "$.workloads[0].workloadIps[0]",
     "expected an IP string"),
    (lambda d: d["workloads"].__setitem__(1, "x"), "$.workloads[1]", "expected a workload object"),
    (lambda d: d["services"][0].__setitem__("endpoints", []), "$.services[0].endpoints",
     "expected an object (map) of workload uid to endpoint"),
    (lambda d: d["services"][0].__setitem__("ports", {"9080": "http"}), "$.services[0].ports['9080']",
     "expected a target port"),
    (lambda d: d["policies"][0].__setitem__("rules", [[[{"destinationPorts": ["x"]}]]]),
     "$.policies[0].rules[0][0][0].destinationPorts[0]", "expected an integer"),
    (lambda d: d["certificates"][0].__setitem__("certChain", {"pem": "x"}), "$.certificates[0].certChain",
     "expected a list of certificate objects"),
    (lambda d: d.__setitem__("workloadState", 3), "$.workloadState", "expected a list or a map"),
    (lambda d: d.__setitem__("version", "1.30"), "$.version", "expected a build info object"),
    (lambda d: d.__setitem__("staticConfig", {"workloads": [{"workloadIps": "127.0.0.1"}]}),
     "$.staticConfig.workloads[0].workloadIps", "expected a list of IP strings"),
]


@pytest.mark.parametrize(("mutate", "json_path", "expected"), WRONG_TYPES,
                         ids=[case[1] for case in WRONG_TYPES])
def test_wrong_typed_fields_name_the_json_path(mutate: Any, json_path: str, expected: str,
                                               tmp_path: Path) -> None:
    dump = sample()
    mutate(dump)
    path = tmp_path / "bad_dump.json"
    path.write_text(json.dumps(dump))
    with pytest.raises(LoadError) as info:
        meshlens.load(path)
    err = info.value
    assert err.json_path == json_path and err.file == str(path)
    assert expected in err.message
    text = str(err)
    assert "\n" not in text and json_path in text and str(path) in text
    assert "pydantic" not in text and "validation error" not in text.lower()


# ------------------------------------------------------------------------------ sniffing, naming
@pytest.mark.parametrize("data", [
    {"certificates": [{"ca_cert": [], "cert_chain": []}]},  # Envoy /certs
    {"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.BootstrapConfigDump"}]},
    {"workload": []},
    ["workloads"],
    {"version": "3", "services": {"web": {"image": "nginx", "ports": ["80:80"]}}},  # docker compose
    {"services": [{"name": "web", "port": 80}]},
])
def test_sniff_leaves_other_captures_alone(data: Any) -> None:
    assert not loader.sniff(Document(location=Location(file="<dict>"), data=data))


def test_sniff_claims_a_dump_cut_to_its_certificates() -> None:
    certs = {"certificates": sample()["certificates"]}
    assert loader.sniff(Document(location=Location(file="<dict>"), data=certs))


@pytest.mark.parametrize(("file", "member", "name"), [
    ("captures/zt-node1.json", None, "zt-node1"),
    ("dump.json.gz", None, "dump"),
    ("x.tar.gz", "bug-report/proxies/istio-system/ztunnel-abc12/config_dump", "ztunnel-abc12"),
    ("captures", "ztunnel-abc12/config_dump", "ztunnel-abc12"),
    ("captures", "zt.json", "zt"),
    ("<dict>", None, "ztunnel"),
])
def test_ztunnel_name(file: str, member: str | None, name: str) -> None:
    assert loader.ztunnel_name(Location(file=file, member=member)) == name


def test_records_compare_by_content_and_hash() -> None:
    raw = sample()["workloads"][0]
    a = Workload.from_raw(raw, path="$.workloads[0]")
    b = Workload.from_raw(copy.deepcopy(raw), path="$.by_uid['x']")
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a.raw is raw and b.json_path == "$.by_uid['x']"
    assert a != Workload.from_raw({**raw, "status": "Unhealthy"})
    svc = Service.from_raw(sample()["services"][0])
    assert svc.key == "bookinfo/details.bookinfo.svc.cluster.local" and hash(svc)
    assert CertsDump.model_validate({"identity": "i", "state": "Initializing"}).short_state == "Initializing"
