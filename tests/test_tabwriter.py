"""The Go text/tabwriter emulation and Go's sort.Slice order, against outputs of real Go (1.19).

Expected strings and permutations below were produced by small Go programs calling
``tabwriter.NewWriter(w, minwidth, tabwidth, padding, padchar, 0)`` and ``sort.Slice``.
"""

from __future__ import annotations

import pytest

from meshlens.encoding.gosort import go_sort_by_key, go_sort_slice
from meshlens.encoding.tabwriter import format_text, tabwriter

GO_TABWRITER = [
    # (text, minwidth, tabwidth, padding, padchar, Go's output)
    ("a\tbb\tccc\nxxxx\ty\tz\n", 0, 8, 5, " ", "a        bb     ccc\nxxxx     y      z\n"),
    # a line with fewer cells ends a column block; an empty line ends every block
    ("NAME\tA\tB\nx\t\t\nlong-name\tq\n\nshort\tw\tv\n", 0, 8, 1, " ",
     "NAME      A B\nx           \nlong-name q\n\nshort w v\n"),
    # lines ending in a tab: their last cell is in a column and is padded
    ("h1\th2\th3\t\nv1\tvalue-two\t\t\nv\n", 0, 8, 5, " ",
     "h1     h2            h3     \nv1     value-two            \nv\n"),
    # widths count runes, not bytes
    ("名前\tx\nab\tyy\n", 0, 8, 1, " ", "名前 x\nab yy\n"),
    # an unterminated last line: a trailing tab does not end a cell there
    ("a\tb\tc", 0, 8, 2, " ", "a  b  c"),
    ("a\tb\n", 4, 8, 0, ".", "a...b\n"),
    ("aa\tbbbbbbbbb\tc\nd\te\tf\n", 0, 4, 1, "\t", "aa\tbbbbbbbbb\tc\nd\te\t\t\tf\n"),
]


@pytest.mark.parametrize(("text", "minwidth", "tabwidth", "padding", "padchar", "expected"), GO_TABWRITER)
def test_format_text_matches_go(text: str, minwidth: int, tabwidth: int, padding: int, padchar: str,
                                expected: str) -> None:
    assert format_text(text, minwidth=minwidth, padding=padding, padchar=padchar, tabwidth=tabwidth) == expected


def test_tabwriter_rows_last_cell_is_not_a_column() -> None:
    rows = [["SERVICE FQDN", "PORT", "DESTINATION RULE"], ["reviews", "9080", ""], ["a-much-longer-name", "-", "x.y"]]
    assert tabwriter(rows, padding=5).splitlines() == [
        "SERVICE FQDN           PORT     DESTINATION RULE",
        "reviews                9080     ",
        "a-much-longer-name     -        x.y",
    ]


def test_tabwriter_trailing_pads_the_last_cell() -> None:
    assert tabwriter([["a", "bb"], ["ccc", "d"]], padding=1, trailing=True) == "a   bb \nccc d  "


def test_tabwriter_cell_with_a_newline_splits_like_go() -> None:
    # Fprintf(w, "%s\t%s\n", "x\ny", "z"): Go sees two lines, "x" and "y\tz".
    assert tabwriter([["x\ny", "z"], ["long", "w"]], padding=1) == format_text("x\ny\tz\nlong\tw\n",
                                                                               padding=1).rstrip("\n")


def test_go_sort_slice_ties_land_where_go_puts_them() -> None:
    keys = [3, 1, 2, 1, 3, 0, 2, 1, 0, 3, 2, 1, 0, 2, 3, 1, 0, 2, 1, 3, 0, 1, 2, 3, 0, 1, 2, 0, 1, 3]
    idx = list(range(len(keys)))
    go_sort_slice(idx, lambda a, b: keys[a] < keys[b])
    assert idx == [8, 27, 24, 20, 16, 5, 12, 21, 18, 28, 1, 11, 25, 7, 3, 15, 13, 2, 10, 26, 17, 6, 22, 14, 23, 0,
                   19, 4, 9, 29]


def test_go_sort_slice_with_istioctls_route_comparison() -> None:
    # istioctl's route order: numeric names compare, anything else is "not less" (-1 here).
    keys = [5, -1, 3, -1, 2, -1, 9, 1, -1, -1, 4, 0, -1, 7, -1, 2, 6, -1, 8, -1]
    idx = list(range(len(keys)))
    go_sort_slice(idx, lambda a, b: keys[a] >= 0 and keys[b] >= 0 and keys[a] < keys[b])
    assert idx == [11, 7, 15, 1, 4, 5, 6, 2, 8, 9, 10, 3, 12, 13, 14, 0, 16, 17, 18, 19]


def test_go_sort_slice_all_equal_keeps_order() -> None:
    items = list(range(60))
    assert go_sort_slice(items, lambda a, b: False) == list(range(60))


def test_go_sort_by_key_distinct_keys_is_plain_sorting() -> None:
    items = ["d", "a", "c", "b"] * 1
    assert go_sort_by_key(items, lambda s: s) == ["a", "b", "c", "d"]
