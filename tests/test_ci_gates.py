"""``.ci/run`` gates every run on lint and types before the tests, and stops at the first failure."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CI = REPO / ".ci" / "run"


def _commands() -> list[str]:
    return [line.strip() for line in CI.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def test_ci_stops_on_the_first_failing_command() -> None:
    assert "set -euo pipefail" in _commands()


def test_ruff_and_mypy_run_before_pytest() -> None:
    commands = _commands()

    def first(pattern: str) -> int:
        found = [i for i, c in enumerate(commands) if re.search(pattern, c)]
        assert found, f".ci/run does not run {pattern!r}"
        return found[0]

    pytest_at = first(r"-m pytest")
    assert first(r"ruff check meshlens tests$") < pytest_at
    assert first(r"mypy meshlens$") < pytest_at
    # each gate is its own command, so its failure is not masked by '||' or a pipe
    for c in commands[first(r"ruff check"):pytest_at + 1]:
        assert "||" not in c and "|" not in c.replace("||", ""), c


def test_mypy_is_configured_and_installed_by_the_test_extra() -> None:
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert "[tool.mypy]" in text
    test_extra = re.search(r"^test = \[(.*?)\]", text, re.S | re.M)
    assert test_extra and '"mypy' in test_extra.group(1)


def test_ruff_checks_public_docstrings_and_complexity() -> None:
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    select = re.search(r"^\[tool\.ruff\.lint\]\n(?:#.*\n)*select = \[(.*?)\]", text, re.M)
    assert select, "no [tool.ruff.lint] select"
    rules = {r.strip().strip('"') for r in select.group(1).split(",")}
    assert {"D", "C901"} <= rules
    assert 'convention = "google"' in text
    assert re.search(r"max-complexity = \d+", text)
