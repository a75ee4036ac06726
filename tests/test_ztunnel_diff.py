"""istiod's ztunnel view (protojson WDS) loaded as ztunnel records, and diffed against ztunnel dumps."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import meshlens as ml
from meshlens.analysis.diff import diff
from tests.conftest import REPO, SAMPLES, fixture_path

DATA = REPO / "tests" / "data" / "istiod_ztunnel"
SAMPLE = SAMPLES / "ztunnel" / "config_dump.json"
LEGACY = ("istio", "ztunnel-configdump__legacy-map-format__bookinfo.json")
REVIEWS_V2 = "Kubernetes//Pod/bookinfo/reviews-v2-7b8c6d9f5e-k4v2s"


def _write(tmp_path: Path, name: str, doc: dict[str, Any]) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def test_fixtures_are_what_the_script_writes(tmp_path: Path) -> None:
    legacy = fixture_path(*LEGACY)
    for source, name, extra in ((legacy, "bookinfo-1.22.json", []),
                                (SAMPLE, "sample-1.30.json", ["--types-wds", "--policies"])):
        out = tmp_path / name
        subprocess.run([sys.executable, str(REPO / "scripts" / "make_istiod_ztunnel_dump.py"), str(source), str(out),
                        *extra], check=True, capture_output=True)
        assert json.loads(out.read_text()) == json.loads((DATA / name).read_text())


def test_protojson_is_read_into_ztunnel_records() -> None:
    (z,) = ml.load(DATA / "sample-1.30.json").ztunnels
    assert z.shape == "istiod"
    raw = json.loads((DATA / "sample-1.30.json").read_text())
    first = raw["configs"][0]["workload"]
    assert "trustDomain" not in first and "clusterId" not in first and "capacity" not in first  # omitted defaults
    w = z.workload(first["uid"])
    assert w is not None and (w.trust_domain, w.cluster_id, w.capacity) == ("cluster.local", "Kubernetes", 1)
    assert w.workload_ips == ("10.244.1.11",) and w.protocol == "HBONE" and w.waypoint is not None
    assert w.waypoint.destination == "/10.96.12.34"
    reviews = next(s for s in z.services if s.name == "reviews")
    assert sorted(reviews.endpoints) == sorted(e for e in reviews.endpoints)
    assert reviews.vips == ("/10.96.203.9",) and reviews.ports == {"9080": 9080}
    assert len(z.policies) == 3 and {p.action for p in z.policies} == {"Allow", "Deny"}


def test_identical_inputs_are_in_sync() -> None:
    drift = diff(str(DATA / "sample-1.30.json"), str(SAMPLE))
    assert drift.in_sync and drift.resources == []
    assert drift.summary == {"WDS": "SYNCED", "WADS": "SYNCED"}


def test_legacy_ztunnel_in_sync_and_says_what_it_cannot_compare() -> None:
    drift = diff(str(DATA / "bookinfo-1.22.json"), str(fixture_path(*LEGACY)))
    assert drift.summary == {"WDS": "SYNCED", "WADS": "NOT_COMPARED"}
    assert "workload capacity" in drift.notes["WDS"] and "service endpoints.status" in drift.notes["WDS"]
    assert "holds no policies" in drift.notes["WADS"]


def test_one_workload_removed_on_the_ztunnel_side(tmp_path: Path) -> None:
    doc = json.loads(SAMPLE.read_text())
    doc["workloads"] = [w for w in doc["workloads"] if w["uid"] != REVIEWS_V2]
    drift = diff(str(DATA / "sample-1.30.json"), str(_write(tmp_path, "z.json", doc)))
    assert [(r.type, r.name, r.status) for r in drift.resources] == [("WDS", REVIEWS_V2, "missing")]
    assert drift.summary["WDS"] == "DRIFTED" and drift.summary["WADS"] == "SYNCED"


def test_changed_waypoint_is_exactly_that_field(tmp_path: Path) -> None:
    doc = json.loads(SAMPLE.read_text())
    for w in doc["workloads"]:
        if w["uid"] == REVIEWS_V2:
            w["waypoint"]["destination"] = "/10.96.99.99"
    (r,) = diff(str(DATA / "sample-1.30.json"), str(_write(tmp_path, "z.json", doc))).resources
    assert (r.type, r.name, r.status) == ("WDS", REVIEWS_V2, "changed")
    assert [(c.path, c.intended, c.loaded) for c in r.changes] == [
        ("waypoint.destination", "/10.96.12.34", "/10.96.99.99")]


def test_added_policy_endpoint_health_and_json_shape(tmp_path: Path) -> None:
    doc = json.loads(SAMPLE.read_text())
    extra = copy.deepcopy(doc["policies"][0])
    extra["name"] = "stale-policy"
    doc["policies"].append(extra)
    svc = next(s for s in doc["services"] if s["name"] == "reviews")
    svc["endpoints"][REVIEWS_V2]["status"] = "Unhealthy"
    drift = diff(str(DATA / "sample-1.30.json"), str(_write(tmp_path, "z.json", doc)))
    got = {(r.type, r.name, r.status): [(c.path, c.intended, c.loaded) for c in r.changes] for r in drift.resources}
    assert got == {
        ("WADS", f"{extra['namespace']}/stale-policy", "added"): [],
        ("WDS", "bookinfo/reviews.bookinfo.svc.cluster.local", "changed"): [
            (f"endpoints.{REVIEWS_V2}.status", "Healthy", "Unhealthy")],
    }
    out = drift.to_dict()
    assert list(out)[:2] == ["summary", "resources"]
    assert set(out["resources"][0]) >= {"type", "name", "status", "changes"}


def test_cli_diff_and_bad_protojson(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from meshlens.cli import main

    res = CliRunner().invoke(main, ["diff", str(DATA / "sample-1.30.json"), str(SAMPLE), "-o", "json"])
    assert res.exit_code == 0 and json.loads(res.output)["summary"] == {"WDS": "SYNCED", "WADS": "SYNCED"}
    doc = json.loads((DATA / "sample-1.30.json").read_text())
    doc["configs"][0]["workload"]["addresses"] = ["not-base64!!"]
    res = CliRunner().invoke(main, ["diff", str(_write(tmp_path, "bad.json", doc)), str(SAMPLE)])
    assert res.exit_code == 2 and "$.configs[0].workload.addresses[0]" in res.output
    assert "base64" in res.output and len(res.output.strip().splitlines()) == 1


@pytest.mark.parametrize("view", ["workload", "service"])
def test_istiod_view_renders_as_zc_tables(view: str) -> None:
    (z,) = ml.load(DATA / "sample-1.30.json").ztunnels
    text = str(z.view(view))
    assert "reviews" in text
