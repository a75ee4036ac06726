"""What ``meshlens.check`` returns: Subject, Finding, CheckRun, Report (frozen), and the CI Baseline.

A :class:`Finding` is one problem of one subject (``proxy``, resource ``kind``, ``name``) found by one
check; a :class:`CheckRun` says how a check went (passed, failed, skipped with the reason, errored)
and which subjects it examined and found fine (JUnit lists them as passing test cases); the
:class:`Report` holds both, the inputs, and the instant certificates were judged at (``now``).
A report's readable text (:func:`report_text`, also its ``str()``) is written here, beside the types,
so that results need nothing above them; the other formats (JSON, SARIF, JUnit) are renderers in
:mod:`meshlens.render`.

A :class:`Baseline` records the findings a CI job has accepted (by fingerprint, with a count), so
that :meth:`Report.with_baseline` can mark later findings ``new`` or ``unchanged``.
"""

from __future__ import annotations

import hashlib
import html
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from meshlens.errors import UsageError
from meshlens.models import hooks
from meshlens.models.base import Location, Severity
from meshlens.models.result import Result

__all__ = ["Baseline", "CheckRun", "Finding", "Location", "Report", "Severity", "Subject", "fail_threshold"]

JsonScalar = str | int | float | bool | None
FAIL_ON = ("error", "warning", "info", "never")
RUN_STATUSES = ("passed", "failed", "skipped", "errored")


def iso(value: datetime) -> str:
    """``2026-11-22T13:32:00Z`` (UTC, whole seconds unless the value has a fraction)."""
    value = value.astimezone(timezone.utc)
    text = value.isoformat(timespec="microseconds" if value.microsecond else "seconds")
    return text.replace("+00:00", "Z")


class Subject(NamedTuple):
    """What a finding is about: a resource of a proxy (Envoy or ztunnel), by kind and name.

    A named tuple: checks examine tens of thousands of subjects in a large capture.
    """

    proxy: str
    kind: str
    name: str

    def to_dict(self) -> dict[str, str]:
        return {"proxy": self.proxy, "kind": self.kind, "name": self.name}

    def __str__(self) -> str:
        return f"{self.kind} {self.name}" + (f" ({self.proxy})" if self.proxy else "")


def _fingerprint(code: str, subject: Subject) -> str:
    key = "\x1f".join((code, subject.proxy, subject.kind, subject.name))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


# The columns of a finding as a table row (Finding.to_frame(), Report.to_frame()).
FINDING_COLUMNS = ("code", "name", "severity", "proxy", "kind", "subject", "message", "file", "member", "json_path",
                   "baseline")


@dataclass(frozen=True, slots=True)
class Finding(Result):
    """One problem of one subject, found by check ``code``.

    Attributes:
        code, name, severity, title: the check's metadata (``ML1001``, ``certs.expired``, ...).
        message: the check's message template filled in.
        subject: proxy, resource kind and name.
        location: file, archive member and JSON path of the resource in the capture.
        data: the template arguments and extra facts (JSON scalars; the only loosely typed field).
        baseline: ``new`` or ``unchanged`` once a baseline was applied, else None.
    """

    code: str
    name: str
    severity: Severity
    title: str
    message: str
    subject: Subject
    location: Location = field(default_factory=Location)
    data: Mapping[str, JsonScalar] = field(default_factory=dict, compare=False)
    baseline: str | None = None

    @property
    def fingerprint(self) -> str:
        """Stable identity across captures: code + subject (not the JSON path, which moves)."""
        return _fingerprint(self.code, self.subject)

    @property
    def sort_key(self) -> tuple[str, Subject, str, str, str]:
        loc = self.location
        return self.code, self.subject, loc.file or "", loc.member or "", loc.json_path + "\x00" + self.message

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code, "name": self.name, "severity": self.severity.value, "title": self.title,
            "message": self.message, "subject": self.subject.to_dict(),
            "location": {"file": self.location.file, "member": self.location.member,
                         "json_path": self.location.json_path},
            "data": dict(self.data), "fingerprint": self.fingerprint,
        }
        if self.baseline is not None:
            out["baseline"] = self.baseline
        return out

    def row(self) -> dict[str, Any]:
        """The finding as one flat table row (:data:`FINDING_COLUMNS`)."""
        return {"code": self.code, "name": self.name, "severity": self.severity.value, "proxy": self.subject.proxy,
                "kind": self.subject.kind, "subject": self.subject.name, "message": self.message,
                "file": self.location.file, "member": self.location.member, "json_path": self.location.json_path,
                "baseline": self.baseline}

    def records(self) -> list[dict[str, Any]]:
        """One row: :meth:`row`."""
        return [self.row()]

    def columns(self) -> tuple[str, ...]:
        """:data:`FINDING_COLUMNS`."""
        return FINDING_COLUMNS

    def __str__(self) -> str:
        return f"{self.severity.value} [{self.code}] ({self.subject}) {self.message}"


