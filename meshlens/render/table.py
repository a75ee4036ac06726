"""Go ``text/tabwriter``-compatible column layout (what istioctl's tables use)."""

from __future__ import annotations

from collections.abc import Sequence


def tabwriter(rows: Sequence[Sequence[str]], *, minwidth: int = 0, padding: int = 1, padchar: str = " ",
              trailing: bool = False) -> str:
    """Lay out rows as Go's tabwriter does with ``(minwidth, tabwidth, padding, padchar, 0)``.

    Every cell but the last of a row is padded to its column's width plus ``padding``; the last
    cell is written as is (``trailing`` pads it too, as tabwriter does for a row ending in a tab).
    Column widths are computed over consecutive rows that have that column (Go's blocks).
    """
    lines: list[str] = []
    n = len(rows)
    # Go tabwriter computes a column's width over the contiguous block of rows having a cell there.
    widths: list[dict[int, int]] = [{} for _ in range(n)]
    max_cols = max((len(r) for r in rows), default=0)
    for col in range(max_cols - 1):
        i = 0
        while i < n:
            if len(rows[i]) - 1 <= col and not (trailing and len(rows[i]) > col):
                i += 1
                continue
            j = i
            width = minwidth
            while j < n and (len(rows[j]) - 1 > col or (trailing and len(rows[j]) > col)):
                width = max(width, len(rows[j][col]) + padding)
                j += 1
            for k in range(i, j):
                widths[k][col] = width
            i = j
    for r, row in enumerate(rows):
        out = []
        for c, cell in enumerate(row):
            if c in widths[r]:
                out.append(cell + padchar * (widths[r][c] - len(cell)))
            else:
                out.append(cell)
        lines.append("".join(out))
    return "\n".join(lines)
