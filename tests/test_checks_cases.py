"""Every check against real captures (and small, named derivations of them): which subjects each
case flags, exactly, and which it examines and passes (``tests/checks/cases/ML*.yaml``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from meshlens.results import Subject
from tests.checks.harness import case_files, load_cases, run_case
from tests.conftest import FIXTURES, needs_shared

CASES = [(code, i, case) for path in case_files() for code, cases in [load_cases(path)]
         for i, case in enumerate(cases)]


def _subjects(items: list[list[str]] | None) -> set[Subject]:
    return {Subject(*(part.replace("{fixtures}", str(FIXTURES)) for part in item)) for item in items or ()}


@needs_shared
@pytest.mark.parametrize(("code", "index", "case"), CASES,
                         ids=[f"{code}-{i}-{case['name'][:40]}" for code, i, case in CASES])
def test_check_case(code: str, index: int, case: dict[str, Any], tmp_path: Path) -> None:
    report = run_case(code, case, FIXTURES, tmp_path)
    run = report.run(code)
    found = {f.subject for f in report.findings if f.code == code}
    assert run.status != "errored", run.reason
    if "flagged" in case:
        assert found == _subjects(case["flagged"])
    if "flagged_include" in case:
        assert _subjects(case["flagged_include"]) <= found
    assert not found & _subjects(case.get("not_flagged"))
    missing = _subjects(case.get("passing")) - set(run.passed)
    assert not missing, f"examined and passing expected: {sorted(missing)}"
    expected_status = case.get("status") or ("failed" if found else "passed")
    assert run.status == expected_status, run.reason
    for text in [case["message_contains"]] if "message_contains" in case else []:
        assert all(text in f.message for f in report.findings if f.code == code)
    assert {f.code for f in report.findings} <= {code}, "select=[code] ran other checks"