@dataclass(frozen=True, slots=True)
class CheckRun:
    """How one check went: ``passed`` (ran, nothing found), ``failed`` (findings), ``skipped``
    (an input it needs is absent: ``reason`` says which) or ``errored`` (``reason`` has the error).

    ``passed`` holds the subjects the check examined and found fine; ``examined`` counts all.
    """

    code: str
    name: str
    title: str
    severity: Severity
    status: str
    reason: str = ""
    duration: float = 0.0
    findings: int = 0
    examined: int = 0
    passed: tuple[Subject, ...] = field(default=(), repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "status": self.status, "reason": self.reason,
                "findings": self.findings, "subjects": self.examined,
                "duration_ms": round(self.duration * 1000, 3)}


def fail_threshold(fail_on: str) -> Severity | None:
    """The severity ``--fail-on`` names (None for ``never``).

    Raises:
        UsageError: ``fail_on`` is not error, warning, info or never.
    """
    value = fail_on.lower()
    if value not in FAIL_ON:
        raise UsageError(f"--fail-on must be one of {', '.join(FAIL_ON)}, not {fail_on!r}")
    return None if value == "never" else Severity(value)


@dataclass(frozen=True)
class Report(Result):
    """The result of :func:`meshlens.check`.

    Attributes:
        findings: sorted by (code, subject, location).
        runs: one :class:`CheckRun` per registered check, in code order.
        inputs: the documents loaded (kind, file, member, group, sha256 for plain files).
        now: the instant certificates were judged at; ``now_source`` says where it came from.
        options: the check options in effect (defaults included).
        baseline_applied: findings carry ``baseline`` = ``new`` / ``unchanged``.
    """

    findings: tuple[Finding, ...]
    runs: tuple[CheckRun, ...]
    now: datetime
    now_source: str
    inputs: tuple[Mapping[str, Any], ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    version: str = ""
    baseline_applied: bool = False

    # --- queries -------------------------------------------------------------------------------
    @property
    def new_findings(self) -> tuple[Finding, ...]:
        """Findings not accepted by the baseline (all of them when no baseline was applied)."""
        return tuple(f for f in self.findings if f.baseline != "unchanged")

    @property
    def max_severity(self) -> Severity | None:
        """The highest severity among the new findings, None when there are none."""
        found = [f.severity for f in self.new_findings]
        return max(found, key=lambda s: s.rank) if found else None

    def exceeds(self, fail_on: str) -> bool:
        """True when a new finding is at or above ``fail_on`` (``error``, ``warning``, ``info``, ``never``)."""
        threshold = fail_threshold(fail_on)
        worst = self.max_severity
        return threshold is not None and worst is not None and worst.rank >= threshold.rank

    def by_code(self) -> dict[str, list[Finding]]:
        out: dict[str, list[Finding]] = {}
        for f in self.findings:
            out.setdefault(f.code, []).append(f)
        return out

    def run(self, code: str) -> CheckRun:
        for run in self.runs:
            if run.code == code:
                return run
        raise KeyError(code)

    def counts(self) -> dict[str, int]:
        """Number of new findings per severity (``error``, ``warning``, ``info``)."""
        counter = Counter(f.severity.value for f in self.new_findings)
        return {s.value: counter.get(s.value, 0) for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)}

    def summary(self) -> dict[str, Any]:
        statuses = Counter(r.status for r in self.runs)
        out: dict[str, Any] = {**self.counts(), "findings": len(self.new_findings),
                               "checks": {s: statuses.get(s, 0) for s in RUN_STATUSES}}
        if self.baseline_applied:
            out["baselined"] = len(self.findings) - len(self.new_findings)
        return out

    # --- transformations ------------------------------------------------------------------------
    def with_baseline(self, baseline: Baseline) -> Report:
        """This report with each finding marked ``new`` or ``unchanged`` against ``baseline``.

        A fingerprint recorded ``n`` times accepts up to ``n`` findings with that fingerprint;
        more are new.
        """
        remaining = dict(baseline.counts)
        marked = []
        for f in self.findings:
            left = remaining.get(f.fingerprint, 0)
            if left > 0:
                remaining[f.fingerprint] = left - 1
                marked.append(replace(f, baseline="unchanged"))
            else:
                marked.append(replace(f, baseline="new"))
        return replace(self, findings=tuple(marked), baseline_applied=True)

    # --- output ---------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The ``meshlens check --format json`` document (``interfaces.md``), JSON-safe."""
        return {
            "findings": [f.to_dict() for f in self.findings],
            "checks_run": [r.to_dict() for r in self.runs],
            "inputs": [dict(i) for i in self.inputs],
            "now": iso(self.now),
            "now_source": self.now_source,
            "options": dict(self.options),
            "summary": self.summary(),
            "meshlens_version": self.version,
        }

    def records(self) -> list[dict[str, Any]]:
        """One row per finding (:data:`FINDING_COLUMNS`): the rows of ``to_frame()``."""
        return [f.row() for f in self.findings]

    def columns(self) -> tuple[str, ...]:
        """:data:`FINDING_COLUMNS`."""
        return FINDING_COLUMNS

    def to_sarif(self) -> str:
        """The report as SARIF 2.1.0 (what ``meshlens check --format sarif`` writes)."""
        return hooks.render(self, "sarif")

    def to_junit(self) -> str:
        """The report as JUnit XML (what ``meshlens check --format junit`` writes)."""
        return hooks.render(self, "junit")

    def _repr_html_(self) -> str:
        counts = self.counts()
        head = (f"<p><b>meshlens check</b>: {counts['error']} errors, {counts['warning']} warnings, "
                f"{counts['info']} info; now {html.escape(iso(self.now))} ({html.escape(self.now_source)})</p>")
        if not self.findings:
            return head + "<p>No findings.</p>"
        rows = "".join(
            f"<tr><td>{html.escape(f.severity.value)}</td><td>{html.escape(f.code)}</td>"
            f"<td>{html.escape(f.subject.proxy)}</td><td>{html.escape(f.subject.kind)} "
            f"{html.escape(f.subject.name)}</td><td>{html.escape(f.message)}</td></tr>"
            for f in self.findings)
        return (head + "<table><thead><tr><th>severity</th><th>code</th><th>proxy</th><th>subject</th>"
                "<th>message</th></tr></thead><tbody>" + rows + "</tbody></table>")

    def __str__(self) -> str:
        return report_text(self)


