"""Small modules with one role: a module that grows well past ~500 lines is split (CONTRIBUTING)."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "meshlens"
LIMIT = 600  # "about 500": room for a module to grow a little before it must be split


def test_no_module_is_too_long() -> None:
    long = sorted(
        (n, str(p.relative_to(PACKAGE.parent)))
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > LIMIT
    )
    assert not long, f"split these modules by role (over {LIMIT} lines): " + ", ".join(f"{f} ({n})" for n, f in long)
