"""JUnit XML reporter: one test suite per check, one test case per check and subject.

A subject the check examined and found fine is a passing test case; a flagged one fails (one
``<failure>`` per finding at or above ``fail_on``, the same threshold as the exit code's ``--fail-on``;
findings below it are listed in the passing case's ``<system-out>``); a skipped check is one
skipped test case with the reason; an errored check one ``<error>``; a check that ran with nothing
to examine one passing ``(nothing to check)``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from meshlens.results import CheckRun, Finding, Report, Subject, fail_threshold

# Characters XML 1.0 cannot carry at all, even escaped (ElementTree writes them raw, and the
# document no longer parses): control characters other than tab, LF, CR; surrogates; U+FFFE/F.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _x(text: str) -> str:
    r"""``text`` made safe for XML: each forbidden character becomes its ``\xNN``/``\uNNNN`` escape."""
    return _NOT_XML.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _case_name(subject: Subject) -> str:
    proxy, kind, name = subject
    return _x(f"{proxy}: {kind} {name}" if proxy else f"{kind} {name}")


def _suite(run: CheckRun, findings: list[Finding], fail_rank: int | None) -> ET.Element:
    suite = ET.Element("testsuite", name=f"{run.code} {run.name}", time=f"{run.duration:.6f}")
    classname = f"meshlens.{run.code}.{run.name}"
    failures = errors = skipped = tests = 0
    if run.status == "skipped":
        case = ET.SubElement(suite, "testcase", classname=classname, name=run.title)
        ET.SubElement(case, "skipped", message=_x(run.reason))
        tests, skipped = 1, 1
    elif run.status == "errored":
        case = ET.SubElement(suite, "testcase", classname=classname, name=run.title)
        ET.SubElement(case, "error", message=_x(run.reason), type="CheckError")
        tests, errors = 1, 1
    else:
        by_subject: dict[Subject, list[Finding]] = {}
        for f in findings:
            by_subject.setdefault(f.subject, []).append(f)
        for subject, items in sorted(by_subject.items()):
            case = ET.SubElement(suite, "testcase", classname=classname, name=_case_name(subject))
            new = [f for f in items if f.baseline != "unchanged"]
            failing = [f for f in new if fail_rank is not None and f.severity.rank >= fail_rank]
            for f in failing:
                failure = ET.SubElement(case, "failure", message=_x(f.message), type=f.severity.value)
                failure.text = _x(f"{f.code} {f.name} ({f.severity.value}): {f.message}\nat {f.location}")
            notes = []
            if len(new) < len(items):  # accepted by the baseline: passes, and says so
                notes.append("accepted by the baseline: " + "; ".join(f.message for f in items if f not in new))
            below = [f for f in new if f not in failing]
            if below:  # reported, but below the failure threshold: passes, and says so
                notes.append("below --fail-on: " + "; ".join(f"{f.severity.value}: {f.message}" for f in below))
            if notes:
                out = ET.SubElement(case, "system-out")
                out.text = _x("\n".join(notes))
            tests, failures = tests + 1, failures + (1 if failing else 0)
        for subject in run.passed:
            ET.SubElement(suite, "testcase", classname=classname, name=_case_name(subject))
            tests += 1
        if tests == 0:
            ET.SubElement(suite, "testcase", classname=classname, name="(nothing to check)")
            tests = 1
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", str(skipped))
    return suite


def render(report: Report, fail_on: str = "error") -> str:
    """The report as JUnit XML: one testsuite per check, one testcase per subject.

    A finding fails its test case when it is at least as severe as ``fail_on`` (``error`` by default,
    as ``meshlens check --fail-on``); so a CI job's test report and its exit code agree.
    """
    threshold = fail_threshold(fail_on)
    fail_rank = threshold.rank if threshold is not None else None
    root = ET.Element("testsuites", name="meshlens check")
    by_code: dict[str, list[Finding]] = {}
    for f in report.findings:
        by_code.setdefault(f.code, []).append(f)
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for run in report.runs:
        suite = _suite(run, by_code.get(run.code, []), fail_rank)
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
        root.append(suite)
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{sum(r.duration for r in report.runs):.6f}")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
