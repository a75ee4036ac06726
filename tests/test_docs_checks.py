"""docs/checks.md is exactly what `meshlens checks --format markdown` writes, and documents every check."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from meshlens.checks import ALL_CHECKS
from meshlens.cli import main
from meshlens.render.docstring import to_markdown, to_terminal

DOC = Path(__file__).resolve().parent.parent / "docs" / "checks.md"


def test_docs_checks_md_is_in_sync() -> None:
    result = CliRunner().invoke(main, ["checks", "--format", "markdown"])
    assert result.exit_code == 0, result.output
    assert DOC.read_text(encoding="utf-8") == result.output, (
        "docs/checks.md is stale: run `meshlens checks --format markdown > docs/checks.md`")


def test_markdown_catalogue_documents_every_check() -> None:
    text = DOC.read_text(encoding="utf-8")
    for check in ALL_CHECKS:
        section = text.split(f"\n### {check.code}\n", 1)[1].split("\n### ", 1)[0]
        assert check.title in section and f"`{check.name}`" in section
        for heading in ("What it checks", "Why it matters", "Example", "How to fix"):
            assert f"\n#### {heading}\n" in section
    assert "``" not in text and not re.search(r":(func|class|meth|mod):`", text)


def test_renderers_strip_markup() -> None:
    doc = ("Summary with ``lit`` and :func:`meshlens.a.b.verdict`.\n\n"
           "## How to fix\nA long\nparagraph.\n- item one\n  continued\n")
    term = to_terminal(doc)
    assert term == "Summary with lit and verdict.\n\nHOW TO FIX\n  A long paragraph.\n  - item one continued\n"
    md = to_markdown(doc)
    assert "`lit`" in md and "`verdict`" in md and "#### " not in md and "### How to fix" in md
