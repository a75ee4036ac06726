"""`meshlens report` / `ml.report`: one self-contained HTML page whose content matches the capture's analysis."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

import meshlens as ml
from meshlens.cli import main
from meshlens.errors import UsageError
from meshlens.render.html.page import parse_trace_spec
from tests.conftest import fixture_path

SRC = "productpage-v1-6c886ff494-7vxhs.default"
TRACE = f"{SRC}->reviews:9080/reviews/0"


class _Doc(HTMLParser):
    """Collects tags with attributes and each <table>'s rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.tables: list[tuple[str, list[list[str]]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags.append((tag, a))
        if tag == "table":
            self.tables.append((a.get("class", ""), []))
        elif tag == "tr" and self.tables:
            self.tables[-1][1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.tables:
            self.tables[-1][1][-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


@pytest.fixture(scope="module")
def bookinfo() -> tuple[ml.Snapshot, ml.HtmlReport, _Doc]:
    snap = ml.load(fixture_path("bugreport", "bookinfo-mesh.tar.gz"))
    rep = ml.report(snap, traces=[TRACE])
    doc = _Doc()
    doc.feed(rep.html)
    return snap, rep, doc


def test_self_contained(bookinfo: tuple[ml.Snapshot, ml.HtmlReport, _Doc]) -> None:
    _, rep, doc = bookinfo
    # nothing fetched at view time: no external script/style/image/link, no URL in src/href but #anchors
    for tag, attrs in doc.tags:
        for key in ("src", "href"):
            assert not attrs.get(key) or attrs[key].startswith("#"), (tag, attrs)
    assert not re.search(r"@import|url\(", rep.html)
    assert len(rep.html) < 5_000_000
    assert "PRIVATE KEY" not in rep.html


def test_mesh_table_problems_first(bookinfo: tuple[ml.Snapshot, ml.HtmlReport, _Doc]) -> None:
    snap, _, doc = bookinfo
    rows = next(r for cls, r in doc.tables if "mesh-table" in cls)
    names = [r[1] for r in rows[1:]]
    assert sorted(names) == sorted([p.name for p in snap.proxies] + [z.name for z in snap.ztunnels])
    from meshlens.summary import mesh_rows
    expected = mesh_rows(snap)
    assert names == [r.name for r in expected]
    problems = [r.problems for r in expected]
    assert problems == sorted(problems, reverse=True) and problems[0] > 0


def test_findings_grouped_by_check_with_explanation_and_json_path(
        bookinfo: tuple[ml.Snapshot, ml.HtmlReport, _Doc]) -> None:
    snap, rep, doc = bookinfo
    result = ml.check(snap)
    assert rep.findings == len(result.findings) > 0
    codes = {f.code for f in result.findings}
    for code in codes:  # one group per check, documentation rendered without reST markup
        assert rep.html.count(f"<summary><b>{code}</b>") == 1
        assert f"What {code} checks and how to fix it" in rep.html
    assert "``" not in rep.html and "## " not in rep.html
    finding_rows = [row for cls, rows in doc.tables if "findings" in cls for row in rows[1:]]
    assert len(finding_rows) == len(result.findings)
    paths = {row[4] for row in finding_rows}
    assert {f.location.json_path for f in result.findings if f.location.json_path} <= paths
    # the errors' groups come before the warnings'
    first_warning = min(rep.html.index(f"<b>{f.code}</b>") for f in result.findings if f.severity.value == "warning")
    last_error = max(rep.html.index(f"<b>{f.code}</b>") for f in result.findings if f.severity.value == "error")
    assert last_error < first_warning


def test_certificate_timeline_marks_now_and_states(bookinfo: tuple[ml.Snapshot, ml.HtmlReport, _Doc]) -> None:
    snap, rep, doc = bookinfo
    states = [a["data-state"] for t, a in doc.tags if t == "rect" and "data-state" in a]
    expired = {f.subject for f in ml.check(snap, select="ML1001").findings}
    assert states.count("expired") >= 1 and len(expired) >= 1
    assert "valid" in states
    assert any(t == "line" and a.get("class") == "now" for t, a in doc.tags)
    assert 'class="cert-timeline"' in rep.html


def test_trace_hop_diagram_names_proxies(bookinfo: tuple[ml.Snapshot, ml.HtmlReport, _Doc]) -> None:
    snap, rep, doc = bookinfo
    t = rep.traces[0]
    hops = [a for tag, a in doc.tags if tag == "g" and a.get("class") == "hop"]
    assert len(hops) == len(t.hops) > 3
    lanes = {h.proxy for h in t.hops}
    for proxy in lanes:  # one lane label per proxy the request passes through
        assert f'font-weight="bold">{proxy}</text>' in rep.html
    assert SRC in lanes
    assert 'class="trace-diagram"' in rep.html


def test_per_proxy_istioctl_tables(bookinfo: tuple[ml.Snapshot, ml.HtmlReport, _Doc]) -> None:
    snap, _, doc = bookinfo
    views = [rows for cls, rows in doc.tables if "view" in cls.split()]
    proxy = snap.proxies[0]
    clusters = ml.view(proxy, "cluster")
    assert any(rows and rows[0] == clusters.headers and rows[1:] == clusters.cells[:200] for rows in views)


def test_cli_writes_the_page(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    archive = str(fixture_path("bugreport", "bookinfo-mesh.tar.gz"))
    res = CliRunner().invoke(main, ["report", archive, "-o", str(out), "--trace", TRACE])
    assert res.exit_code == 0, res.output
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    res = CliRunner().invoke(main, ["report", archive, "-o", str(tmp_path / "x.html"), "--trace", "nonsense"])
    assert res.exit_code == 2 and "SOURCE->HOST:PORT/PATH" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "x.html").exists()


def test_trace_spec() -> None:
    assert parse_trace_spec("a.ns->reviews:9080/x/y") == ("a.ns", "reviews:9080", "/x/y")
    assert parse_trace_spec("a->reviews:9080") == ("a", "reviews:9080", "/")
    with pytest.raises(UsageError):
        parse_trace_spec("reviews:9080/x")


def test_ztunnel_log_analysis_section(tmp_path: Path, bookinfo: tuple[ml.Snapshot, ml.HtmlReport, _Doc]) -> None:
    from tests.ztunnel_loggen import scenario

    assert "No ztunnel log in this capture." in bookinfo[1].html
    lines, _ = scenario(200, seed=4, fail=0, fail_window=(50, 100))
    log = tmp_path / "ztunnel.log"
    log.write_text("\n".join(lines) + "\n")
    html = ml.report(str(log)).html
    expected = ml.analyze_logs(ml.load(str(log)))
    assert f"<p>{expected.lines} lines, {expected.events} events" in html
    assert "No ztunnel log" not in html


def test_intended_vs_loaded_section(tmp_path: Path) -> None:
    loaded = str(fixture_path("envoy", "sidecar-productpage", "config_dump_include_eds.json"))
    name = "istiod_debug_config_dump_include_eds.json"
    intended = str(fixture_path("envoy", "sidecar-productpage", "intended", name))
    html = ml.report(loaded, intended=intended).html
    section = html.split('<section id="drift">', 1)[1].split("</section>", 1)[0]
    assert section == "<h2>Intended vs loaded</h2>" + ml.diff(intended, loaded)._repr_html_()
    assert "<td>SYNCED</td>" in section
    assert '<section id="drift">' not in ml.report(loaded).html
    out = tmp_path / "r.html"
    res = CliRunner().invoke(main, ["report", loaded, "--intended", intended, "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert '<section id="drift">' in out.read_text(encoding="utf-8")


def test_readme_shows_the_screenshot() -> None:
    from tests.conftest import REPO

    # made by scripts/screenshot_report.py (tests/browser.py), the code of the browser test
    png = REPO / "docs" / "images" / "report.png"
    assert "](docs/images/report.png)" in (REPO / "README.md").read_text(encoding="utf-8")
    head = png.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(head[16:20], "big") == 1280  # the width scripts/screenshot_report.py takes
