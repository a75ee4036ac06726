"""The check case files (tests/checks/cases/*.yaml) follow their documented format: schema.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from meshlens.checks import ALL_CHECKS
from tests.checks.builders import BUILDERS
from tests.checks.harness import CASES, case_files

SCHEMA = json.loads((CASES / "schema.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def _errors(doc: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path)) or '$'}: {e.message}" for e in VALIDATOR.iter_errors(doc)]


def test_the_schema_is_a_valid_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", case_files(), ids=lambda p: p.stem)
def test_case_file_follows_the_schema(path: Path) -> None:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert not _errors(doc), "\n".join(_errors(doc))
    assert doc["code"] == path.stem
    for case in doc["cases"]:
        assert "build" not in case or case["build"] in BUILDERS, f"unknown builder {case['build']!r}"


def test_every_check_has_a_case_file() -> None:
    assert {p.stem for p in case_files()} == {c.code for c in ALL_CHECKS}


@pytest.mark.parametrize(("doc", "why"), [
    ({"code": "ML4001", "cases": [{"name": "x", "inputs": ["a.json"], "flaged": []}]}, "flaged"),
    ({"code": "ML4001", "cases": [{"name": "x", "flagged": []}]}, "inputs"),
    ({"code": "ML4001", "cases": [{"name": "x", "inputs": ["a"], "build": "b", "flagged": []}]}, "both"),
    ({"code": "ML4001", "cases": [{"name": "x", "inputs": ["a"], "flagged": [["p", "endpoint"]]}]}, "subject"),
    ({"code": "ML4001", "cases": [{"name": "x", "inputs": ["a"], "status": "ok"}]}, "status"),
    ({"code": "ML4001", "cases": [{"name": "x", "inputs": ["a"], "flagged": [], "now": "yesterday"}]}, "now"),
    ({"code": "4001", "cases": [{"name": "x", "inputs": ["a"], "flagged": []}]}, "code"),
    ({"code": "ML4001", "cases": [{"name": "x", "inputs": ["a"]}]}, "no expectation"),
])
def test_the_schema_refuses_malformed_cases(doc: dict[str, Any], why: str) -> None:
    assert _errors(doc), why
