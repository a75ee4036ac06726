"""SARIF that GitHub's own validator accepts (SARIF Multitool ``validate --rule-kind "Gh;Sarif"``), with
regions at the real line of each finding's resource in the input file.

``.ci/run`` installs the Multitool (npm ``@microsoft/sarif-multitool``) into ``.ci/node_modules`` when
npm is there; the validator test skips, saying why, where it is not.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from meshlens.encoding.json_positions import parse_path
from meshlens.render.report import render
from meshlens.runner import check
from tests.conftest import REPO, fixture_path, needs_shared

NOW = "2026-11-22T14:00:00Z"


def _multitool() -> str | None:
    candidates = [os.environ.get("MESHLENS_SARIF_MULTITOOL", ""),
                  str(REPO / ".ci" / "node_modules" / "@microsoft" / "sarif-multitool-linux" / "Sarif.Multitool"),
                  shutil.which("sarif-multitool") or ""]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


def _sarif(path: str) -> dict:
    return json.loads(render(check([path], now=NOW), "sarif"))


def _relative(path: Path) -> str:
    return os.path.relpath(path, Path.cwd())


@needs_shared
@pytest.mark.parametrize("how", ["relative", "absolute", "archive"])
def test_github_validator_finds_no_error_and_no_warning(how: str, tmp_path: Path) -> None:
    tool = _multitool()
    if tool is None:
        pytest.skip("SARIF Multitool not installed (.ci/run installs npm @microsoft/sarif-multitool when npm "
                    "is present; or set MESHLENS_SARIF_MULTITOOL)")
    capture = fixture_path("envoy", "sidecar-productpage-degraded", "config_dump.json")
    if how == "archive":
        capture = fixture_path("bugreport", "bookinfo-mesh.tar.gz")
    source = str(capture.resolve()) if how == "absolute" else _relative(capture)
    report = tmp_path / "report.sarif"
    report.write_text(json.dumps(_sarif(source)))
    out = tmp_path / "validation.sarif"
    done = subprocess.run([tool, "validate", "--rule-kind", "Gh;Sarif", str(report), "-o", str(out)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert out.exists(), done.stdout + done.stderr
    problems = [(r["ruleId"], r["message"].get("text", "")[:200]) for run in json.loads(out.read_text())["runs"]
                for r in run.get("results", []) if r.get("level", "warning") in ("error", "warning")]
    assert problems == []


@needs_shared
@pytest.mark.parametrize("absolute", [False, True])
def test_a_result_points_at_the_line_of_its_resource(absolute: bool) -> None:
    capture = fixture_path("envoy", "sidecar-productpage-degraded", "config_dump.json")
    source = str(capture.resolve()) if absolute else _relative(capture)
    run = _sarif(source)["runs"][0]
    assert run["tool"]["driver"]["informationUri"].startswith("https://")
    lines = capture.read_text().splitlines()
    checked = 0
    for result in run["results"]:
        physical = result["locations"][0]["physicalLocation"]
        uri = physical["artifactLocation"]["uri"]
        assert uri.startswith("file:///") if absolute else not uri.startswith("/")
        steps = parse_path(result["properties"]["jsonPath"])
        assert steps is not None
        region = physical["region"]
        if not steps:
            assert region["startLine"] == 1
            continue
        line = lines[region["startLine"] - 1]
        last = [s for s in steps if isinstance(s, str)][-1]
        if isinstance(steps[-1], str):  # the value of a key: that key starts the line
            assert line.strip().startswith(f'"{last}"'), (result["properties"]["jsonPath"], line)
        assert region["startColumn"] >= 1
        checked += 1
    assert checked >= 5


@needs_shared
def test_archive_members_are_named_in_the_logical_location() -> None:
    run = _sarif(_relative(fixture_path("bugreport", "bookinfo-mesh.tar.gz")))["runs"][0]
    member_results = [r for r in run["results"] if r["properties"].get("archiveMember")]
    assert member_results
    for r in member_results:
        module = r["locations"][0]["logicalLocations"][0]
        assert module["kind"] == "module" and module["name"] == r["properties"]["archiveMember"]
        assert r["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}
        if r["properties"]["jsonPath"] != "$":
            assert r["properties"].get("memberLine", 0) >= 1 or "positionUnknown" in r["properties"]
