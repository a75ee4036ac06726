"""Names are parsed in one place: ``meshlens.models.names``. Nothing else may split on ``|``."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "meshlens"
NAMES = PACKAGE / "models" / "names"  # the package, or names.py if it is ever folded back into one module

# split("|"), split('|'), rsplit("|", 3), partition("|"), rpartition('|') ...
SPLITTING = re.compile(r"""\.r?(?:split|partition)\(\s*(['"])\|\1""")


def _is_names_module(path: Path) -> bool:
    return path == NAMES.with_suffix(".py") or NAMES in path.parents


def test_pattern_catches_the_forbidden_forms() -> None:
    for code in ('n.split("|")', "n.split('|')", 'n.rsplit("|", 3)', 'n.partition("|")', "n.split( '|' )"):
        assert SPLITTING.search(code), code
    for code in ('n.split("||")', 'n.split("/")', '"|".join(p)', "n.split(sep)"):
        assert not SPLITTING.search(code), code


def test_no_name_splitting_outside_the_names_module() -> None:
    sources = sorted(PACKAGE.rglob("*.py"))
    assert any(_is_names_module(p) for p in sources), "meshlens.models.names is missing"
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}"
        for path in sources
        if not _is_names_module(path)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if SPLITTING.search(line)
    ]
    assert not offenders, (
        "parse Envoy/Istio names with meshlens.models.names (ClusterName.parse, ...), not by splitting:\n"
        + "\n".join(offenders)
    )
