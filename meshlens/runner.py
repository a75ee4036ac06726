"""Run the checks over a snapshot: ``meshlens.check(snapshot, ...) -> Report``.

The runner decides what the checks do not: which checks run (``select``/``ignore``), which are
skipped because the capture lacks an input they need (with the reason), the instant certificates
are judged at (``now``: given, else the capture time, else the latest ``last_updated`` in the dump,
else the wall clock, and the report says which), and which load findings are relayed (a check
that reports the same fact with more context ``supersedes`` its ML0xxx code). A check that raises
is recorded as ``errored`` and the others still run.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from meshlens.checks import ALL_CHECKS, select_checks
from meshlens.checks.base import INPUTS, Check, CheckContext, SkipCheck
from meshlens.checks.load import LoadCheck
from meshlens.errors import UsageError
from meshlens.models import clock
from meshlens.models.clock import NOW_CAPTURE, NOW_GIVEN, NOW_LAST_UPDATED, NOW_WALL_CLOCK
from meshlens.models.snapshot import Snapshot
from meshlens.results import CheckRun, Finding, Report, Subject

__all__ = ["NOW_CAPTURE", "NOW_GIVEN", "NOW_LAST_UPDATED", "NOW_WALL_CLOCK", "check", "known_options", "resolve_now"]

def resolve_now(snapshot: Snapshot, now: datetime | str | None = None) -> tuple[datetime, str]:
    """The instant to judge validity at, and where it came from (:mod:`meshlens.models.clock`: the
    one rule every command follows).

    Raises:
        UsageError: ``now`` is a string that is not an RFC 3339 time.
    """
    captured = snapshot.captured_at
    if captured is None:
        stamps = [z.captured_at for z in snapshot.ztunnels if z.captured_at is not None]
        captured = max(stamps) if stamps else None
    found = clock.resolve_now(now, captured_at=captured, proxies=snapshot.proxies)
    return found.instant, found.source


def known_options() -> dict[str, tuple[Any, str]]:
    """Every check option: name -> (default, help)."""
    out: dict[str, tuple[Any, str]] = {}
    for cls in ALL_CHECKS:
        out.update(cls.options)
    return out


def _options(given: Mapping[str, Any] | None) -> dict[str, Any]:
    known = known_options()
    unknown = sorted(set(given or {}) - set(known))
    if unknown:
        raise UsageError(f"unknown check option(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return {name: (given or {}).get(name, default) for name, (default, _) in sorted(known.items())}


def _missing_input(cls: type[Check], snapshot: Snapshot, ctx: CheckContext) -> str | None:
    for name in cls.inputs:
        present, reason = INPUTS[name]
        if not present(snapshot, ctx):
            return reason
    return None


def _sha256(path: str) -> str | None:
    try:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def _inputs(snapshot: Snapshot, hash_inputs: bool) -> tuple[dict[str, Any], ...]:
    hashes: dict[str, str | None] = {}
    out = []
    for info in snapshot.sources:
        entry = info.to_dict()
        file = info.location.file
        if hash_inputs and file and os.path.isfile(file):
            if file not in hashes:
                hashes[file] = _sha256(file)
            entry["sha256"] = hashes[file]
        out.append(entry)
    return tuple(out)


def _as_snapshot(source: Any) -> Snapshot:
    from meshlens.sources.coerce import as_snapshot

    if isinstance(source, Iterable) and not isinstance(source, (str, bytes, bytearray, dict, list, tuple)):
        source = list(source)  # any iterable of paths (a generator, a set of Paths)
    return as_snapshot(source)


def _run_one(cls: type[Check], snapshot: Snapshot, ctx: CheckContext) -> tuple[CheckRun, list[Finding]]:
    start = time.perf_counter()
    findings: list[Finding] = []
    subjects: list[Subject] = []
    try:
        for item in cls().run(snapshot, ctx):
            kind = type(item)
            if kind is Finding:
                findings.append(item)  # type: ignore[arg-type]
                subjects.append(item.subject)  # type: ignore[union-attr]
            elif kind is list:
                subjects.extend(item)  # type: ignore[arg-type]
            else:
                subjects.append(item)  # type: ignore[arg-type]
    except SkipCheck as exc:
        return _run(cls, "skipped", str(exc), time.perf_counter() - start), []
    except Exception as exc:  # noqa: BLE001 - one broken check must not hide the others' results
        return _run(cls, "errored", f"{type(exc).__name__}: {exc}", time.perf_counter() - start), []
    examined = dict.fromkeys(subjects)
    flagged = {f.subject for f in findings}
    passed = tuple(s for s in examined if s not in flagged) if flagged else tuple(examined)
    status = "failed" if findings else "passed"
    return CheckRun(cls.code, cls.name, cls.title, cls.severity, status, "", time.perf_counter() - start,
                    len(findings), len(examined), passed), findings


def _run(cls: type[Check], status: str, reason: str, duration: float = 0.0) -> CheckRun:
    return CheckRun(cls.code, cls.name, cls.title, cls.severity, status, reason, duration)


def check(
    snapshot: Any,
    now: datetime | str | None = None,
    select: Any = None,
    ignore: Any = None,
    options: Mapping[str, Any] | None = None,
    *,
    intended: Any = None,
    hash_inputs: bool = True,
) -> Report:
    """Run the checks over a capture and return a :class:`~meshlens.results.Report`.

    Args:
        snapshot: a loaded :class:`Snapshot`, ``EnvoyProxy`` or ``Ztunnel``, or a source: a path,
            bytes, a parsed dict, ``"-"`` or a list of paths (files of one proxy given together are
            analysed as one proxy).
        now: judge certificates at this instant (RFC 3339 text or datetime). Default: the capture
            time, else the latest ``last_updated`` in the dump, else the wall clock
            (``report.now_source`` says which).
        select: codes (``ML1001``), code prefixes (``ML1``), slugs (``certs.expired``) or areas
            (``certs``) to run, as a list or comma-separated text; default all.
        ignore: the same, to leave out.
        options: check options (``cert_expiry_days``, ...; see :func:`known_options`).
        intended: the intended capture (a source or a loaded object) for the drift checks ML5003-ML5005.
        hash_inputs: record the sha256 of each input file in the report.

    Raises:
        UsageError: unknown selector or option, or a malformed ``now``.
        LoadError: a path could not be loaded.

    Examples:
        >>> report = meshlens.check("bug-report.tar.gz", now="2026-11-22T13:32:00Z")  # doctest: +SKIP
        >>> [f.code for f in report.findings]  # doctest: +SKIP
    """
    from meshlens._version import __version__

    snap = _as_snapshot(snapshot)
    chosen = select_checks(select, ignore)
    when, source = resolve_now(snap, now)
    ctx = CheckContext(now=when, now_source=source, options=_options(options),
                       intended=_as_snapshot(intended) if intended is not None else None)
    missing = {cls.code: _missing_input(cls, snap, ctx) for cls in chosen}
    superseded: dict[str, str] = {}
    for cls in chosen:
        if missing[cls.code] is None:
            for code in cls.supersedes:
                superseded.setdefault(code, cls.code)
    runs: list[CheckRun] = []
    findings: list[Finding] = []
    for cls in chosen:
        if missing[cls.code] is not None:
            runs.append(_run(cls, "skipped", str(missing[cls.code])))
            continue
        if issubclass(cls, LoadCheck) and cls.code in superseded:
            runs.append(_run(cls, "skipped", f"reported by {superseded[cls.code]}, which checks the same fact"))
            continue
        run, found = _run_one(cls, snap, ctx)
        runs.append(run)
        findings.extend(found)
    findings.sort(key=lambda f: f.sort_key)
    return Report(findings=tuple(findings), runs=tuple(runs), now=when, now_source=source,
                  inputs=_inputs(snap, hash_inputs), options=dict(ctx.options), version=__version__)


def write_report(text: str, path: str | Path) -> None:
    """Write rendered output to ``path`` (UTF-8)."""
    Path(path).write_text(text, encoding="utf-8")
