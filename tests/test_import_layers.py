"""The package's imports point down its layers, with no cycle anywhere.

Every ``import`` of a ``meshlens`` module counts, at any depth (inside functions and methods too: a
lazy import is still a dependency); only imports under ``if TYPE_CHECKING:`` are excepted, since they
never run. Two rules: no cycle (each is reported with its modules), and no module imports a higher
layer than its own (``LAYERS`` below is the one place the order is written down; README's Layout
describes it).
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "meshlens"

# Lowest first. A module belongs to the layer of its first name under ``meshlens`` ("" is the package
# root, ``meshlens/__init__.py``: the public facade, which wires the models' conveniences). Names in
# one layer may import each other, as long as they make no cycle.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("_version", "errors", "_gc"),
    ("models",),
    ("encoding",),
    ("sources",),
    ("index",),
    ("views", "analysis", "checks", "results", "runner", "summary"),
    ("render",),
    ("",),
    ("cli",),
)

# Edges other engineers are removing right now (issue 9): each names its owner. The goal is none.
KNOWN_PENDING: dict[tuple[str, str], str] = {}


def _module_names() -> dict[str, Path]:
    names: dict[str, Path] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The ``meshlens`` modules that ``module`` imports at run time (at any depth)."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for stmt in child.orelse:
                    visit_one(stmt)
                continue
            visit_one(child)

    def visit_one(node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "meshlens")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target.split(".")[0] == "meshlens":
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    found.add(sub if sub in modules else target)
        visit(node)

    visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    found.discard(module)
    return found


def _graph() -> nx.DiGraph:
    modules = _module_names()
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for module, path in modules.items():
        for target in _imports(module, path, modules):
            graph.add_edge(module, target)
    return graph


def _layer(module: str) -> int:
    top = module.split(".")[1] if "." in module else ""
    for rank, names in enumerate(LAYERS):
        if top in names:
            return rank
    raise AssertionError(f"{module}: no layer for 'meshlens.{top}'; add it to LAYERS in {Path(__file__).name}")


@pytest.fixture(scope="module")
def imports() -> nx.DiGraph:
    return _graph()


def test_the_walker_sees_lazy_imports_and_skips_type_checking(tmp_path: Path) -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "from meshlens.errors import UsageError\n"
        "from . import sibling\n"
        "if TYPE_CHECKING:\n    from meshlens.render import nothing\n"
        "else:\n    import meshlens.encoding.gojson\n"
        "def f():\n    from ..views import base\n    return base\n"
        "class C:\n    def m(self):\n        import meshlens.cli\n"
    )
    path = tmp_path / "mod.py"
    path.write_text(source)
    modules = {m: Path() for m in ("meshlens.errors", "meshlens.models.sibling", "meshlens.views.base")}
    assert _imports("meshlens.models.mod", path, modules) == {
        "meshlens.errors", "meshlens.models.sibling", "meshlens.encoding.gojson", "meshlens.views.base",
        "meshlens.cli"}


def test_every_module_has_a_layer(imports: nx.DiGraph) -> None:
    for module in imports:
        _layer(module)


def test_no_import_cycle(imports: nx.DiGraph) -> None:
    graph = imports.copy()
    graph.remove_edges_from(KNOWN_PENDING)
    cycles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    described = []
    for members in sorted(cycles):
        sub = graph.subgraph(members)
        described.append(" ; ".join(f"{a} -> {b}" for a, b in sorted(sub.edges())))
    assert not cycles, "import cycles (lazy imports count):\n" + "\n".join(described)


def test_imports_point_down_the_layers(imports: nx.DiGraph) -> None:
    upward = [
        f"{a} ({LAYERS[_layer(a)]}) imports {b} ({LAYERS[_layer(b)]})"
        for a, b in sorted(imports.edges())
        if _layer(b) > _layer(a) and (a, b) not in KNOWN_PENDING
    ]
    assert not upward, "imports that point up the layers:\n" + "\n".join(upward)


def test_known_pending_edges_still_exist(imports: nx.DiGraph) -> None:
    """Once an owner removes a pending edge, it must leave the list too (so the list only shrinks)."""
    gone = [f"{a} -> {b} ({owner})" for (a, b), owner in KNOWN_PENDING.items() if not imports.has_edge(a, b)]
    assert not gone, "no longer imported; delete from KNOWN_PENDING:\n" + "\n".join(gone)
