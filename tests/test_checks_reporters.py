"""Reporters: SARIF validates against the 2.1.0 schema, JUnit parses with a JUnit reader, JSON has the
``interfaces.md`` shape, text groups by proxy (colour only when asked)."""

from __future__ import annotations

import json
from functools import lru_cache

import jsonschema
import pytest
from junitparser import Error, Failure, JUnitXml, Skipped

import meshlens
from meshlens.checks import ALL_CHECKS
from meshlens.render.report import REPORTERS, render
from meshlens.results import Baseline, Report
from tests.conftest import FIXTURES, fixture_path, needs_shared

NOW = "2026-11-22T13:32:00Z"


@lru_cache(maxsize=1)
def _bugreport() -> Report:
    return meshlens.check(str(FIXTURES / "bugreport/bookinfo-mesh.tar.gz"), now=NOW, hash_inputs=False)


def _schema() -> dict:
    return json.loads(fixture_path("schemas", "sarif-schema-2.1.0.json").read_text())


def _validate(doc: dict) -> None:
    jsonschema.Draft4Validator(_schema()).validate(doc)


@needs_shared
def test_sarif_validates_and_carries_rules_and_locations() -> None:
    report = _bugreport()
    doc = json.loads(render(report, "sarif"))
    _validate(doc)
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [c.code for c in ALL_CHECKS]
    assert all(r["help"]["text"] and "## How to fix" in r["help"]["markdown"] for r in rules)
    assert {r["defaultConfiguration"]["level"] for r in rules} == {"error", "warning", "note"}
    results = run["results"]
    assert len(results) == len(report.findings)
    expired = next(r for r in results if r["ruleId"] == "ML1001" and "details" in r["message"]["text"])
    assert rules[expired["ruleIndex"]]["id"] == "ML1001"
    module, *logical = expired["locations"][0]["logicalLocations"]
    assert module["kind"] == "module" and module["name"] == expired["properties"]["archiveMember"]
    assert module["fullyQualifiedName"].endswith(f"bookinfo-mesh.tar.gz!/{module['name']}")
    assert [loc["kind"] for loc in logical] == ["namespace", "resource", "object"]
    assert logical[0]["name"] == "details-v1-65599dcf68-x7ccd.default"
    assert logical[1]["fullyQualifiedName"] == "details-v1-65599dcf68-x7ccd.default/secret/default"
    assert logical[2]["name"].startswith("$.configs[")
    physical = expired["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"].endswith("bookinfo-mesh.tar.gz")
    assert expired["properties"]["archiveMember"].endswith("details-v1-65599dcf68-x7ccd/config_dump?include_eds")
    assert expired["partialFingerprints"]["meshlensFingerprint/v1"]
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert any(n["descriptor"]["id"] == "ML5003" for n in notes)  # skipped: no --intended


@needs_shared
def test_sarif_with_a_baseline_and_without_findings_validates() -> None:
    report = _bugreport()
    marked = report.with_baseline(Baseline.from_findings(report.findings[:3]))
    doc = json.loads(render(marked, "sarif"))
    _validate(doc)
    states = [r["baselineState"] for r in doc["runs"][0]["results"]]
    assert states.count("unchanged") == 3 and states.count("new") == len(states) - 3
    clean = meshlens.check(str(FIXTURES / "envoy/sidecar-productpage/config_dump_include_eds.json"), hash_inputs=False)
    _validate(json.loads(render(clean, "sarif")))


@needs_shared
def test_junit_failures_follow_fail_on() -> None:
    """A finding fails its test case only at or above --fail-on, so the test report and the exit code agree."""
    report = _bugreport()
    for fail_on, rank in (("error", 2), ("warning", 1), ("info", 0)):
        xml = JUnitXml.fromstring(render(report, "junit", fail_on=fail_on))
        failing = {(f.code, f.subject) for f in report.findings if f.severity.rank >= rank}
        assert xml.failures == len(failing) and (xml.failures > 0) == report.exceeds(fail_on)
    never = JUnitXml.fromstring(render(report, "junit", fail_on="never"))
    assert never.failures == 0 and "below --fail-on" in render(report, "junit", fail_on="never")
    assert any(f.severity.rank < 2 for f in report.findings)  # the threshold matters on this capture


@needs_shared
def test_junit_parses_with_passing_failing_and_skipped_cases() -> None:
    report = _bugreport()
    xml = JUnitXml.fromstring(render(report, "junit", fail_on="info"))
    suites = {suite.name: suite for suite in xml}
    assert len(suites) == len(report.runs)
    expired = suites["ML1001 certs.expired"]
    outcomes = {case.name: [type(r).__name__ for r in case.result] for case in expired}
    assert outcomes["details-v1-65599dcf68-x7ccd.default: secret default"] == ["Failure"]
    assert outcomes["productpage-v1-6c886ff494-7vxhs.default: secret default"] == []  # passing case
    run = report.run("ML1001")
    assert expired.tests == run.examined and expired.failures == 2
    skipped = suites["ML5003 drift.missing"]
    assert skipped.skipped == 1 and isinstance(next(iter(skipped)).result[0], Skipped)
    assert xml.tests == sum(s.tests for s in xml)
    assert not any(isinstance(r, Error) for s in xml for c in s for r in c.result)
    assert sum(1 for s in xml for c in s for r in c.result if isinstance(r, Failure)) == len(
        {(f.code, f.subject) for f in report.findings})


@needs_shared
def test_json_has_the_interface_shape() -> None:
    doc = json.loads(render(_bugreport(), "json"))
    assert {"findings", "checks_run", "inputs"} <= set(doc)
    finding = doc["findings"][0]
    assert {"code", "name", "severity", "title", "message", "subject", "location"} <= set(finding)
    assert set(finding["subject"]) == {"proxy", "kind", "name"}
    assert set(finding["location"]) == {"file", "member", "json_path"}
    assert doc["now"] == NOW and doc["now_source"] == "given with --now"
    assert {r["status"] for r in doc["checks_run"]} <= {"passed", "failed", "skipped", "errored"}
    assert any(i["member"] and i["member"].endswith("debug/syncz") for i in doc["inputs"])


@needs_shared
def test_text_groups_by_proxy_and_colours_only_when_asked() -> None:
    report = _bugreport()
    plain = render(report, "text")
    assert "\x1b[" not in plain
    assert "details-v1-65599dcf68-x7ccd.default\n  error   ML1001 certs.expired:" in plain
    assert "judged at 2026-11-22T13:32:00Z (given with --now)" in plain
    assert "\x1b[31m" in render(report, "text", color=True)
    assert str(report) == plain
    assert "<table>" in report._repr_html_()


@needs_shared
def test_to_frame() -> None:
    frame = _bugreport().to_frame()
    assert list(frame.columns)[:4] == ["code", "name", "severity", "proxy"]
    assert len(frame) == len(_bugreport().findings)


def test_unknown_format() -> None:
    assert set(REPORTERS) == {"text", "json", "sarif", "junit"}
    with pytest.raises(meshlens.UsageError):
        render(Report(findings=(), runs=(), now=__import__("datetime").datetime(2026, 1, 1), now_source="x"), "xml")
