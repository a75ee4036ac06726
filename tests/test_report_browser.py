"""The HTML report opened in a real browser (headless Chromium over the DevTools pipe, see tests/browser.py).

The page of the shared bookinfo archive, with one cross-proxy trace, is opened from file:// and judged by what
Chromium lays out: no console error, no request but the file itself, the mesh table, findings, certificate
timeline and trace diagram visible; then the same with JavaScript disabled; then sorting and filtering by real
clicks and typing. Skips with the reason when Chromium is not installed (``.ci/run`` installs Debian's
``chromium`` best effort).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import BOOKINFO_TRACE, Chromium, Page, chromium, find_chromium, open_report, write_report
from tests.conftest import fixture_path

TRACE = BOOKINFO_TRACE
VISIBLE_ROWS = ("Array.from(document.querySelector({table!r}).tBodies[0].rows)"
                ".filter(function(r){{return r.getBoundingClientRect().height>0}})"
                ".map(function(r){{return r.cells[{col}].textContent}})")

pytestmark = pytest.mark.skipif(find_chromium() is None,
                                reason="no Chromium on PATH (Debian: apt-get install chromium; .ci/run tries)")


@pytest.fixture(scope="module")
def page_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The report written by the CLI, as users make it; its file:// URL."""
    out = tmp_path_factory.mktemp("report") / "bookinfo-report.html"
    return write_report(fixture_path("bugreport", "bookinfo-mesh.tar.gz"), out, (TRACE,)).resolve().as_uri()


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    with chromium(timeout=60) as b:
        yield b


def _open(browser: Chromium, url: str, javascript: bool) -> Page:
    return open_report(browser, url.removeprefix("file://"), javascript)


def _rows(page: Page, table: str, col: int) -> list[str]:
    rows: list[str] = page.evaluate(VISIBLE_ROWS.format(table=table, col=col))
    return rows


def _natural(text: str) -> list[tuple[int, int | str]]:
    """Digit runs compared as numbers, the rest as case-folded text (the order a reader expects)."""
    return [(0, int(p)) if p.isdigit() else (1, p.casefold()) for p in re.split(r"(\d+)", text) if p]


def test_report_in_chromium(browser: Chromium, page_url: str, tmp_path: Path) -> None:
    page = _open(browser, page_url, javascript=True)
    shot = page.screenshot(tmp_path / "report.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    assert page.console_errors == []
    assert page.requests == [page_url]  # nothing fetched but the file itself
    assert page.visible("section#mesh table.mesh-table") == 1
    assert page.visible("table.mesh-table tbody tr") == 5
    assert page.visible("section#findings details.check") >= 1
    assert page.visible("section#findings table.findings tbody tr") >= 1
    assert page.visible("svg.cert-timeline") == 1
    assert page.visible("svg.cert-timeline rect.cert") >= 2
    assert page.visible("svg.cert-timeline line.now") == 1
    assert page.visible("svg.trace-diagram") == 1
    assert page.visible("svg.trace-diagram g.hop") > 3
    assert page.visible("#mesh input.filter") == 1  # the script ran: filter boxes are shown
    assert page.evaluate("document.documentElement.classList.contains('js')") is True


def test_report_without_javascript(browser: Chromium, page_url: str, tmp_path: Path) -> None:
    page = _open(browser, page_url, javascript=False)
    page.screenshot(tmp_path / "report-nojs.png")
    assert page.console_errors == []
    assert page.requests == [page_url]
    assert page.visible("table.mesh-table tbody tr") == 5
    assert page.visible("section#findings table.findings tbody tr") >= 1
    assert page.visible("svg.cert-timeline rect.cert") >= 2
    assert page.visible("svg.trace-diagram g.hop") > 3
    assert page.visible("input.filter") == 0  # useless without the script: not shown
    assert page.evaluate("document.documentElement.classList.contains('js')") is False
    page.click("section#proxies details.proxy > summary")  # <details> opens without JavaScript
    assert page.visible("section#proxies table.view") >= 5


def test_sorting_by_clicking_headers(browser: Chromium, page_url: str) -> None:
    page = _open(browser, page_url, javascript=True)
    mesh = "table.mesh-table"
    names = _rows(page, mesh, 1)
    assert names[0].startswith("productpage")  # problems first, not alphabetical
    page.click(f"{mesh} th:nth-child(2)")
    assert _rows(page, mesh, 1) == sorted(names)
    assert page.evaluate(f"document.querySelector('{mesh} th:nth-child(2)').getAttribute('aria-sort')") == "ascending"
    page.click(f"{mesh} th:nth-child(2)")
    assert _rows(page, mesh, 1) == sorted(names, reverse=True)
    page.click(f"{mesh} th:nth-child(7)")  # numbers as numbers
    rejected = _rows(page, mesh, 6)
    assert [int(x) for x in rejected] == sorted(int(x) for x in rejected)
    # addresses with ports in natural order (10.0.0.9 before 10.0.0.12), not by a leading number's value
    page.click("section#proxies details.proxy > summary")
    table = page.evaluate("(function(){var t=document.querySelectorAll('section#proxies details.proxy[open] "
                          "table.view');for(var i=0;i<t.length;i++){if(t[i].tHead.rows[0].cells[0].textContent"
                          "==='ENDPOINT'){t[i].id='endpoints-under-test';return t[i].id;}}return null;})()")
    assert table == "endpoints-under-test"
    page.click("#endpoints-under-test th:nth-child(1)")
    got = _rows(page, "#endpoints-under-test", 0)
    assert len(got) > 3 and got == sorted(got, key=_natural)
    assert page.console_errors == []


def test_filtering_by_typing(browser: Chromium, page_url: str) -> None:
    page = _open(browser, page_url, javascript=True)
    mesh = "table.mesh-table"
    everything = _rows(page, mesh, 1)
    page.type_into("#mesh input.filter", "REVIEWS")
    shown = _rows(page, mesh, 1)
    assert shown == [n for n in everything if "reviews" in n] and len(shown) == 2
    assert page.visible(f"{mesh} tbody tr") == 2
    page.type_into("#mesh input.filter", "-nothing-matches-this")
    assert _rows(page, mesh, 1) == []
    assert page.console_errors == []

