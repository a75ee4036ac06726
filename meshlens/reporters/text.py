"""Text reporter: findings grouped by proxy, most severe first, then a summary; ANSI colour optional."""

from __future__ import annotations

from collections.abc import Callable

from meshlens.models.base import Severity
from meshlens.results import Finding, Report, iso

_COLORS = {"error": "31", "warning": "33", "info": "36", "bold": "1", "dim": "2", "green": "32"}


def _painter(color: bool) -> Callable[[str, str], str]:
    def paint(text: str, style: str) -> str:
        return f"\x1b[{_COLORS[style]}m{text}\x1b[0m" if color and text else text

    return paint


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _where(f: Finding) -> str:
    loc = f.location
    if not loc.file and not loc.member:
        return loc.json_path if loc.json_path != "$" else ""
    return str(loc)


def render(report: Report, color: bool = False, verbose: bool = False) -> str:
    """The report as text: ``severity CODE slug  message`` lines under each proxy, then a summary.

    With a baseline applied, findings it accepts are counted, not listed. ``verbose`` also lists
    skipped checks with their reasons.
    """
    paint = _painter(color)
    shown = [f for f in report.findings if f.baseline != "unchanged"]
    lines: list[str] = []
    groups: dict[str, list[Finding]] = {}
    for f in shown:
        groups.setdefault(f.subject.proxy or "(capture)", []).append(f)
    for proxy in sorted(groups):
        lines.append(paint(proxy, "bold"))
        items = sorted(groups[proxy], key=lambda f: (-f.severity.rank, f.code, f.subject, f.message))
        for f in items:
            sev = f.severity.value
            lines.append(f"  {paint(f'{sev:<7}', sev)} {paint(f.code, 'bold')} {f.name}: {f.message}")
            where = _where(f)
            if where:
                lines.append(f"          {paint(where, 'dim')}")
        lines.append("")
    errored = [r for r in report.runs if r.status == "errored"]
    for run in errored:
        lines.append(paint(f"{run.code} {run.name} errored: {run.reason}", "error"))
    skipped = [r for r in report.runs if r.status == "skipped"]
    if verbose:
        for run in skipped:
            lines.append(paint(f"{run.code} {run.name} skipped: {run.reason}", "dim"))
    if errored or (verbose and skipped):
        lines.append("")
    counts = report.counts()
    head = (f"{_plural(len(shown), 'finding')} ({_plural(counts['error'], 'error')}, "
            f"{_plural(counts['warning'], 'warning')}, {counts['info']} info)")
    if not shown:
        head = paint("no findings", "green")
    worst = report.max_severity
    if worst is Severity.ERROR:
        head = paint(head, "error")
    summary = report.summary()["checks"]
    parts = [head, f"{_plural(len(report.runs), 'check')}: {summary['passed']} passed, {summary['failed']} failed, "
             f"{summary['skipped']} skipped" + (f", {summary['errored']} errored" if summary["errored"] else "")]
    if report.baseline_applied:
        parts.append(f"{len(report.findings) - len(shown)} known from the baseline not shown")
    parts.append(f"judged at {iso(report.now)} ({report.now_source})")
    lines.append(" · ".join(parts))
    if skipped and not verbose:
        lines.append(paint("skipped checks and their reasons: meshlens check -v", "dim"))
    return "\n".join(lines) + "\n"
