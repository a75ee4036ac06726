r"""Go ``text/tabwriter``-compatible column layout (what istioctl's tables use).

Go's tabwriter reads text, not cells: a cell is text *terminated* by a tab, so the text after a
line's last tab is not part of any column (istioctl's last column is never padded, unless the line
ends with a tab). A column's width is computed over a *block*: the run of consecutive lines that
have a terminated cell in that column; a line with fewer cells ends the block, so widths can differ
above and below such a line. Width is the cell's rune count plus ``padding`` (at least
``minwidth``). This module lays rows out by those rules; cells are joined with tabs and newlines
first, exactly as istioctl's ``Fprintf(w, "%v\t%v\n", ...)`` does, so a cell that itself holds a
tab or a newline splits the same way it does in Go.
"""

from __future__ import annotations

from collections.abc import Sequence


def tabwriter(rows: Sequence[Sequence[str]], *, minwidth: int = 0, padding: int = 1, padchar: str = " ",
              trailing: bool = False, tabwidth: int = 8) -> str:
    r"""Lay out rows as Go's ``tabwriter.NewWriter(w, minwidth, tabwidth, padding, padchar, 0)`` does.

    Each row is written as its cells joined by tabs and ended by a newline (``trailing``: ended
    by a tab and a newline, as for rows printed with ``"%s\t...\t\n"``). Returns the lines
    joined by newlines, without a final newline.
    """
    end = "\t\n" if trailing else "\n"
    text = "".join("\t".join(row) + end for row in rows)
    return format_text(text, minwidth=minwidth, padding=padding, padchar=padchar, tabwidth=tabwidth).removesuffix("\n")


def format_text(text: str, *, minwidth: int = 0, padding: int = 1, padchar: str = " ",
                tabwidth: int = 8) -> str:
    """What Go's tabwriter writes for ``text`` (tab-terminated cells, newline-terminated lines)."""
    lines = [line.split("\t") for line in text.split("\n")]
    # The text after the last newline is an unterminated line; Go ends its last cell only if that
    # cell is not empty, so "a\tb\t" without a newline has two cells ("b" is not in a column).
    if len(lines[-1]) > 1 and lines[-1][-1] == "":
        lines[-1].pop()
    n = len(lines)
    widths: list[list[int]] = [[0] * (len(cells) - 1) for cells in lines]
    ncols = max((len(cells) - 1 for cells in lines), default=0)
    for col in range(ncols):
        i = 0
        while i < n:
            if len(lines[i]) - 1 <= col:
                i += 1
                continue
            j, width = i, minwidth
            while j < n and len(lines[j]) - 1 > col:
                w = len(lines[j][col]) + padding
                if w > width:
                    width = w
                j += 1
            for k in range(i, j):
                widths[k][col] = width
            i = j
    out: list[str] = []
    for cells, cell_widths in zip(lines, widths, strict=True):
        parts: list[str] = []
        for cell, width in zip(cells, cell_widths, strict=False):  # the last cell has no width
            parts.append(cell)
            parts.append(_padding(len(cell), width, padchar, tabwidth))
        parts.append(cells[-1])
        out.append("".join(parts))
    return "\n".join(out)


def _padding(text_width: int, cell_width: int, padchar: str, tabwidth: int) -> str:
    if padchar == "\t":
        # Go pads with tabs up to the next multiple of tabwidth (no padding when tabwidth is 0).
        if tabwidth == 0:
            return ""
        cell_width = (cell_width + tabwidth - 1) // tabwidth * tabwidth
        return "\t" * ((cell_width - text_width + tabwidth - 1) // tabwidth)
    return padchar * (cell_width - text_width)
