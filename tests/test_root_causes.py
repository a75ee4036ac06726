"""Root causes from the whole archive: Envoy's log quoted by the findings, istioctl analyze's IST codes in check."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import meshlens as ml
from meshlens.cli import main
from meshlens.models.envoy.log import EnvoyLog
from meshlens.sources.istioctl_analyze import parse_analyze
from tests.conftest import fixture_path

PP = "productpage-v1-6c886ff494-7vxhs.default"
NOW = "2026-11-22T13:32:00Z"
CDS_LINE = ("cds: cluster 'outbound|8080||broken.default.svc.cluster.local' config rejected: cluster manager: "
            "cluster provided LB specified but cluster")


@pytest.fixture(scope="module")
def archive() -> str:
    return str(fixture_path("bugreport", "bookinfo-mesh.tar.gz"))


@pytest.fixture(scope="module")
def report(archive: str) -> ml.Report:
    return ml.check(archive, now=NOW)


def test_archive_logs_are_typed_events_on_their_proxy(archive: str) -> None:
    snap = ml.load(archive)
    for proxy in snap.proxies:
        log = proxy.capture("log")
        assert isinstance(log, EnvoyLog) and log in snap.logs and log.location.member.endswith("istio-proxy.log")
        assert proxy.logs == log.lines  # the raw lines stay where they were
    log = snap.proxy(PP).capture("log")
    assert [(e.line, e.xds) for e in log.of_kind("rejected")] == [(151, "CDS"), (153, "CDS"), (155, "LDS"),
                                                                 (156, "LDS")]
    assert any(e.kind == "added" and e.resources == ("0.0.0.0_8081",) for e in log.events)
    assert log.events[0].level == "info" and log.events[0].logger == "main"  # Envoy's pre-bootstrap format


def test_ml5007_on_the_degraded_proxy_quotes_the_real_envoy_log_line(report: ml.Report) -> None:
    found = {f.subject.name: f for f in report.findings if f.code == "ML5007" and f.subject.proxy == PP}
    assert set(found) == {"CDS", "LDS"}
    assert CDS_LINE in found["CDS"].message and "istio-proxy.log line 151" in found["CDS"].message
    assert "lds: listener '0.0.0.0_8082' config rejected" in found["LDS"].message
    assert "the proxy's log says why" not in found["CDS"].message


def test_rejected_resources_quote_and_name_the_log(report: ml.Report) -> None:
    ml5001 = next(f for f in report.findings if f.code == "ML5001" and f.subject.name == "0.0.0.0_8082")
    assert "istio-proxy.log line 155" in ml5001.message
    ml5008 = {f.subject.name: f for f in report.findings if f.code == "ML5008"}
    broken = ml5008["outbound|8080||broken.default.svc.cluster.local"]  # absent from the dump: only the log names it
    assert broken.subject.proxy == PP and broken.location.json_path == "line 151"
    assert broken.location.member.endswith("productpage-v1-6c886ff494-7vxhs/istio-proxy.log")


def test_ist_codes_from_istioctl_analyze_appear_in_check(archive: str) -> None:
    res = CliRunner().invoke(main, ["check", archive, "--now", NOW, "--format", "json", "--fail-on", "never"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    ist = {f["data"]["ist_code"]: f for f in data["findings"] if f["code"] == "ML5009"}
    assert set(ist) == {"IST0151", "IST0102"}
    assert ist["IST0151"]["severity"] == "warning" and ist["IST0102"]["severity"] == "info"
    assert ist["IST0151"]["subject"]["name"] == "EnvoyFilter default/productpage-debug-patch"
    assert ist["IST0151"]["location"]["member"] == "bug-report/analyze/allNamespaces"
    text = CliRunner().invoke(main, ["check", archive, "--now", NOW, "--fail-on", "never"]).output
    assert "[IST0151] (EnvoyFilter default/productpage-debug-patch)" in text


def test_load_findings_name_their_archive_member(report: ml.Report) -> None:
    loads = [f for f in report.findings if f.code.startswith("ML0")]
    assert loads and all(f.location.member and f.location.member.startswith("bug-report/") for f in loads)


def test_standalone_envoy_log_on_the_command_line() -> None:
    dump = fixture_path("envoy", "sidecar-productpage-degraded", "config_dump_include_eds.json")
    log = fixture_path("envoy", "sidecar-productpage-degraded", "envoy.log")
    res = CliRunner().invoke(main, ["check", str(dump), str(log), "--select", "ML5008", "--format", "json"])
    assert res.exit_code == 1, res.output
    names = {f["subject"]["name"] for f in json.loads(res.output)["findings"]}
    assert names == {"outbound|8080||broken.default.svc.cluster.local", "0.0.0.0_8082"}
    res = CliRunner().invoke(main, ["inspect", str(log)])
    assert res.exit_code == 0 and "Traceback" not in res.output


def test_analyze_parser() -> None:
    text = ("Error [IST0101] (VirtualService bookinfo/reviews) Referenced host not found: \"x\"\n"
            "Info [IST0102] (Namespace default) The namespace is not enabled\n✔ trailing banner\n")
    messages, unparsed = parse_analyze(text)
    assert [(m.level, m.code, m.kind, m.namespace, m.name) for m in messages] == [
        ("Error", "IST0101", "VirtualService", "bookinfo", "reviews"),
        ("Info", "IST0102", "Namespace", None, "default")]
    assert unparsed == [3]
