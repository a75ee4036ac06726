"""diff(): intended vs loaded and before vs after, by resource identity; istioctl's proxy-status text."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

import meshlens
from meshlens.analysis.diff import canonical, compare
from meshlens.analysis.istioctl_compare import istioctl_compare
from meshlens.cli import main
from tests.conftest import fixture_path, needs_shared


def envoy(capture: str, name: str = "config_dump_include_eds.json") -> str:
    return str(fixture_path("envoy", capture, name))


def intended(capture: str, eds: bool = True) -> str:
    name = "istiod_debug_config_dump_include_eds.json" if eds else "istiod_debug_config_dump.json"
    return str(fixture_path("envoy", capture, "intended", name))


@needs_shared
def test_healthy_intended_vs_loaded_is_synced() -> None:
    drift = meshlens.diff(intended("sidecar-productpage"), envoy("sidecar-productpage"))
    assert drift.resources == [] and drift.runtime_health == []
    assert {t: drift.summary[t] for t in ("CDS", "LDS", "RDS", "EDS", "SDS")} == dict.fromkeys(
        ("CDS", "LDS", "RDS", "EDS", "SDS"), "SYNCED")
    assert drift.in_sync


@needs_shared
def test_unhealthy_health_differences_are_runtime_not_drift() -> None:
    drift = meshlens.diff(intended("sidecar-unhealthy"), envoy("sidecar-unhealthy"))
    assert drift.resources == []
    assert drift.summary["EDS"] == "SYNCED"
    moved = {(r.name, c.path, c.intended, c.loaded) for r in drift.runtime_health for c in r.changes}
    assert ("outbound|9080||ratings.default.svc.cluster.local", "$.lb_endpoints['10.244.0.25:9080'].health_status",
            "DRAINING", "UNHEALTHY") in moved
    assert any(name == "outbound|9080|v3|reviews.default.svc.cluster.local" and new == "UNHEALTHY"
               for name, _, _, new in moved)


@needs_shared
def test_degraded_intended_vs_loaded() -> None:
    drift = meshlens.diff(intended("sidecar-productpage-degraded"), envoy("sidecar-productpage-degraded"))
    got = {(r.type, r.name, r.status) for r in drift.resources}
    assert got == {
        ("CDS", "outbound|8080||broken.default.svc.cluster.local", "missing"),
        ("CDS", "outbound|8080||ghost.default.svc.cluster.local", "warming"),
        ("LDS", "0.0.0.0_8081", "warming"),
        ("LDS", "0.0.0.0_8082", "rejected"),
    }
    rejected = next(r for r in drift.resources if r.status == "rejected")
    assert "duplicate matcher" in (rejected.details or "")
    assert drift.resources[0].status == "rejected"  # called out first
    assert drift.summary["RDS"] == "SYNCED" and drift.summary["EDS"] == "SYNCED"


@needs_shared
def test_before_after_reports_exactly_the_pushed_changes() -> None:
    drift = meshlens.diff(envoy("sidecar-productpage"), envoy("sidecar-productpage-degraded"))
    got = {(r.type, r.name, r.status) for r in drift.resources}
    assert got == {
        ("CDS", "outbound|8080||ghost.default.svc.cluster.local", "warming"),
        ("LDS", "0.0.0.0_8081", "warming"),
        ("LDS", "0.0.0.0_8082", "rejected"),
        ("RDS", "9080", "changed"),
    }
    route = next(r for r in drift.resources if r.name == "9080")
    assert len(route.changes) == 1
    change = route.changes[0]
    assert change.kind == "added"
    assert change.path == "$.virtual_hosts['details.default.svc.cluster.local:9080'].routes[0]"
    assert change.loaded["route"]["cluster"] == "outbound|9080||missing.default.svc.cluster.local"


@needs_shared
def test_waypoint_same_file_and_hand_edited() -> None:
    base = str(fixture_path("istio", "envoy-configdump__waypoint-cds-lds-rds__2024-03.json"))
    edited = str(fixture_path("istio", "envoy-configdump__waypoint-cds-lds-rds__2024-03__HAND-EDITED-for-diff.json"))
    assert meshlens.diff(base, base).resources == []
    drift = meshlens.diff(base, edited)
    by = {(r.type, r.name): r for r in drift.resources}
    stat = by[("LDS", "main_internal")].changes
    assert [(c.path, c.intended, c.loaded) for c in stat] == [
        ("$.filter_chains[0].filters[0].typed_config.stat_prefix", "inbound_0.0.0.0_9080", "inbound_0.0.0.0_9999")]
    removed = by[("LDS", "connect_terminate")].changes
    hcm = "$.filter_chains[0].filters[0].typed_config"
    assert [(c.kind, c.path) for c in removed] == [("removed", f"{hcm}.use_remote_address")]
    renamed = by[("CDS", "inbound-vip|9999|http|ratings.default.svc.cluster.local")]
    assert renamed.status == "added"
    assert renamed.counterpart == "inbound-vip|9080|http|ratings.default.svc.cluster.local"
    assert ("removed", "$.eds_cluster_config") in {(c.kind, c.path) for c in renamed.changes}
    assert by[("CDS", "inbound-vip|9080|http|ratings.default.svc.cluster.local")].status == "missing"


@needs_shared
def test_istioctl_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    if hasattr(__import__("time"), "tzset"):
        __import__("time").tzset()
    base = str(fixture_path("istio", "envoy-configdump__waypoint-cds-lds-rds__2024-03.json"))
    edited = str(fixture_path("istio", "envoy-configdump__waypoint-cds-lds-rds__2024-03__HAND-EDITED-for-diff.json"))
    same = istioctl_compare(base, base)
    assert same == "Clusters Match\nListeners Match\nRoutes Match (RDS last loaded at Mon, 04 Mar 2024 08:37:44 UTC)\n"
    text = istioctl_compare(base, edited)
    assert text.startswith("Clusters Don't Match\n--- Istiod Clusters\n+++ Envoy Clusters\n@@ ")
    assert '-                "name": "inbound-vip|9080|http|ratings.default.svc.cluster.local",\n' in text
    assert '+                "name": "inbound-vip|9999|http|ratings.default.svc.cluster.local",\n' in text
    assert '-                "edsClusterConfig": {\n' in text
    assert "Listeners Don't Match\n--- Istiod Listeners\n+++ Envoy Listeners\n" in text
    assert '-                                        "statPrefix": "inbound_0.0.0.0_9080",\n' in text
    assert "Routes Don't Match (RDS last loaded at " in text
    result = CliRunner().invoke(main, ["diff", base, edited, "--istioctl", "--exit-code"])
    assert result.exit_code == 1 and result.stdout == text
    os.environ.pop("TZ", None)


@needs_shared
def test_cli_json_contract() -> None:
    result = CliRunner().invoke(main, ["diff", intended("sidecar-productpage-degraded", eds=False),
                                       envoy("sidecar-productpage-degraded", "config_dump.json"), "-o", "json"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert set(doc["summary"]) == {"CDS", "LDS", "RDS", "EDS", "SDS", "ECDS"}
    assert doc["summary"]["EDS"] == "NOT_COMPARED"
    statuses = {r["name"]: r["status"] for r in doc["resources"]}
    assert statuses["0.0.0.0_8082"] == "rejected"
    assert all(set(r) >= {"type", "name", "status", "changes"} for r in doc["resources"])


def test_order_rules() -> None:
    r1, r2 = {"name": "r1"}, {"name": "r2"}
    a = {"name": "rc", "virtual_hosts": [{"name": "b", "domains": ["x", "y"], "routes": [r1, r2]},
                                         {"name": "a", "domains": ["z"]}]}
    b = {"name": "rc", "virtual_hosts": [{"name": "a", "domains": ["z"]},
                                         {"name": "b", "domains": ["y", "x"], "routes": [r2, r1]}]}
    changes = compare(canonical(a), canonical(b))
    assert [(c.kind, c.path, c.intended, c.loaded) for c in changes] == [
        ("reordered", "$.virtual_hosts['b'].routes", ["r1", "r2"], ["r2", "r1"])]


def test_drift_frame_has_one_row_per_field() -> None:
    pytest.importorskip("pandas")
    a = {"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump", "dynamic_active_clusters": [
        {"cluster": {"name": "c", "type": "STATIC", "connect_timeout": "1s", "lb_policy": "RING_HASH"}}]}]}
    b = json.loads(json.dumps(a))
    cluster = b["configs"][0]["dynamic_active_clusters"][0]["cluster"]
    cluster["connect_timeout"] = "2s"
    del cluster["lb_policy"]
    drift = meshlens.diff(a, b)
    frame = drift.to_frame()
    assert list(frame["path"]) == ["$.connect_timeout", "$.lb_policy"]
    assert "<table>" in drift._repr_html_()


def _clusters_dump(active: list[dict], warming: list[dict] | None = None) -> dict:
    section = {"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump",
               "dynamic_active_clusters": [{"cluster": c} for c in active]}
    if warming:
        section["dynamic_warming_clusters"] = [{"cluster": c} for c in warming]
    return {"configs": [section]}


def test_update_in_flight_is_warming_not_changed() -> None:
    old = {"name": "x", "type": "STATIC", "connect_timeout": "10s"}
    new = {"name": "x", "type": "STATIC", "connect_timeout": "5s"}
    loaded = meshlens.load(_clusters_dump([old], warming=[new]))
    assert not [f for f in loaded.findings if f.code == "ML0010"]  # active + warming copy is normal
    drift = meshlens.diff(_clusters_dump([new]), loaded)
    assert [(r.name, r.status) for r in drift.resources] == [("x", "warming")]


def test_rename_pairing_needs_one_candidate_each_side() -> None:
    def c(port: int) -> dict:
        return {"name": f"outbound|{port}||a.default.svc.cluster.local", "type": "EDS"}

    drift = meshlens.diff(_clusters_dump([c(9080), c(9081)]), _clusters_dump([c(9082)]))
    assert {(r.name.split("|")[1], r.status, r.counterpart) for r in drift.resources} == {
        ("9080", "missing", None), ("9081", "missing", None), ("9082", "added", None)}


def test_alpn_order_matters_domain_order_does_not() -> None:
    a = {"name": "l", "filter_chains": [{"transport_socket": {"typed_config": {
        "common_tls_context": {"alpn_protocols": ["h2", "http/1.1"]}}}}]}
    b = json.loads(json.dumps(a))
    b["filter_chains"][0]["transport_socket"]["typed_config"]["common_tls_context"]["alpn_protocols"].reverse()
    assert [c.kind for c in compare(canonical(a), canonical(b))] == ["reordered"]
    assert compare(canonical({"domains": ["a", "b"]}), canonical({"domains": ["b", "a"]})) == []
