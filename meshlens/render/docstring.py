"""Check documentation (the check classes' docstrings) rendered for a terminal or as Markdown.

The docstrings are written in a small reST/Markdown mix: ``## Section`` headings, ``literal``
spans, ``- item`` lists and, rarely, a Sphinx role (``:func:`pkg.mod.fn```). A terminal shows
none of that markup and no internal module path; Markdown keeps literals as code spans.
"""

from __future__ import annotations

import re
import textwrap

_ROLE_RE = re.compile(r":[a-z]+:`~?([^`]+)`")
_LITERAL_RE = re.compile(r"``(.+?)``")
_HEADING_RE = re.compile(r"^#{1,6}\s+(.*)$")
_ITEM_RE = re.compile(r"^(\s*)([-*]|\d+\.)\s+")


def _role_target(match: re.Match[str]) -> str:
    """A Sphinx role's target without its module path: ``pkg.mod.endpoint_verdict`` -> ``endpoint_verdict``."""
    return match.group(1).rsplit(".", 1)[-1]


def plain_inline(text: str) -> str:
    """Inline markup removed: roles become their bare name, ``literals`` their text."""
    return _LITERAL_RE.sub(r"\1", _ROLE_RE.sub(_role_target, text))


def markdown_inline(text: str) -> str:
    """Inline markup as Markdown: roles and ``literals`` become code spans."""
    text = _ROLE_RE.sub(lambda m: f"``{_role_target(m)}``", text)
    return _LITERAL_RE.sub(lambda m: "`" + m.group(1) + "`", text)


def blocks(doc: str) -> list[tuple[str, str]]:
    """The docstring as ``(kind, text)`` blocks: ``heading``, ``para`` (one line), ``item`` (one line).

    Paragraph and list-item continuation lines are joined with one space, so a renderer reflows them.
    """
    out: list[tuple[str, str]] = []
    for line in doc.splitlines():
        stripped = line.strip()
        heading = _HEADING_RE.match(stripped)
        if not stripped:
            out.append(("blank", ""))
        elif heading:
            out.append(("heading", heading.group(1).strip()))
        elif _ITEM_RE.match(line):
            out.append(("item", _ITEM_RE.sub(lambda m: m.group(2) + " ", stripped, count=1)))
        elif out and out[-1][0] in ("para", "item"):
            out[-1] = (out[-1][0], out[-1][1] + " " + stripped)
        else:
            out.append(("para", stripped))
    return [b for i, b in enumerate(out) if b[0] != "blank" or (i and out[i - 1][0] != "blank")]


def to_terminal(doc: str, width: int = 80) -> str:
    """The docstring for a terminal: headings in capitals, paragraphs wrapped and indented, no markup."""
    lines: list[str] = []
    indent = ""
    for kind, text in blocks(doc):
        text = plain_inline(text)
        if kind == "heading":
            if lines and lines[-1]:
                lines.append("")
            lines.append(text.upper())
            indent = "  "
        elif kind == "blank":
            lines.append("")
        elif kind == "item":
            marker, _, rest = text.partition(" ")
            lines.extend(textwrap.wrap(rest, width, initial_indent=f"{indent}{marker} ",
                                       subsequent_indent=indent + " " * (len(marker) + 1)))
        else:
            lines.extend(textwrap.wrap(text, width, initial_indent=indent, subsequent_indent=indent))
    return "\n".join(lines).strip("\n") + "\n"


def to_markdown(doc: str, level: int = 3) -> str:
    """The docstring as Markdown, its ``##`` headings at ``level``."""
    lines: list[str] = []
    for kind, text in blocks(doc):
        text = markdown_inline(text)
        if kind == "heading":
            if lines and lines[-1]:
                lines.append("")
            lines.extend(["#" * level + " " + text, ""])
        elif kind == "blank":
            if lines and lines[-1]:
                lines.append("")
        else:
            lines.append(text)
    return "\n".join(lines).strip("\n") + "\n"
