"""SARIF 2.1.0 reporter: rules from the check registry (help = the check's documentation), results
with physical locations (the input file) and logical locations (proxy / resource / JSON path).

GitHub code scanning wants a ``region.startLine``; a JSON path has no line, so results point at
line 1 of the file and carry the JSON path as a logical location and in ``properties``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from meshlens.checks import ALL_CHECKS
from meshlens.models.base import Severity
from meshlens.render.jsonout import dumps
from meshlens.results import Finding, Report, iso

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
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


def _logical(f: Finding) -> list[dict[str, Any]]:
    proxy, kind, name = f.subject
    resource = f"{proxy}/{kind}/{name}" if proxy else f"{kind}/{name}"
    out = []
    if proxy:
        out.append({"name": proxy, "fullyQualifiedName": proxy, "kind": "namespace"})
    out.append({"name": name or kind, "fullyQualifiedName": resource, "kind": "resource"})
    out.append({"name": f.location.json_path, "fullyQualifiedName": f"{resource}:{f.location.json_path}",
                "kind": "object"})
    return out


def _result(f: Finding, rule_index: int, baseline: bool) -> dict[str, Any]:
    location: dict[str, Any] = {"logicalLocations": _logical(f)}
    if f.location.file:
        location["physicalLocation"] = {
            "artifactLocation": {"uri": quote(f.location.file.replace("\\", "/"), safe="/:._-~")},
            "region": {"startLine": 1},
        }
    result: dict[str, Any] = {
        "ruleId": f.code,
        "ruleIndex": rule_index,
        "level": LEVELS[f.severity],
        "message": {"text": f.message},
        "locations": [location],
        "partialFingerprints": {"meshlensFingerprint/v1": f.fingerprint},
        "properties": {"subject": f.subject.to_dict(), "jsonPath": f.location.json_path,
                       "archiveMember": f.location.member, "data": dict(f.data)},
    }
    if baseline:
        result["baselineState"] = "unchanged" if f.baseline == "unchanged" else "new"
    return result


def render(report: Report) -> str:
    """The report as SARIF 2.1.0: rules from the check catalogue, one result per finding."""
    rules, index = _rules()
    notifications = [
        {"level": "error" if run.status == "errored" else "note",
         "message": {"text": f"{run.code} {run.status}: {run.reason}"},
         "descriptor": {"id": run.code, "index": index[run.code]}}
        for run in report.runs if run.status in ("skipped", "errored")
    ]
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "meshlens", "version": report.version or "0", "rules": rules}},
        "invocations": [{
            "executionSuccessful": not any(r.status == "errored" for r in report.runs),
            "toolExecutionNotifications": notifications,
            "properties": {"now": iso(report.now), "nowSource": report.now_source, "options": dict(report.options)},
        }],
        "results": [_result(f, index[f.code], report.baseline_applied) for f in report.findings],
    }
    return dumps({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}) + "\n"
