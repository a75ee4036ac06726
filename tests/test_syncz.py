"""istiod sync status (syncz), XDS ClientConfig and HTTP /debug/syncz forms, over real fixtures."""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path

import orjson
import pytest

import meshlens as ml
from meshlens.models.istiod import CDS, ECDS, LDS, IstiodState, SyncStatus, derive_status
from tests.conftest import fixture_path

XDS_JSON = ("istio", "istiod-xds-syncz__ClientConfig-discoveryresponse.json")
XDS_YAML = ("istio", "istiod-xds-syncz__ClientConfig-discoveryresponse.yaml")
XDS_NS_YAML = ("istio", "istiod-xds-syncz__ClientConfig-namespace-filtered.yaml")
BOOKINFO = ("bugreport", "bookinfo-mesh.tar.gz")
SYNCZ_MEMBER = "bug-report/istio/istio-system/istiod-7d4f8c9b6d-x2kqp/debug/syncz"
PRODUCTPAGE = "productpage-v1-6c886ff494-7vxhs.default"


def _syncz_bytes() -> bytes:
    with tarfile.open(fixture_path(*BOOKINFO), mode="r:gz") as tar:
        handle = tar.extractfile(SYNCZ_MEMBER)
        assert handle is not None
        return handle.read()


def _state(source: object) -> IstiodState:
    snap = ml.load(source)
    assert snap.istiod is not None
    assert snap.kind == "istiod-syncz"
    return snap.istiod


# ---------------------------------------------------------------------------------- XDS form
@pytest.mark.parametrize("parts", [XDS_JSON, XDS_YAML])
def test_xds_client_config(parts: tuple[str, ...]) -> None:
    state = _state(fixture_path(*parts))
    (row,) = state.sync
    assert (row.proxy, row.cluster_id, row.istio_version, row.istiod) == ("proxy1", "cluster1", "1.20", "istiod1")
    assert row.form == "xds"
    assert (row.cds, row.lds, row.eds, row.rds, row.ecds) == (
        SyncStatus.STALE, SyncStatus.SYNCED, SyncStatus.SYNCED, SyncStatus.NOT_SENT, SyncStatus.SYNCED)
    assert row.status("rds").label == "NOT SENT"
    assert row.status("SDS") is SyncStatus.IGNORED  # never subscribed
    # proxy-status SUBSCRIBED TYPES: "5 (CDS,LDS,EDS,RDS,ECDS)"
    assert [t.short_name for t in row.subscribed_types()] == ["CDS", "LDS", "EDS", "RDS", "ECDS"]
    (plane,) = state.control_planes
    assert (plane.id, plane.component, plane.version) == ("istiod1", "istiod", "1.1")
    assert row.location.json_path == "$.resources[0]"


def test_json_and_yaml_forms_are_equal() -> None:
    (a,) = _state(fixture_path(*XDS_JSON)).sync
    (b,) = _state(fixture_path(*XDS_YAML)).sync
    assert a.types == b.types
    assert (a.proxy, a.cluster_id, a.istiod) == (b.proxy, b.cluster_id, b.istiod)


def test_xds_namespace_from_node_metadata() -> None:
    (row,) = _state(fixture_path(*XDS_NS_YAML)).sync
    assert row.namespace == "foo"


def test_several_xds_responses_one_per_istiod() -> None:
    response = orjson.loads(fixture_path(*XDS_JSON).read_bytes())
    second = orjson.loads(orjson.dumps(response))
    second["controlPlane"]["identifier"] = second["controlPlane"]["identifier"].replace("istiod1", "istiod2")
    second["resources"][0]["node"]["id"] = "proxy2"
    second["resources"][0]["genericXdsConfigs"] = []  # subscribed to nothing: "0" in proxy-status
    state = _state(orjson.dumps([response, second]))
    assert [(r.proxy, r.istiod) for r in state.sync] == [("proxy1", "istiod1"), ("proxy2", "istiod2")]
    assert state.istiods == ["istiod1", "istiod2"]
    assert state.sync[1].subscribed_types() == []
    assert state.sync[1].location.json_path == "$[1].resources[0]"


