"""`meshlens test-routes`: expectations, router_check_tool's form, coverage, exit codes, JUnit."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from meshlens.analysis.route_tests import parse_tests, run_route_tests
from meshlens.cli import main
from tests.conftest import REPO, fixture_path, needs_shared

TESTS = REPO / "tests" / "data" / "route_tests" / "unhealthy.yaml"


@needs_shared
def test_results_and_coverage() -> None:
    report = run_route_tests(TESTS, fixture_path("envoy", "sidecar-unhealthy", "config_dump_include_eds.json"))
    outcome = {r.name: r.passed for r in report.results}
    assert outcome == {
        "jason is sent to the ejected v3 subset (503 UH)": True,
        "everyone else reaches reviews": True,
        "details on its short name": True,
        "an external host passes through": True,
        "router_check_tool form works too": True,
        "a deliberately wrong expectation": False,
    }
    wrong = next(r for r in report.results if not r.passed)
    assert wrong.mismatches[0].field == "cluster"
    assert wrong.mismatches[0].actual == "outbound|9080||ratings.default.svc.cluster.local"
    assert wrong.trace is not None
    uncovered = {(k.route_config, k.route) for k in report.uncovered}
    assert ("9080", "reviews-kylo") in uncovered
    assert ("9080", "reviews-jason") not in uncovered
    assert 0 < report.coverage < 100


@needs_shared
@pytest.mark.parametrize("fmt", ["text", "json", "junit"])
def test_cli_formats_and_exit_codes(fmt: str) -> None:
    dump = str(fixture_path("envoy", "sidecar-unhealthy", "config_dump_include_eds.json"))
    result = CliRunner().invoke(main, ["test-routes", str(TESTS), "-f", dump, "--format", fmt])
    assert result.exit_code == 1, result.output  # one test fails on purpose
    if fmt == "json":
        doc = json.loads(result.stdout)
        assert doc["summary"]["failed"] == 1 and doc["summary"]["passed"] == 5
    elif fmt == "junit":
        root = ET.fromstring(result.stdout.split("\n", 1)[1] if result.stdout.startswith("<?xml") else result.stdout)
        suite = root.find("testsuite")
        assert suite is not None and suite.get("tests") == "6" and suite.get("failures") == "1"
    else:
        assert "5 passed, 1 failed" in result.stdout and "not exercised: 9080 /" in result.stdout


@needs_shared
def test_fail_under(tmp_path: Path) -> None:
    good = tmp_path / "ok.yaml"
    good.write_text("tests:\n  - name: ok\n    request: {authority: 'details:9080'}\n    expect: {route: default}\n")
    dump = str(fixture_path("envoy", "sidecar-unhealthy", "config_dump_include_eds.json"))
    assert CliRunner().invoke(main, ["test-routes", str(good), "-f", dump]).exit_code == 0
    assert CliRunner().invoke(main, ["test-routes", str(good), "-f", dump, "--fail-under", "90"]).exit_code == 1


def test_bad_tests_file_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("tests:\n  - name: x\n    request: {path: /}\n")
    with pytest.raises(Exception) as info:
        parse_tests(bad)
    assert "$.tests[0].request.authority" in str(info.value)
    result = CliRunner().invoke(main, ["test-routes", str(bad), "-f", str(bad)])
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1


@needs_shared
def test_router_check_form_over_a_dump_uses_the_shared_comparator(tmp_path: Path) -> None:
    """Every validate field is compared (not only cluster and virtual host), and inputs a capture cannot
    honour are an error of the test."""
    dump = fixture_path("envoy", "sidecar-unhealthy", "config_dump_include_eds.json")
    base = {"authority": "ratings:9080", "path": "/ratings/0", "method": "GET"}
    tests = tmp_path / "t.yaml"
    tests.write_text(json.dumps({"tests": [
        {"test_name": "right", "input": base,
         "validate": {"cluster_name": "outbound|9080||ratings.default.svc.cluster.local", "path_rewrite": "/ratings/0",
                      "host_rewrite": "ratings:9080", "path_redirect": ""}},
        {"test_name": "wrong rewrite", "input": base, "validate": {"path_rewrite": "/elsewhere"}},
        {"test_name": "wrong timeout", "input": base, "validate": {"timeout": "1s"}},
        {"test_name": "runtime needs router-check", "input": {**base, "runtime": "x"},
         "validate": {"cluster_name": ""}},
    ]}))
    report = run_route_tests(tests, dump)
    by_name = {r.name: r for r in report.results}
    assert by_name["right"].passed, by_name["right"].mismatches
    assert by_name["wrong rewrite"].mismatches[0].actual == \
        "expected: [/elsewhere], actual: [/ratings/0], test type: path_rewrite"
    assert not by_name["wrong timeout"].passed
    assert "router-check" in (by_name["runtime needs router-check"].error or "")