@dataclass(frozen=True)
class Baseline:
    """Accepted findings: fingerprint -> how many (``--baseline FILE``, ``--write-baseline FILE``)."""

    counts: Mapping[str, int]
    entries: tuple[Mapping[str, Any], ...] = ()

    FORMAT = 1

    @classmethod
    def from_findings(cls, findings: Iterable[Finding]) -> Baseline:
        counter: Counter[str] = Counter()
        first: dict[str, Finding] = {}
        for f in findings:
            counter[f.fingerprint] += 1
            first.setdefault(f.fingerprint, f)
        entries = tuple({"fingerprint": fp, "code": first[fp].code, "subject": first[fp].subject.to_dict(),
                         "count": n} for fp, n in sorted(counter.items(), key=lambda kv: first[kv[0]].sort_key))
        return cls(counts=dict(counter), entries=entries)

    @classmethod
    def from_report(cls, report: Report) -> Baseline:
        return cls.from_findings(report.findings)

    def dumps(self) -> str:
        doc = {"meshlens_baseline": self.FORMAT, "findings": list(self.entries)}
        return orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n"

    def write(self, path: str | Path) -> None:
        Path(path).write_text(self.dumps(), encoding="utf-8")

    @classmethod
    def loads(cls, text: str | bytes, source: str = "<baseline>") -> Baseline:
        """Parse a baseline document.

        Raises:
            UsageError: the document is not a meshlens baseline.
        """
        try:
            doc = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise UsageError(f"not a meshlens baseline (invalid JSON: {exc})", file=source) from None
        if not isinstance(doc, dict) or doc.get("meshlens_baseline") != cls.FORMAT or not isinstance(
                doc.get("findings"), list):
            raise UsageError('not a meshlens baseline: expected {"meshlens_baseline": 1, "findings": [...]}',
                             file=source)
        counts: dict[str, int] = {}
        for i, entry in enumerate(doc["findings"]):
            fp = entry.get("fingerprint") if isinstance(entry, dict) else None
            count = entry.get("count", 1) if isinstance(entry, dict) else None
            if not isinstance(fp, str) or not isinstance(count, int) or count < 0:
                raise UsageError("baseline entry needs a string fingerprint and a count", file=source,
                                 json_path=f"$.findings[{i}]")
            counts[fp] = counts.get(fp, 0) + count
        return cls(counts=counts, entries=tuple(doc["findings"]))

    @classmethod
    def load(cls, path: str | Path) -> Baseline:
        from meshlens.errors import LoadError
        from meshlens.models.base import Location
        from meshlens.sources.bounded import Budget, current_limit, read_file

        try:  # a regular file only (a FIFO named as the baseline must not hang the job), within the byte limit
            data = read_file(path, Budget(current_limit()), Location(file=str(path)))
        except LoadError as exc:
            raise UsageError(f"cannot read the baseline: {exc.message}", file=str(path)) from None
        return cls.loads(data, str(path))


