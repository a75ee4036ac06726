"""meshlens.check: which checks run, when ``now`` is, superseded load findings, errors, baselines;
meshlens.load_many: files of one proxy analysed as one proxy."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

import meshlens
from meshlens.checks import routes
from meshlens.errors import LoadError, UsageError
from meshlens.results import Baseline
from meshlens.runner import NOW_CAPTURE, NOW_GIVEN, NOW_LAST_UPDATED, known_options
from tests.conftest import FIXTURES, needs_shared

pytestmark = needs_shared
H = FIXTURES / "envoy/sidecar-productpage"
D = FIXTURES / "envoy/sidecar-productpage-degraded"
U = FIXTURES / "envoy/sidecar-unhealthy"
BUGREPORT = FIXTURES / "bugreport/bookinfo-mesh.tar.gz"


def test_now_comes_from_the_argument_the_capture_or_last_updated() -> None:
    given = meshlens.check(str(H / "config_dump_include_eds.json"), now="2030-01-01T00:00:00Z", select="ML1")
    assert (given.now, given.now_source) == (datetime(2030, 1, 1, tzinfo=timezone.utc), NOW_GIVEN)
    archive = meshlens.check(str(BUGREPORT), select="ML1001")
    assert archive.now_source == NOW_CAPTURE and archive.now == datetime(2026, 11, 22, 13, 31, 47, tzinfo=timezone.utc)
    dump = meshlens.check(str(H / "config_dump_include_eds.json"), select="ML1001")
    assert dump.now_source == NOW_LAST_UPDATED and dump.now.date().isoformat() == "2026-11-22"
    with pytest.raises(UsageError):
        meshlens.check(str(H / "config_dump_include_eds.json"), now="yesterday")


def test_select_and_ignore() -> None:
    report = meshlens.check(str(D / "config_dump_include_eds.json"), select="routes,ML2", ignore="ML2003")
    assert [r.code for r in report.runs] == ["ML2001", "ML2002", "ML3001", "ML3002", "ML3003"]
    assert {f.code for f in report.findings} == {"ML2001", "ML3001"}


def test_a_check_that_reports_a_load_fact_supersedes_its_load_code() -> None:
    both = meshlens.check(str(D / "config_dump_include_eds.json"), select="ML0004,ML5001")
    assert both.run("ML0004").status == "skipped" and "ML5001" in both.run("ML0004").reason
    assert [f.code for f in both.findings] == ["ML5001"]
    alone = meshlens.check(str(D / "config_dump_include_eds.json"), select="ML0004")
    assert [f.code for f in alone.findings] == ["ML0004"]


def test_an_erroring_check_is_recorded_and_the_others_run(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(self: object, snapshot: object, ctx: object) -> None:
        raise RuntimeError("broken check")

    monkeypatch.setattr(routes.DuplicateDomain, "run", boom)
    report = meshlens.check(str(D / "config_dump_include_eds.json"), select="routes")
    assert report.run("ML3003").status == "errored" and "broken check" in report.run("ML3003").reason
    assert report.run("ML3001").status == "failed"


def test_options_are_checked_and_reported() -> None:
    assert "cert_expiry_days" in known_options()
    with pytest.raises(UsageError):
        meshlens.check(str(H / "config_dump_include_eds.json"), options={"nope": 1})
    report = meshlens.check(str(H / "config_dump_include_eds.json"), select="ML1003", options={"cert_expiry_days": "7"})
    assert report.options["cert_expiry_days"] == "7" and report.options["cert_rotation_ratio"] == 0.55


def test_exceeds_and_baseline() -> None:
    report = meshlens.check(str(D / "config_dump_include_eds.json"))
    assert report.max_severity is not None and report.max_severity.value == "error"
    assert report.exceeds("error") and report.exceeds("info") and not report.exceeds("never")
    baseline = Baseline.loads(Baseline.from_report(report).dumps())
    known = report.with_baseline(baseline)
    assert all(f.baseline == "unchanged" for f in known.findings)
    assert not known.exceeds("info") and known.max_severity is None
    partial = report.with_baseline(Baseline.from_findings(f for f in report.findings if f.code != "ML3001"))
    assert [f.code for f in partial.new_findings] == ["ML3001"]
    with pytest.raises(UsageError):
        Baseline.loads(b'{"findings": []}')


def test_report_inputs_carry_hashes() -> None:
    report = meshlens.check([str(H / "config_dump_include_eds.json"), str(H / "clusters.json")], select="ML4")
    assert {Path(i["file"]).name for i in report.inputs} == {"config_dump_include_eds.json", "clusters.json"}
    assert all(len(i["sha256"]) == 64 for i in report.inputs)


# ----------------------------------------------------------------------------------------- load_many
def test_files_of_one_proxy_are_one_proxy() -> None:
    snap = meshlens.load_many([U / "config_dump_include_eds.json", U / "clusters.json", U / "certs.json",
                               U / "server_info.json", U / "stats.json"])
    assert len(snap.proxies) == 1
    proxy = snap.proxies[0]
    assert proxy.cluster_statuses and proxy.certs and proxy.server_info is not None and proxy.stats is not None
    assert proxy.name == "productpage-v1-6c886ff494-7vxhs.default"


def test_companions_without_a_node_follow_their_directory(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    shutil.copy(H / "config_dump_include_eds.json", tmp_path / "a" / "config_dump.json")
    shutil.copy(H / "clusters.json", tmp_path / "a" / "clusters.json")
    shutil.copy(FIXTURES / "istio/envoy-configdump__waypoint-full__istio1.21.json", tmp_path / "b" / "config_dump.json")
    snap = meshlens.load_many([tmp_path / "a" / "config_dump.json", tmp_path / "b" / "config_dump.json",
                               tmp_path / "a" / "clusters.json"])
    assert len(snap.proxies) == 2
    with_clusters = [p.name for p in snap.proxies if p.cluster_statuses]
    assert with_clusters == ["productpage-v1-6c886ff494-7vxhs.default"]


def test_an_orphan_companion_is_refused(tmp_path: Path) -> None:
    shutil.copy(H / "clusters.json", tmp_path / "clusters.json")
    with pytest.raises(LoadError, match="which proxy"):
        meshlens.load_many([H / "config_dump_include_eds.json",
                            FIXTURES / "istio/envoy-configdump__waypoint-full__istio1.21.json",
                            tmp_path / "clusters.json"])


def test_archives_directories_and_files_merge() -> None:
    snap = meshlens.load_many([BUGREPORT, FIXTURES / "istio/ztunnel-configdump__legacy-map-format__bookinfo.json"])
    assert len(snap.proxies) == 4 and len(snap.ztunnels) == 2
    assert snap.istiod is not None and len(snap.istiod.sync) == 5
    assert snap.captured_at is not None


@pytest.mark.parametrize("layout", ["folder", "bug-report"])
def test_a_folder_of_one_proxy_is_one_proxy(tmp_path: Path, layout: str) -> None:
    folder = tmp_path / "proxies/default/productpage-v1-6c886ff494-7vxhs" if layout == "bug-report" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    names = {"folder": ("config_dump.json", "clusters.txt", "certs.json"),
             "bug-report": ("config_dump?include_eds", "clusters", "certs")}[layout]
    for source, name in zip(("config_dump_include_eds.json", "clusters.txt", "certs.json"), names, strict=True):
        shutil.copy(U / source, folder / name)
    report = meshlens.check(str(tmp_path), select="endpoints,clusters")
    assert {f.subject.proxy for f in report.findings} == {"productpage-v1-6c886ff494-7vxhs.default"}
    assert {"ML4003", "ML4004", "ML4005", "ML4006"} <= {f.code for f in report.findings}


def test_one_path_is_load() -> None:
    assert len(meshlens.load_many([str(H / "config_dump_include_eds.json")]).proxies) == 1
    with pytest.raises(LoadError):
        meshlens.load_many([])


@pytest.mark.parametrize("capture", ["envoy/sidecar-productpage-degraded/config_dump_include_eds.json",
                                     "envoy/sidecar-unhealthy/config_dump_include_eds.json",
                                     "envoy/sidecar-productpage/config_dump_include_eds.json"])
def test_reference_checks_agree_with_the_graph(capture: str) -> None:
    """The checks read references from raw dicts (speed); they must name what graph().dangling() names."""
    snap = meshlens.load(str(FIXTURES / capture))
    expected = set()
    for d in snap.proxy().graph().dangling():
        if d.relation == "eds":
            expected.add(("ML4007", d.source.name))
        elif d.relation == "rds":
            expected.add(("ML2001", d.source.name.split("/", 1)[0]))
        elif d.relation == "tcp_proxy":
            expected.add(("ML2002", d.source.name.split("/", 1)[0]))
        else:
            expected.add(("ML3001", d.source.name))
    report = meshlens.check(snap, select="ML2001,ML2002,ML3001,ML4007")
    assert {(f.code, f.subject.name) for f in report.findings} == expected
