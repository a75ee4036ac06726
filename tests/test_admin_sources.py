"""Envoy admin captures other than /config_dump, over the real Envoy 1.40 captures."""

from __future__ import annotations

import tarfile
from datetime import datetime, timezone

import orjson
import pytest

import meshlens as ml
from meshlens.errors import LoadError
from meshlens.models.admin import ClusterStatus, HealthStatus, LogLevels
from meshlens.models.base import Location
from meshlens.sources import admin, detect
from meshlens.sources.admin_clusters import clusters_from_text, listeners_from_text
from meshlens.sources.admin_logs import parse_log
from meshlens.sources.read import parse_bytes
from tests.conftest import fixture_path

REVIEWS = "outbound|9080||reviews.default.svc.cluster.local"
REVIEWS_V3 = "outbound|9080|v3|reviews.default.svc.cluster.local"
RATINGS = "outbound|9080||ratings.default.svc.cluster.local"
BOOKINFO = ("bugreport", "bookinfo-mesh.tar.gz")
PRODUCTPAGE_DIR = "bug-report/proxies/default/productpage-v1-6c886ff494-7vxhs/"


def _statuses(*parts: str) -> dict[str, ClusterStatus]:
    snap = ml.load(fixture_path(*parts))
    assert len(snap.proxies) == 1
    return {c.name: c for c in snap.proxies[0].cluster_statuses}


def _member(archive: tuple[str, ...], name: str) -> bytes:
    """One archive member's bytes, read in memory."""
    with tarfile.open(fixture_path(*archive), mode="r:gz") as tar:
        handle = tar.extractfile(name)
        assert handle is not None
        return handle.read()


# ----------------------------------------------------------------------------------- /clusters
@pytest.mark.parametrize("capture", ["sidecar-productpage", "sidecar-productpage-degraded", "sidecar-unhealthy"])
def test_clusters_json_and_text_give_the_same_records(capture: str) -> None:
    as_json = _statuses("envoy", capture, "clusters.json")
    as_text = _statuses("envoy", capture, "clusters.txt")
    assert set(as_json) == set(as_text)
    for name, cluster in as_json.items():
        other = as_text[name]
        assert [h.endpoint for h in sorted(cluster.hosts, key=lambda h: h.endpoint)] == \
            [h.endpoint for h in sorted(other.hosts, key=lambda h: h.endpoint)]
        for host in cluster.hosts:
            twin = other.host(host.endpoint)
            assert twin is not None
            # Every field the two forms share is equal; only the text form says "canary".
            assert host.model_dump(exclude={"canary"}) == twin.model_dump(exclude={"canary"}), (name, host.endpoint)
        shared = {"host_statuses", "success_rate_average", "local_origin_success_rate_average"}
        assert cluster.model_dump(exclude=shared) == other.model_dump(exclude=shared), name


@pytest.mark.parametrize("form", ["clusters.json", "clusters.txt"])
def test_unhealthy_hosts_in_both_forms(form: str) -> None:
    statuses = _statuses("envoy", "sidecar-unhealthy", form)
    killed = statuses[REVIEWS].host("127.0.1.3:9080")
    assert killed is not None
    assert killed.health_status.failed_outlier_check
    assert killed.health_status.failed_active_health_check
    assert killed.health_status.eds_health_status == "HEALTHY"
    assert killed.health_status.flags == ("failed_active_hc", "failed_outlier_check")
    assert killed.health_status.outlier_check == "FAILED"
    assert not killed.health_status.healthy
    assert killed.stat("cx_connect_fail") == 3
    assert killed.stat("rq_error") == 3
    assert killed.ip == "127.0.1.3" and killed.port == 9080

    # In the v3 subset cluster only the outlier detector ejected it (no health check there).
    in_v3 = statuses[REVIEWS_V3].host("127.0.1.3:9080")
    assert in_v3 is not None
    assert in_v3.health_status.failed_outlier_check
    assert not in_v3.health_status.failed_active_health_check

    healthy = statuses[REVIEWS].host("127.0.1.1:9080")
    assert healthy is not None and healthy.health_status.healthy
    assert healthy.health_status.outlier_check == "OK"

    eds = {h.ip: h.health_status.eds_health_status for h in statuses[RATINGS].hosts}
    assert eds == {"10.244.0.19": "HEALTHY", "10.244.0.24": "UNHEALTHY", "10.244.0.25": "DRAINING",
                   "10.244.0.26": "DEGRADED"}
    # The empty subset v4 has no hosts at all.
    assert statuses["outbound|9080|v4|reviews.default.svc.cluster.local"].hosts == ()


