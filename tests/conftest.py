"""Shared test helpers: where the real captures live, and a skip when they are absent."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
FIXTURES = SHARED / "fixtures"
SAMPLES = REPO / "samples"

needs_shared = pytest.mark.skipif(
    not FIXTURES.is_dir(),
    reason=f"real captures not found: {FIXTURES} (clone the project beside ../shared to run these)",
)


def fixture_path(*parts: str) -> Path:
    """A path under ../shared/fixtures; skips the calling test when it is absent."""
    path = FIXTURES.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real capture not found: {path} (needs ../shared beside the clone)")
    return path


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--fuzz-long", action="store_true", default=False,
                     help="run the fuzz tests with thousands of cases (default: a small CI budget)")
    parser.addoption("--fuzz-examples", type=int, default=None, help="number of fuzz cases (overrides the budget)")
