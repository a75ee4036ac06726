"""Text and JUnit XML renderings of a route test report."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from meshlens.analysis.route_tests import RouteTestReport
from meshlens.analysis.route_tests.dump_tests import Mismatch
from meshlens.analysis.route_tests.text import ToolOutput, router_check_output
from meshlens.render.trace import render_trace

__all__ = ["ToolOutput", "render_junit", "render_text", "router_check_output"]


def _mismatch(m: Mismatch) -> str:
    """One unmet expectation (router_check_tool's line as it is, for its form)."""
    if m.expected is None and isinstance(m.actual, str) and m.actual.startswith("expected: ["):
        return m.actual
    return f"{m.field}: expected {m.expected!r}, got {m.actual!r}"


def render_text(report: RouteTestReport) -> str:
    """Route test results as text: PASS/FAIL per test, mismatches and the failing traces."""
    lines: list[str] = []
    for r in report.results:
        if r.passed:
            lines.append(f"PASS  {r.name}")
            continue
        lines.append(f"FAIL  {r.name}")
        if r.error:
            lines.append(f"      error: {r.error}")
        for m in r.mismatches:
            lines.append(f"      {_mismatch(m)}")
        if r.trace is not None:
            lines.extend("      " + line for line in render_trace(r.trace).rstrip().splitlines())
    lines.append("")
    lines.append(f"{report.passed} passed, {report.failed} failed")
    lines.append(f"route coverage: {report.routes_covered}/{report.routes_total} ({report.coverage:.1f}%)")
    for k in report.uncovered:
        lines.append(f"  not exercised: {k.route_config} / {k.virtual_host} / {k.route}")
    return "\n".join(lines) + "\n"


def render_junit(report: RouteTestReport) -> str:
    """Route test results as a JUnit XML testsuite (one testcase per test)."""
    suite = ET.Element("testsuite", name="meshlens.route-tests", tests=str(len(report.results)),
                       failures=str(report.failed), errors="0", skipped="0")
    for r in report.results:
        case = ET.SubElement(suite, "testcase", classname="meshlens.route-tests", name=r.name)
        if not r.passed:
            message = r.error or "; ".join(_mismatch(m)
                                           for m in r.mismatches)
            failure = ET.SubElement(case, "failure", message=message)
            failure.text = render_trace(r.trace) if r.trace is not None else message
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="route_coverage", value=f"{report.coverage:.2f}")
    root = ET.Element("testsuites")
    root.append(suite)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