@pytest.mark.parametrize("form", ["clusters.json", "clusters.txt"])
def test_cluster_facts_in_both_forms(form: str) -> None:
    statuses = _statuses("envoy", "sidecar-productpage", form)
    reviews = statuses[REVIEWS]
    assert reviews.added_via_api
    assert reviews.observability_name == REVIEWS
    assert reviews.eds_service_name == REVIEWS
    assert reviews.circuit_breakers is not None
    default = reviews.circuit_breakers.for_priority("DEFAULT")
    high = reviews.circuit_breakers.for_priority("HIGH")
    assert default is not None and default.max_connections == 4294967295
    assert high is not None and (high.max_connections, high.max_retries) == (1024, 3)
    # Bootstrap clusters are static; the SDS/XDS ones reach istio-agent over a unix socket.
    sds = statuses["sds-grpc"]
    assert not sds.added_via_api and sds.eds_service_name == ""
    assert [h.endpoint for h in sds.hosts] == ["unix://./var/run/secrets/workload-spiffe-uds/socket"]
    assert sds.hosts[0].stat("cx_total") == 1


def test_clusters_text_edge_cases() -> None:
    text = (
        "c1::observability_name::c1\n"
        "c1::added_via_api::true\n"
        "c1::[::1]:9080::cx_total::7\n"
        "c1::[::1]:9080::health_flags::/failed_eds_health/pending_dynamic_removal/new_flag\n"
        "c1::[::1]:9080::weight::3\n"
        "c1::[::1]:9080::region::eu\n"
        "c1::[::1]:9080::success_rate::93.5\n"
        "c1::envoy://connect_originate/10.0.0.1:80::health_flags::healthy\n"
        "garbage\n"
    )
    records, problems = clusters_from_text(text)
    assert [p[0] for p in problems] == ["line 9"]
    (c1,) = records
    v6 = c1.host("[::1]:9080")
    assert v6 is not None and v6.ip == "::1" and v6.port == 9080
    assert v6.stat("cx_total") == 7 and v6.weight == 3 and v6.locality.region == "eu"
    assert v6.success_rate == 93.5
    assert v6.health_status.eds_health_status == "UNHEALTHY"
    assert v6.health_status.pending_dynamic_removal
    assert v6.health_status.other_flags == ("new_flag",)
    internal = c1.host("envoy://connect_originate/10.0.0.1:80")
    assert internal is not None and internal.address.envoy_internal_address is not None


def test_health_flags_round_trip() -> None:
    for flags in ("/failed_active_hc/failed_outlier_check", "/degraded_eds_health", "/eds_status_draining"):
        assert "/" + "/".join(HealthStatus.from_flags(flags).flags) == flags
    assert HealthStatus.from_flags("healthy").flags == ()


def test_malformed_cluster_status_is_a_finding_not_a_crash() -> None:
    data = {"cluster_statuses": [
        {"name": "good", "host_statuses": [{"address": {"socket_address": {"address": "10.0.0.1",
                                                                           "port_value": 80}}}]},
        {"name": "bad", "host_statuses": [{"address": {"socket_address": {"port_value": "eighty"}}}]},
    ]}
    snap = ml.load(data)
    assert [c.name for c in snap.proxies[0].cluster_statuses] == ["good"]
    (finding,) = snap.findings
    assert finding.code == "ML0007" and "'bad'" in finding.message
    assert finding.location.json_path.startswith("$.cluster_statuses[1]")


def test_scale_clusters_json() -> None:
    snap = ml.load(fixture_path("envoy", "scale", "n1000-clusters.json.gz"))
    statuses = snap.proxies[0].cluster_statuses
    assert len(statuses) == 1272
    assert sum(len(c.hosts) for c in statuses) == 2766