# --------------------------------------------------------------------------------- HTTP form
def test_http_syncz_statuses() -> None:
    state = _state(_syncz_bytes())
    assert [r.name for r in state.sync] == [
        "details-v1-65599dcf68-x7ccd.default", PRODUCTPAGE, "reviews-v1-5c4d6d447c-jq8sm.default",
        "reviews-v2-65cb66b45c-9d2rz.default", "ztunnel-qk2pp.istio-system"]
    assert all(r.form == "http" and r.cluster_id == "Kubernetes" and r.istio_version == "1.24.2"
               for r in state.sync)
    details = state.proxy_sync("details-v1-65599dcf68-x7ccd")  # by pod name
    assert details is not None and details.namespace == "default" and details.proxy_type == "sidecar"
    assert (details.cds, details.lds, details.eds, details.rds, details.ecds) == (
        SyncStatus.SYNCED, SyncStatus.SYNCED, SyncStatus.SYNCED, SyncStatus.SYNCED, SyncStatus.IGNORED)

    page = state.proxy_sync(PRODUCTPAGE)
    assert page is not None
    # CDS: sent /24, acked /23, no error (Envoy never answered while a cluster was warming).
    assert page.cds is SyncStatus.STALE
    cds = page.sync("CDS")
    assert cds is not None and cds.nonce_sent is not None and cds.nonce_sent.startswith("2026-11-22T13:31:43Z/24")
    assert cds.nonce_acked is not None and cds.nonce_acked.startswith("2026-11-22T13:30:06Z/23")
    # LDS: NACKed -> ERROR under istiod's LastError-first rule, with Envoy's NACK text.
    assert page.lds is SyncStatus.ERROR
    assert "0.0.0.0_8082" in page.errors["LDS"]
    assert "has the same matching rules defined as '0.0.0.0_9080'" in page.errors["LDS"]
    assert (page.eds, page.rds) == (SyncStatus.SYNCED, SyncStatus.SYNCED)
    assert page.sync(LDS).sent_at is not None  # type: ignore[union-attr]

    ztunnel = state.proxy_sync("ztunnel-qk2pp.istio-system")
    assert ztunnel is not None and ztunnel.proxy_type == "ztunnel"
    assert ztunnel.cds is SyncStatus.IGNORED
    assert [(t.short_name, t.status) for t in ztunnel.subscribed_types()] == [
        ("WADS", SyncStatus.SYNCED), ("WDS", SyncStatus.SYNCED)]


def test_http_syncz_outside_a_bugreport_has_no_istiod() -> None:
    state = _state(_syncz_bytes())
    assert all(r.istiod is None for r in state.sync)
    assert state.control_planes == []


def test_http_syncz_at_a_bugreport_path_names_its_istiod(tmp_path: Path) -> None:
    path = tmp_path / "istio-system" / "istiod-abc-123" / "debug" / "syncz"
    path.parent.mkdir(parents=True)
    path.write_bytes(_syncz_bytes())
    state = _state(path)
    assert {r.istiod for r in state.sync} == {"istiod-abc-123"}
    (plane,) = state.control_planes
    assert (plane.id, plane.namespace) == ("istiod-abc-123", "istio-system")


def test_older_http_rows_with_nonce_pairs_only() -> None:
    rows = [{"proxy": "a-1.ns", "cluster_id": "c", "istio_version": "1.15",
             "cluster_sent": "n1", "cluster_acked": "n1", "listener_sent": "n2", "listener_acked": "n1",
             "route_sent": "", "route_acked": "", "endpoint_sent": "n3", "endpoint_acked": "n3"}]
    (row,) = _state(orjson.dumps(rows)).sync
    assert (row.cds, row.lds, row.rds, row.eds, row.ecds) == (
        SyncStatus.SYNCED, SyncStatus.STALE, SyncStatus.NOT_SENT, SyncStatus.SYNCED, SyncStatus.IGNORED)
    assert row.pod == "a-1" and row.namespace == "ns"


def test_malformed_row_is_a_finding() -> None:
    rows = [{"proxy": "a.ns", "resources": {CDS: {"sent": "x", "acked": "x"}}}, {"proxy": 3, "resources": {}}]
    snap = ml.load(orjson.dumps(rows))
    assert snap.istiod is not None and [r.proxy for r in snap.istiod.sync] == ["a.ns"]
    assert [(f.code, f.location.json_path) for f in snap.findings] == [("ML0007", "$[1]")]


def test_derive_status_rule() -> None:
    assert derive_status("n2", "n1", "bad listener") is SyncStatus.ERROR  # error first
    assert derive_status("n1", "n1", "bad listener") is SyncStatus.ERROR
    assert derive_status("", "", None) is SyncStatus.NOT_SENT
    assert derive_status(None, "n1") is SyncStatus.NOT_SENT
    assert derive_status("n1", "n1") is SyncStatus.SYNCED
    assert derive_status("n2", "n1") is SyncStatus.STALE
    assert derive_status("n2", None) is SyncStatus.STALE
    assert SyncStatus.from_config_status("UNKNOWN") is SyncStatus.IGNORED
    assert SyncStatus.from_config_status(None) is SyncStatus.IGNORED
    assert SyncStatus.from_config_status("NOT_SENT").label == "NOT SENT"


# ----------------------------------------------------------------------------------- merging
def test_both_forms_merge_into_one_state(tmp_path: Path) -> None:
    shutil.copyfile(fixture_path(*XDS_JSON), tmp_path / "ps.json")
    (tmp_path / "istiod-abc" / "debug").mkdir(parents=True)
    (tmp_path / "istiod-abc" / "debug" / "syncz").write_bytes(_syncz_bytes())
    snap = ml.load(tmp_path)
    assert snap.istiod is not None
    assert len(snap.istiod.sync) == 6
    assert set(snap.istiod.istiods) == {"istiod1", "istiod-abc"}
    assert snap.istiod.proxy_sync("proxy1").istiod == "istiod1"  # type: ignore[union-attr]
    assert snap.istiod.proxy_sync(PRODUCTPAGE).istiod == "istiod-abc"  # type: ignore[union-attr]
    assert snap.istiod.proxy_sync(PRODUCTPAGE).status(ECDS) is SyncStatus.IGNORED  # type: ignore[union-attr]
