"""The HTML report: mesh table, findings by check, certificate timeline, traces, per-proxy istioctl tables.

Everything is inlined (style, the small sorting/filtering script, SVG pictures): the file opens offline and,
with JavaScript disabled, still shows every table and picture (only sorting and filtering need it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from itertools import groupby
from pathlib import Path
from typing import Any

from meshlens.errors import MeshlensError, MissingExtraError, UsageError
from meshlens.models.snapshot import EnvoyProxy, Snapshot
from meshlens.models.ztunnel import Ztunnel
from meshlens.render.docstring import blocks
from meshlens.render.html.assets import SCRIPT, STYLE
from meshlens.render.html.svg import CertBar, HopBox, cert_timeline, hop_diagram
from meshlens.results import Finding, Report

#: rows shown per istioctl table before the rest is left out (the HTML stays small on large meshes)
MAX_ROWS = 200
_ENVOY_VIEWS = ("cluster", "listener", "route", "endpoint", "secret")
_ZTUNNEL_VIEWS = ("workload", "service", "certificate")
_TRACE_RE = re.compile(r"^(?P<src>[^\s>]+)->(?P<host>[^/\s]+?)(?P<path>/\S*)?$")


@dataclass
class HtmlReport:
    """The report of one capture: ``html`` is the whole page; ``write(path)`` saves it."""

    html: str
    findings: int
    traces: list[Any] = field(default_factory=list)

    def write(self, path: str | Path) -> None:
        """Write the page (UTF-8)."""
        Path(path).write_text(self.html, encoding="utf-8")

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return f"HTML report: {self.findings} finding(s), {len(self.traces)} trace(s), {len(self.html)} bytes"


def parse_trace_spec(spec: str) -> tuple[str, str, str]:
    """``SOURCE->HOST:PORT/PATH`` -> (source proxy, authority, path).

    Raises:
        UsageError: the text is not of that form.
    """
    m = _TRACE_RE.match(spec.strip())
    if not m:
        raise UsageError(f"--trace {spec!r}: expected SOURCE->HOST:PORT/PATH (e.g. 'productpage-v1-x.default->"
                         "reviews:9080/reviews/0')")
    return m["src"], m["host"], m["path"] or "/"


def report(source: Any, traces: Iterable[str] = (), now: datetime | str | None = None,
           title: str | None = None, intended: Any = None) -> HtmlReport:
    """Analyse a capture and render the self-contained HTML report.

    Args:
        source: what :func:`meshlens.load` takes (a path, a list of paths) or a loaded ``Snapshot``.
        traces: requests to trace and draw, each ``SOURCE->HOST:PORT/PATH`` (SOURCE names a proxy).
        now: judge certificates at this instant (default: the capture time).
        title: the page title (default: the inputs' names).
        intended: istiod's intended configuration of the proxy (``/debug/config_dump?proxyID=``): adds the
            drift checks' findings and an intended-vs-loaded section.

    Raises:
        UsageError: a malformed trace request or unknown source proxy.
        LoadError: unreadable input.
    """
    from meshlens.analysis.mesh import trace
    from meshlens.runner import check
    from meshlens.sources import load

    snapshot = source if isinstance(source, Snapshot) else load(source)
    specs = [parse_trace_spec(t) for t in traces]
    result = check(snapshot, now=now, hash_inputs=False, intended=intended)
    done = [(f"{src} → {host}{path}", trace(snapshot, host, path, from_=src)) for src, host, path in specs]
    name = title or ", ".join(str(s) for s in (source if isinstance(source, (list, tuple)) else [source])
                              if not isinstance(s, Snapshot)) or "capture"
    sections = [_mesh_section(snapshot), _findings_section(result), _certs_section(snapshot, result.now),
                _traces_section(done), _drift_section(snapshot, intended), _logs_section(snapshot),
                _tables_section(snapshot)]
    html = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>meshlens report: {escape(name)}'
            f'</title><style>{STYLE}</style></head><body><h1>meshlens report</h1>'
            f'<p class="meta">{escape(name)} · judged at {result.now:%Y-%m-%d %H:%M:%S} UTC '
            f'({escape(result.now_source)})'
            f' · {len(snapshot.proxies)} Envoy proxies, {len(snapshot.ztunnels)} ztunnels · '
            f'{len(result.findings)} finding(s)</p><nav>{_nav()}</nav>{"".join(sections)}'
            f'<script>{SCRIPT}</script></body></html>')
    return HtmlReport(html=html, findings=len(result.findings), traces=[t for _, t in done])


def _nav() -> str:
    links = (("mesh", "Mesh"), ("findings", "Findings"), ("certificates", "Certificates"), ("traces", "Traces"),
             ("logs", "ztunnel logs"), ("proxies", "Proxy tables"))
    return " · ".join(f'<a href="#{a}">{t}</a>' for a, t in links)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], cls: str = "", row_classes: Sequence[str] = ()
          ) -> str:
    """A sortable, filterable HTML table (a plain table without JavaScript)."""
    head = "".join(f"<th>{escape(str(h))}</th>" for h in headers)
    body = "".join(f'<tr class="{escape(row_classes[i]) if i < len(row_classes) else ""}">'
                   + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for i, row in enumerate(rows))
    return (f'<input class="filter" type="search" placeholder="filter rows" hidden>'
            f'<table class="sortable {cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>')


def _mesh_section(snapshot: Snapshot) -> str:
    from meshlens.summary import mesh_rows

    rows = mesh_rows(snapshot)  # the most troubled first
    cells = [[r.kind, r.name, r.istio or "", r.envoy or "",
              ", ".join(f"{k}={v}" for k, v in sorted(r.sync.items())) or "—",
              ", ".join(f"{v} {k}" for k, v in sorted(r.findings.items())) or "—", r.rejected, r.warming]
             for r in rows]
    classes = ["problem" if r.problems else "ok" for r in rows]
    return ('<section id="mesh"><h2>Mesh</h2><p>Proxies and ztunnels, problems first.</p>'
            + table(("kind", "name", "istio", "envoy", "istiod sync", "load findings", "rejected", "warming"),
                    cells, "mesh-table", classes) + "</section>")


def _doc_html(doc: str) -> str:
    """A check's documentation as HTML (headings, paragraphs, list items; ``literals`` as <code>)."""
    out = []
    for kind, text in blocks(doc):
        text = escape(text)
        text = re.sub(r":[a-z]+:`~?([^`]+)`", lambda m: "<code>" + m.group(1).rsplit(".", 1)[-1] + "</code>", text)
        text = re.sub(r"``(.+?)``", r"<code>\1</code>", text)
        if kind == "heading":
            out.append(f"<h4>{text}</h4>")
        elif kind == "item":
            out.append(f"<p class='item'>{text}</p>")
        elif kind == "para":
            out.append(f"<p>{text}</p>")
    return "".join(out)


def _findings_section(result: Report) -> str:
    from meshlens.checks import get_check

    order = {"error": 0, "warning": 1, "info": 2}
    worst: dict[str, int] = {}
    for f in result.findings:
        worst[f.code] = min(worst.get(f.code, 3), order.get(f.severity.value, 3))
    findings = sorted(result.findings, key=lambda f: (worst[f.code], f.code, order.get(f.severity.value, 3)))
    parts = [f'<section id="findings"><h2>Findings ({len(findings)})</h2>']
    if not findings:
        parts.append("<p>No finding.</p>")
    for code, group in groupby(findings, key=lambda f: f.code):
        items: list[Finding] = list(group)
        cls = get_check(code)
        parts.append(f'<details class="check {items[0].severity.value}" open><summary><b>{code}</b> '
                     f'{escape(cls.name)}: {escape(cls.title)} — {len(items)} finding(s)</summary>')
        rows = [[f.subject.proxy, f"{f.subject.kind} {f.subject.name}", f.message,
                 " ".join(x for x in (f.location.file, f.location.member) if x) or "—", f.location.json_path or "—"]
                for f in items]
        parts.append(table(("proxy", "resource", "message", "file / member", "JSON path"), rows, "findings"))
        parts.append(f'<details class="explain"><summary>What {code} checks and how to fix it</summary>'
                     f'{_doc_html(cls.docs())}</details></details>')
    return "".join(parts) + "</section>"


def _certs_section(snapshot: Snapshot, now: datetime) -> str:
    from meshlens.checks._certs import holders

    bars: list[CertBar] = []
    seen: set[tuple[str, str]] = set()
    for holder in holders(snapshot):
        for obs in holder.certs:
            if obs.not_before is None or obs.not_after is None or (holder.name, obs.serial) in seen:
                continue
            seen.add((holder.name, obs.serial))
            bars.append(CertBar(holder.name, f"{obs.role} {obs.where} {obs.identity}", obs.not_before, obs.not_after))
    bars.sort(key=lambda b: (b.not_after, b.holder))
    return ('<section id="certificates"><h2>Certificates</h2><p>Validity of every certificate; dashed line: now; '
            '<span class="k expired">expired</span> <span class="k expiring">expiring within 7 days</span> '
            '<span class="k valid">valid</span>.</p>' + cert_timeline(bars, now) + "</section>")


def _traces_section(done: Sequence[tuple[str, Any]]) -> str:
    parts = ['<section id="traces"><h2>Traces</h2>']
    if not done:
        parts.append("<p>No trace requested (<code>--trace 'SOURCE-&gt;HOST:PORT/PATH'</code>).</p>")
    for label, t in done:
        parts.append(f"<h3>{escape(label)}</h3>" + trace_html(t, label))
    return "".join(parts) + "</section>"


def trace_html(t: Any, label: str = "") -> str:
    """A Trace or MeshTrace as an SVG hop diagram (one lane per proxy) with its text in a <details>."""
    hops = [HopBox(getattr(h, "proxy", "") or getattr(t, "proxy", "") or "", h.kind, h.name,
                   getattr(h, "matched_by", "")) for h in t.hops]
    disposition = getattr(t.disposition, "value", str(t.disposition))
    last = t.paths[0].disposition if getattr(t, "paths", None) else disposition
    text = f"{disposition}" + (f" → {last} at the destination" if last != disposition else "")
    return (hop_diagram(label or "trace", hops, text, bool(t.reaches_upstream))
            + f"<details><summary>trace text</summary><pre>{escape(str(t))}</pre></details>")


def _drift_section(snapshot: Snapshot, intended: Any) -> str:
    """Intended (istiod) vs loaded (Envoy) by resource identity, when the intended capture is given."""
    if intended is None:
        return ""
    from meshlens.analysis.diff import diff

    try:
        drift = diff(intended, snapshot)
    except MeshlensError as exc:  # e.g. an archive of several proxies: said, not hidden
        body = f"<p class='note'>not compared: {escape(str(exc))}</p>"
    else:
        body = drift._repr_html_()
    return f'<section id="drift"><h2>Intended vs loaded</h2>{body}</section>'


def _logs_section(snapshot: Snapshot) -> str:
    """ztunnel log analysis (load balance fit, failovers) when the capture holds ztunnel logs."""
    if not any(hasattr(log, "access") for log in snapshot.logs):
        return '<section id="logs"><h2>ztunnel logs</h2><p>No ztunnel log in this capture.</p></section>'
    from meshlens.analysis.logs import analyze_logs

    analysis = analyze_logs(snapshot, dump=snapshot if snapshot.ztunnels else None)
    return f'<section id="logs"><h2>ztunnel logs</h2>{log_charts(analysis)}{analysis._repr_html_()}</section>'


def log_charts(analysis: Any) -> str:
    """The log analysis' charts (observed vs expected shares, failover timeline) as matplotlib SVG; without
    matplotlib a note saying so (the tables that follow hold the same figures).
    """
    from meshlens.analysis.logs.plot import charts_svg

    try:
        charts = charts_svg(analysis)
    except MissingExtraError:
        return ("<p class='note charts-missing'>Charts of observed vs expected shares and of the failover "
                "timeline need matplotlib, the <code>plot</code> extra: <code>pip install 'meshlens[plot]'"
                "</code>; the tables below hold the same figures.</p>")
    return "".join(f'<figure class="chart">{svg}</figure>' for svg in charts.values())


def _tables_section(snapshot: Snapshot) -> str:
    from meshlens.views import view

    parts = ['<section id="proxies"><h2>Proxy tables (istioctl proxy-config / ztunnel-config)</h2>']
    targets: list[tuple[EnvoyProxy | Ztunnel, tuple[str, ...]]] = [(p, _ENVOY_VIEWS) for p in snapshot.proxies]
    targets += [(z, _ZTUNNEL_VIEWS) for z in snapshot.ztunnels]
    for target, names in targets:
        parts.append(f'<details class="proxy"><summary>{escape(target.name)}</summary>')
        for name in names:
            try:
                tbl = view(target, name)
            except MeshlensError as exc:  # a view the capture cannot produce is said, not hidden
                parts.append(f"<p class='note'>{escape(name)}: not available ({escape(str(exc))})</p>")
                continue
            cut = len(tbl.cells) - MAX_ROWS
            parts.append(f"<h4>{escape(name)} ({len(tbl.cells)} rows)</h4>"
                         + table(tbl.headers, tbl.cells[:MAX_ROWS], "view")
                         + (f"<p class='note'>{cut} more rows not shown: run <code>meshlens pc {name}</code>.</p>"
                            if cut > 0 else ""))
        parts.append("</details>")
    return "".join(parts) + "</section>"