# The text report: findings grouped by proxy, most severe first, then a summary; ANSI colour optional.

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


def report_text(report: Report, color: bool = False, verbose: bool = False) -> str:
    """The report as text: ``severity CODE slug  message`` lines under each proxy, then a summary.

    With a baseline applied, findings it accepts are counted, not listed. ``verbose`` also lists
    skipped checks with their reasons.
    """
    paint = _painter(color)
    shown = [f for f in report.findings if f.baseline != "unchanged"]
    lines = _finding_lines(shown, paint)
    errored = [r for r in report.runs if r.status == "errored"]
    for run in errored:
        lines.append(paint(f"{run.code} {run.name} errored: {run.reason}", "error"))
    skipped = [r for r in report.runs if r.status == "skipped"]
    if verbose:
        for run in skipped:
            lines.append(paint(f"{run.code} {run.name} skipped: {run.reason}", "dim"))
    if errored or (verbose and skipped):
        lines.append("")
    lines.append(_summary_line(report, shown, paint))
    if skipped and not verbose:
        lines.append(paint("skipped checks and their reasons: meshlens check -v", "dim"))
    return "\n".join(lines) + "\n"


def _finding_lines(shown: list[Finding], paint: Callable[[str, str], str]) -> list[str]:
    """Findings grouped by proxy (sorted), most severe first, each with where it was found."""
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
    return lines


def _summary_line(report: Report, shown: list[Finding], paint: Callable[[str, str], str]) -> str:
    """Counts by severity, checks by status, the baseline's share and the instant judged at."""
    counts = report.counts()
    head = (f"{_plural(len(shown), 'finding')} ({_plural(counts['error'], 'error')}, "
            f"{_plural(counts['warning'], 'warning')}, {counts['info']} info)")
    if not shown:
        head = paint("no findings", "green")
    if report.max_severity is Severity.ERROR:
        head = paint(head, "error")
    summary = report.summary()["checks"]
    parts = [head, f"{_plural(len(report.runs), 'check')}: {summary['passed']} passed, {summary['failed']} failed, "
             f"{summary['skipped']} skipped" + (f", {summary['errored']} errored" if summary["errored"] else "")]
    if report.baseline_applied:
        parts.append(f"{len(report.findings) - len(shown)} known from the baseline not shown")
    parts.append(f"judged at {iso(report.now)} ({report.now_source})")
    return " · ".join(parts)