# -------------------------------------------------------------------------------------- /certs
def test_certs() -> None:
    snap = ml.load(fixture_path("envoy", "sidecar-productpage", "certs.json"))
    certs = snap.proxies[0].certs
    assert len(certs) == 16  # one per TLS context
    leaf = certs[0].leaf
    assert leaf is not None
    assert leaf.spiffe_id == "spiffe://cluster.local/ns/default/sa/bookinfo-productpage"
    assert leaf.days_until_expiration == 0
    assert leaf.valid_from == datetime(2026, 11, 22, 12, 28, 37, tzinfo=timezone.utc)
    assert leaf.expiration_time == datetime(2026, 11, 23, 12, 30, 37, tzinfo=timezone.utc)
    assert leaf.path == "<inline>"
    assert certs[0].ca_cert[0].serial_number  # the mesh root
    assert len({c.leaf.serial_number for c in certs if c.leaf}) == 1  # same leaf in every context


def test_expired_leaf_in_bugreport_certs() -> None:
    body = _member(BOOKINFO, "bug-report/proxies/default/details-v1-65599dcf68-x7ccd/certs")
    leaf = ml.load(body).proxies[0].certs[0].leaf
    assert leaf is not None and leaf.days_until_expiration == 0
    assert leaf.expiration_time == datetime(2026, 11, 21, 11, 46, 36, tzinfo=timezone.utc)
    assert not leaf.is_valid_at(datetime(2026, 11, 22, 13, 32, tzinfo=timezone.utc))


# -------------------------------------------------------------------------- /server_info etc.
def test_server_info_sets_node_id() -> None:
    proxy = ml.load(fixture_path("envoy", "sidecar-productpage", "server_info.json")).proxies[0]
    info = proxy.server_info
    assert proxy.node_id == "sidecar~10.244.0.22~productpage-v1-6c886ff494-7vxhs.default~default.svc.cluster.local"
    assert info.state == "LIVE"
    assert info.envoy_version == "1.40.0"
    assert info.istio_version == "1.24.2"
    assert info.node_cluster == "productpage.default"
    assert info.command_line_options["concurrency"] == 2
    assert info.uptime_seconds == 0


def test_listeners_json_and_text_agree() -> None:
    as_json = ml.load(fixture_path("envoy", "sidecar-productpage", "listeners.json")).proxies[0]
    as_text = ml.load(fixture_path("envoy", "sidecar-productpage", "listeners.txt")).proxies[0]
    pairs = [(s.name, s.address) for s in as_json.listener_statuses]
    assert pairs == [(s.name, s.address) for s in as_text.listener_statuses]
    assert ("virtualOutbound", "0.0.0.0:15001") in pairs
    assert ("10.96.0.10_53", "10.96.0.10:53") in pairs
    records, _ = listeners_from_text("[::]_15001::[::]:15001\n")
    assert (records[0].name, records[0].local_address.ip) == ("[::]_15001", "::")


def test_stats_json_and_prometheus() -> None:
    as_json = ml.load(fixture_path("envoy", "sidecar-productpage-degraded", "stats.json")).proxies[0].stats
    assert as_json.format == "json"
    assert as_json.get("cluster_manager.cds.update_rejected") == 1
    assert as_json.get("cluster_manager.cds.version_text") == "2026-11-22T12:00:00Z/23"  # a text readout
    assert as_json.histograms
    prom = ml.load(fixture_path("envoy", "sidecar-productpage-degraded", "stats_prometheus.txt")).proxies[0].stats
    assert prom.format == "prometheus"
    assert prom.get("envoy_cluster_manager_cds_update_rejected") == 1
    assert prom.types["envoy_cluster_upstream_cx_connect_ms"] == "histogram"
    assert prom.series("envoy_cluster_assignment_stale") == {'{cluster_name="xds-grpc"}': 0}


def test_logging_levels() -> None:
    snap = ml.load(fixture_path("istio", "envoy-admin-logging__loggers.txt"))
    (proxy,) = snap.proxies
    levels = admin.proxy_admin_extra(snap, proxy, "logging")
    assert isinstance(levels, LogLevels)
    assert len(levels.levels) == 40
    assert levels.levels["upstream"] == "warning"


def test_memory_and_runtime_from_bugreport_members() -> None:
    snap = ml.load(_member(BOOKINFO, PRODUCTPAGE_DIR + "memory"))
    memory = admin.proxy_admin_extra(snap, snap.proxies[0], "memory")
    assert memory.allocated == 9631528 and memory.heap_size == 16777216
    snap = ml.load(_member(BOOKINFO, PRODUCTPAGE_DIR + "runtime"))
    runtime = admin.proxy_admin_extra(snap, snap.proxies[0], "runtime")
    assert runtime.layers == ("global config", "admin")
    assert runtime.get("re2.max_program_size.error_level") == "32768"


