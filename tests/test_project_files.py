"""The project's own files: the version is written once, the licence matches pyproject, the changelog has
an Unreleased section others append to, and CONTRIBUTING names the commands CI runs."""

from __future__ import annotations

import re
from importlib.metadata import version as installed_version

import pytest
from click.testing import CliRunner

import meshlens
from meshlens._version import __version__
from meshlens.cli import main
from tests.conftest import REPO

tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from Python 3.11")
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def test_version_is_written_once() -> None:
    project = PYPROJECT["project"]
    assert "version" not in project and "version" in project["dynamic"], "pyproject must not repeat the version"
    assert PYPROJECT["tool"]["hatch"]["version"]["path"] == "meshlens/_version.py"
    assert re.fullmatch(r"\d+\.\d+\.\d+(?:[.-]?\w+)?", __version__)
    assert meshlens.__version__ == __version__


def test_cli_version_agrees_with_the_package() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"meshlens, version {meshlens.__version__}"


def test_installed_metadata_agrees() -> None:
    assert installed_version("meshlens") == meshlens.__version__, "reinstall: pip install -e '.[test]'"


def test_licence_matches_pyproject() -> None:
    assert PYPROJECT["project"]["license"] == {"text": "Apache-2.0"}
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text  # the full text, not a pointer to it


def test_changelog_has_an_unreleased_section_and_the_current_version() -> None:
    text = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## \[([^\]]+)\]", text, flags=re.MULTILINE)
    assert headings[0] == "Unreleased"
    assert meshlens.__version__ in headings


def test_contributing_names_the_commands_ci_runs() -> None:
    text = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
    for needle in ("pytest", "ruff check", "mypy meshlens", "-m envoy", "tests/checks/cases",
                   "CHANGELOG.md"):
        assert needle in text, needle
