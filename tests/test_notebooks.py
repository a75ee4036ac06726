"""The notebooks in notebooks/ run top to bottom, and what each cell shows renders as HTML or SVG."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from tests.conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pandas")
    monkeypatch.chdir(path.parent)
    namespace: dict[str, object] = {}
    cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    assert cells
    for cell in cells:
        source = "".join(cell["source"])
        tree = ast.parse(source)
        last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        if last is not None:
            tree.body.pop()
        exec(compile(tree, path.name, "exec"), namespace)  # noqa: S102 - our own notebook
        if last is not None:
            shown = eval(compile(ast.Expression(last.value), path.name, "eval"), namespace)  # noqa: S307
            rich = getattr(shown, "_repr_html_", None) or getattr(shown, "_repr_svg_", None)
            if rich is not None:
                assert rich()
