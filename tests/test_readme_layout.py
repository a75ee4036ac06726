"""README's Layout section names every top-level package and module of ``meshlens/``, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "meshlens"


def _package_lines() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = text.split("## Layout", 1)[1].split("\n## ", 1)[0].split("```", 2)[1]
    lines = block.strip("\n").splitlines()
    start = lines.index("meshlens/") + 1
    return [line for line in lines[start:] if line.startswith("  ")]


def test_layout_names_every_top_level_part_and_only_those() -> None:
    lines = _package_lines()
    text = "\n".join(lines)
    named = set(re.findall(r"(?<![\w./])([a-z_]\w*(?:/|\.py))", text))
    actual = {p.name + "/" for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    actual |= {p.name for p in PACKAGE.glob("*.py")} - {"_gc.py"}  # _gc: an internal helper
    missing = sorted(actual - named)
    assert not missing, f"README Layout does not mention: {missing}"
    entries = [line.split()[0] for line in lines]
    stale = [e for e in entries if not (PACKAGE / e.rstrip("/")).exists()]
    assert not stale, f"README Layout lists what meshlens/ does not have: {stale}"
