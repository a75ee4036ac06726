"""Run one check case: load its inputs (real captures, or a builder's derivation), run one check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

import meshlens
from meshlens.results import Report, Subject
from tests.checks.builders import BUILDERS, REPO, write

CASES = Path(__file__).resolve().parent / "cases"


def case_files() -> list[Path]:
    return sorted(CASES.glob("ML*.yaml"))


def load_cases(path: Path) -> tuple[str, list[dict[str, Any]]]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return str(doc["code"]), list(doc["cases"])


def resolve(fixtures: Path, rel: str) -> Path:
    return REPO / rel if rel.startswith("samples/") else fixtures / rel


def inputs(case: dict[str, Any], fixtures: Path, tmp: Path) -> list[Path]:
    if "build" in case:
        return write(BUILDERS[case["build"]](fixtures), tmp)
    return [resolve(fixtures, rel) for rel in case["inputs"]]


def run_case(code: str, case: dict[str, Any], fixtures: Path, tmp: Path) -> Report:
    paths = inputs(case, fixtures, tmp)
    intended = [resolve(fixtures, rel) for rel in case.get("intended", [])] or None
    return meshlens.check([str(p) for p in paths], now=case.get("now"), select=[code],
                          options=case.get("options"), intended=[str(p) for p in intended] if intended else None,
                          hash_inputs=False)


def subjects(items: list[list[str]] | None) -> set[Subject]:
    return {Subject(*item) for item in items or ()}
