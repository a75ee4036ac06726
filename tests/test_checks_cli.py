"""`meshlens check`, `meshlens checks`, `meshlens explain` end to end: exit codes 0 / 1 / 2,
formats, baselines, files of one proxy given together."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from junitparser import JUnitXml

from meshlens.checks import ALL_CHECKS
from meshlens.cli import main
from tests.conftest import FIXTURES, needs_shared

H = FIXTURES / "envoy/sidecar-productpage"
D = FIXTURES / "envoy/sidecar-productpage-degraded"
U = FIXTURES / "envoy/sidecar-unhealthy"


def run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


@needs_shared
def test_exit_1_when_a_finding_reaches_fail_on_and_0_otherwise() -> None:
    degraded = D / "config_dump_include_eds.json"
    assert run("check", degraded)[0] == 1  # errors (rejected listener, missing cluster, ...)
    assert run("check", degraded, "--fail-on", "never")[0] == 0
    assert run("check", degraded, "--select", "ML5002", "--fail-on", "error")[0] == 0  # warnings only
    assert run("check", degraded, "--select", "ML5002", "--fail-on", "warning")[0] == 1
    healthy = run("check", H / "config_dump_include_eds.json", "--fail-on", "info")
    assert healthy[0] == 0 and "no findings" in healthy[1]


@needs_shared
@pytest.mark.parametrize("args", [
    ("check", "/nonexistent/config_dump.json"),
    ("check", str(H / "config_dump_include_eds.json"), "--select", "ML9"),
    ("check", str(H / "config_dump_include_eds.json"), "--now", "yesterday"),
    ("check", str(H / "config_dump_include_eds.json"), "-O", "cert_expiry_days"),
    ("check", str(H / "config_dump_include_eds.json"), "-O", "no_such_option=1"),
    ("check", str(H / "config_dump_include_eds.json"), "--format", "xml"),
    ("check", str(H / "config_dump_include_eds.json"), "--baseline", "/nonexistent/baseline.json"),
    ("check", str(FIXTURES / "envoy/sidecar-productpage/config_dump_resource_bogus.json")),
    ("explain", "ML9999"),
])
def test_exit_2_on_bad_usage_or_input(args: tuple[str, ...]) -> None:
    code, out, err = run(*args)
    assert code == 2, out + err
    assert "Traceback" not in err


@needs_shared
def test_bad_input_is_one_stderr_line_in_a_real_process() -> None:
    proc = subprocess.run([sys.executable, "-m", "meshlens.cli", "check", "/nonexistent.json"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1 and not proc.stdout


@needs_shared
def test_standard_input() -> None:
    data = (D / "config_dump_include_eds.json").read_text()
    result = CliRunner().invoke(main, ["check", "-", "--select", "ML5001", "--format", "json"], input=data)
    assert result.exit_code == 1
    assert [f["subject"]["name"] for f in json.loads(result.stdout)["findings"]] == ["0.0.0.0_8082"]


@needs_shared
def test_files_of_one_proxy_are_analysed_as_one_proxy() -> None:
    code, out, _ = run("check", U / "config_dump_include_eds.json", U / "clusters.json", U / "certs.json",
                       "--format", "json", "--select", "endpoints,clusters", "--fail-on", "never")
    assert code == 0
    doc = json.loads(out)
    proxies = {f["subject"]["proxy"] for f in doc["findings"]}
    assert proxies == {"productpage-v1-6c886ff494-7vxhs.default"}
    codes = {f["code"] for f in doc["findings"]}
    assert {"ML4003", "ML4004", "ML4005", "ML4006"} <= codes  # /clusters runtime flags were attached


@needs_shared
def test_formats_and_output_file(tmp_path: Path) -> None:
    target = tmp_path / "report.sarif"
    code, out, _ = run("check", D / "config_dump_include_eds.json", "--format", "sarif", "--output", target)
    assert code == 1 and out == ""
    assert json.loads(target.read_text())["version"] == "2.1.0"
    code, out, _ = run("check", D / "config_dump_include_eds.json", "--format", "junit", "--fail-on", "never")
    assert code == 0 and JUnitXml.fromstring(out).failures == 0  # JUnit failures follow --fail-on
    code, out, _ = run("check", D / "config_dump_include_eds.json", "--format", "junit")
    assert code == 1 and JUnitXml.fromstring(out).failures > 0
    code, out, _ = run("check", D / "config_dump_include_eds.json", "-v", "--fail-on", "never")
    assert "ML5003 drift.missing skipped: no intended capture given" in out


@needs_shared
def test_intended_enables_the_drift_checks() -> None:
    intended = D / "intended/istiod_debug_config_dump_include_eds.json"
    code, out, _ = run("check", D / "config_dump_include_eds.json", "--intended", intended, "--select", "drift",
                       "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert [(f["code"], f["subject"]["name"]) for f in doc["findings"]] == [
        ("ML5003", "outbound|8080||broken.default.svc.cluster.local")]


@needs_shared
def test_baseline_fails_only_on_new_findings(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    degraded = D / "config_dump_include_eds.json"
    code, _, err = run("check", degraded, "--write-baseline", baseline)
    assert code == 0 and "recorded" in err and json.loads(baseline.read_text())["meshlens_baseline"] == 1
    code, out, _ = run("check", degraded, "--baseline", baseline, "--fail-on", "info")
    assert code == 0 and "known from the baseline not shown" in out
    # The same baseline against a capture with more problems: the new ones fail the job.
    unhealthy = [U / "config_dump_include_eds.json", U / "clusters.json"]
    code, out, _ = run("check", *unhealthy, "--baseline", baseline, "--format", "json")
    assert code == 1
    new = {(f["code"], f["baseline"]) for f in json.loads(out)["findings"]}
    assert ("ML4005", "new") in new


def test_checks_lists_every_check() -> None:
    code, out, _ = run("checks")
    assert code == 0
    for check in ALL_CHECKS:
        assert f"{check.code}  {check.name}" in out
    code, out, _ = run("list-checks", "-o", "json")
    assert code == 0 and [c["code"] for c in json.loads(out)] == [c.code for c in ALL_CHECKS]


@pytest.mark.parametrize("check", ALL_CHECKS, ids=[c.code for c in ALL_CHECKS])
def test_explain_prints_the_documentation(check: type) -> None:
    code, out, _ = run("explain", check.code)
    assert code == 0
    assert out.startswith(f"{check.code} {check.name}: {check.title}")
    for section in ("WHAT IT CHECKS", "WHY IT MATTERS", "EXAMPLE", "HOW TO FIX"):
        assert f"\n{section}\n" in out
    # rendered for a terminal: no reST/Markdown markup, no internal module path, lines fit 80 columns
    assert "``" not in out and "##" not in out and not re.search(r":(func|class|meth|mod):`", out)
    assert not re.search(r"\bmeshlens\.[a-z_]+\.", out)
    assert max(len(line) for line in out.splitlines()[3:]) <= 80
    assert run("explain", check.name)[1] == out
