"""SARIF 2.1.0 reporter: rules from the check registry (help = the check's documentation), results
with physical locations (the input file) and logical locations (proxy / resource / JSON path).

What GitHub's own validator (SARIF Multitool, ``validate --rule-kind "Gh;Sarif"``) asks: the driver
names its ``informationUri``; an absolute input path is written as a ``file://`` URI (a relative
reference may not begin with ``/``); and a result's region is the line and column where its
resource's JSON path starts in the input file (:mod:`meshlens.encoding.json_positions`). A finding
in an archive member points at the archive (line 1: a line of a compressed archive means nothing)
and names the member in a logical location (kind ``module``) with its line there in
``properties``; a path that cannot be found keeps line 1 and says so in ``properties``.
"""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from meshlens.checks import ALL_CHECKS
from meshlens.encoding.json_positions import positions
from meshlens.errors import MeshlensError
from meshlens.models.base import Location, Severity
from meshlens.render.jsonout import dumps
from meshlens.results import Finding, Report, iso
from meshlens.sources.bounded import Budget, current_limit, gunzip, read_file

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/meshlens/"
Positions = dict[tuple[str, str | None], dict[str, tuple[int, int]]]
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _rules() -> tuple[list[dict[str, Any]], dict[str, int]]:
    rules, index = [], {}
    for i, check in enumerate(ALL_CHECKS):
        docs = check.docs()
        rules.append({
            "id": check.code,
            "name": check.name,
            "shortDescription": {"text": check.title},
            "fullDescription": {"text": check.summary()},
            "help": {"text": docs, "markdown": docs},
            "defaultConfiguration": {"level": LEVELS[check.severity]},
            "properties": {"tags": sorted({check.area(), check.name.split(".", 1)[0]})},
        })
        index[check.code] = i
    return rules, index


def _text_of(file: str, member: str | None, budget: Budget) -> str | None:
    """The text of an input file (gzip inflated) or of one member of a tar archive; None if unreadable."""
    try:
        if member is not None and os.path.isdir(file):  # a folder laid out like a bug report
            return read_file(os.path.join(file, member), budget, Location(file=file, member=member)).decode("utf-8")
        data = read_file(file, budget, Location(file=file))
        if data[:2] == b"\x1f\x8b":
            data = gunzip(data, budget, Location(file=file))
        if member is not None:
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
                handle = tar.extractfile(member)
                data = handle.read() if handle is not None else b""
        return data.decode("utf-8")
    except (MeshlensError, OSError, tarfile.TarError, KeyError, UnicodeDecodeError):
        return None


def _positions(findings: tuple[Finding, ...]) -> Positions:
    """Line and column of every finding's JSON path, per (file, member), read once each."""
    wanted: dict[tuple[str, str | None], set[str]] = {}
    for f in findings:
        if f.location.file:
            wanted.setdefault((f.location.file, f.location.member), set()).add(f.location.json_path)
    budget = Budget(current_limit(None))
    out: Positions = {}
    for (file, member), paths in wanted.items():
        text = _text_of(file, member, budget)
        out[(file, member)] = positions(text, paths) if text is not None else {}
    return out


def _artifact(file: str) -> dict[str, Any]:
    if os.path.isabs(file):
        return {"uri": Path(file).as_uri()}
    return {"uri": quote(file.replace("\\", "/"), safe="/:._-~")}


def _logical(f: Finding) -> list[dict[str, Any]]:
    proxy, kind, name = f.subject
    resource = f"{proxy}/{kind}/{name}" if proxy else f"{kind}/{name}"
    out = []
    if f.location.member:
        out.append({"name": f.location.member, "fullyQualifiedName": f"{f.location.file}!/{f.location.member}",
                    "kind": "module"})
    if proxy:
        out.append({"name": proxy, "fullyQualifiedName": proxy, "kind": "namespace"})
    out.append({"name": name or kind, "fullyQualifiedName": resource, "kind": "resource"})
    out.append({"name": f.location.json_path, "fullyQualifiedName": f"{resource}:{f.location.json_path}",
                "kind": "object"})
    return out


def _result(f: Finding, rule_index: int, baseline: bool, found: Positions) -> dict[str, Any]:
    location: dict[str, Any] = {"logicalLocations": _logical(f)}
    where: dict[str, Any] = {}
    if f.location.file:
        at = found.get((f.location.file, f.location.member), {}).get(f.location.json_path)
        region = {"startLine": 1}
        if at is None:
            where["positionUnknown"] = "the JSON path was not found in the input text"
        elif f.location.member:
            where["memberLine"], where["memberColumn"] = at
        else:
            region = {"startLine": at[0], "startColumn": at[1]}
        location["physicalLocation"] = {"artifactLocation": _artifact(f.location.file), "region": region}
    result: dict[str, Any] = {
        "ruleId": f.code,
        "ruleIndex": rule_index,
        "level": LEVELS[f.severity],
        "message": {"text": f.message},
        "locations": [location],
        "partialFingerprints": {"meshlensFingerprint/v1": f.fingerprint},
        "properties": {"subject": f.subject.to_dict(), "jsonPath": f.location.json_path,
                       "archiveMember": f.location.member, "data": dict(f.data), **where},
    }
    if baseline:
        result["baselineState"] = "unchanged" if f.baseline == "unchanged" else "new"
    return result


def render(report: Report) -> str:
    """The report as SARIF 2.1.0: rules from the check catalogue, one result per finding."""
    rules, index = _rules()
    found = _positions(report.findings)
    notifications = [
        {"level": "error" if run.status == "errored" else "note",
         "message": {"text": f"{run.code} {run.status}: {run.reason}"},
         "descriptor": {"id": run.code, "index": index[run.code]}}
        for run in report.runs if run.status in ("skipped", "errored")
    ]
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "meshlens", "version": report.version or "0", "informationUri": INFORMATION_URI,
                            "rules": rules}},
        "invocations": [{
            "executionSuccessful": not any(r.status == "errored" for r in report.runs),
            "toolExecutionNotifications": notifications,
            "properties": {"now": iso(report.now), "nowSource": report.now_source, "options": dict(report.options)},
        }],
        "results": [_result(f, index[f.code], report.baseline_applied, found) for f in report.findings],
    }
    return dumps({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}) + "\n"