def test_istio_format_log_records() -> None:
    lines = _member(BOOKINFO, PRODUCTPAGE_DIR + "istio-proxy.log").decode().splitlines()
    entries = parse_log(lines)
    assert entries[0].level == "info" and entries[0].logger == "main"
    rejected = [e for e in entries if e.level == "warning" and "0.0.0.0_8082" in e.message]
    assert rejected and rejected[0].time.startswith("2026-11-22T13:31:43")
    assert "config rejected" in rejected[0].message


# ------------------------------------------------------------------------------------ sniffing
@pytest.mark.parametrize(("parts", "kind"), [
    (("envoy", "sidecar-productpage", "clusters.json"), "envoy-clusters"),
    (("envoy", "sidecar-productpage", "clusters.txt"), "envoy-clusters-text"),
    (("envoy", "sidecar-productpage", "certs.json"), "envoy-certs"),
    (("envoy", "sidecar-productpage", "server_info.json"), "envoy-server-info"),
    (("envoy", "sidecar-productpage", "listeners.json"), "envoy-listeners"),
    (("envoy", "sidecar-productpage", "listeners.txt"), "envoy-listeners-text"),
    (("envoy", "sidecar-productpage", "stats.json"), "envoy-stats"),
    (("envoy", "sidecar-productpage", "stats_prometheus.txt"), "envoy-stats-prometheus"),
    (("istio", "envoy-admin-logging__loggers.txt"), "envoy-logging"),
    (("istio", "ztunnel-configdump__legacy-map-format__bookinfo.json"), "ztunnel-config-dump"),
    (("istio", "istiod-xds-syncz__ClientConfig-discoveryresponse.json"), "istiod-syncz"),
])
def test_each_capture_is_recognised_by_content(parts: tuple[str, ...], kind: str) -> None:
    path = fixture_path(*parts)
    doc = parse_bytes(path.read_bytes(), Location(file="renamed-without-a-hint"))
    loader = detect(doc)
    if kind.startswith("ztunnel") and loader is None:
        pytest.skip("the ztunnel loader is not in this tree yet")
    assert loader is not None
    assert kind == loader.KIND


def test_admin_sniffers_leave_other_captures_alone() -> None:
    for parts in (("istio", "ztunnel-configdump__legacy-map-format__bookinfo.json"),
                  ("istio", "istiod-xds-syncz__ClientConfig-discoveryresponse.json"),
                  ("envoy", "sidecar-productpage", "config_dump.json")):
        doc = parse_bytes(fixture_path(*parts).read_bytes(), Location(file="x"))
        assert not any(loader.sniff(doc) for loader in admin.LOADERS), parts


def test_a_lone_envoy_log_is_loaded_as_typed_events() -> None:
    snap = ml.load(fixture_path("envoy", "sidecar-productpage-degraded", "envoy.log"))
    assert snap.kind == "envoy-log" and not snap.proxies
    (log,) = snap.logs
    rejected = [e for e in log.events if e.kind == "rejected"]
    assert {(e.xds, r) for e in rejected for r in e.resources} == {
        ("CDS", "outbound|8080||broken.default.svc.cluster.local"), ("LDS", "0.0.0.0_8082")}


def test_a_lone_log_of_something_else_is_not_a_capture() -> None:
    with pytest.raises(LoadError):
        ml.load(fixture_path("envoy", "sidecar-unhealthy", "access.log"))


def test_camel_case_clusters_json() -> None:
    raw = orjson.loads(fixture_path("envoy", "sidecar-unhealthy", "clusters.json").read_bytes())
    camel = {"clusterStatuses": [
        {"name": c["name"], "hostStatuses": [
            {"address": h["address"], "healthStatus": {
                "edsHealthStatus": h["health_status"].get("eds_health_status"),
                "failedOutlierCheck": h["health_status"].get("failed_outlier_check", False)}}
            for h in c.get("host_statuses", [])]}
        for c in raw["cluster_statuses"]]}
    snap = ml.load(orjson.dumps(camel))
    reviews = {c.name: c for c in snap.proxies[0].cluster_statuses}[REVIEWS]
    host = reviews.host("127.0.1.3:9080")
    assert host is not None and host.health_status.failed_outlier_check
