"""router_check_tool's printed lines for a ``router-check`` report (below the renderers so that
``str(report)`` needs no layer above; ``meshlens.render.route_tests`` re-exports it for the CLI).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the report imports this module to print itself
    from meshlens.analysis.route_tests.router_check import RouterCheckReport


def number(value: float) -> str:
    """A number as C++'s default stream formatting prints it (6 significant digits)."""
    return f"{value:.6g}"


@dataclass
class ToolOutput:
    """What router_check_tool prints, by stream, and its exit code."""

    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    exit_code: int = 0


def router_check_output(report: RouterCheckReport, *, details: bool = False, only_show_failures: bool = False,
                        fail_under: float | None = None) -> ToolOutput:
    """The tool's lines: test names (``--details``), failures (stderr), then the coverage lines."""
    out = ToolOutput()
    for r in report.results:
        if (details and not only_show_failures) or (only_show_failures and not r.passed):
            if r.passed:
                out.stdout.append(r.name)
            else:
                out.stderr.append(r.name)
                out.stderr.extend(r.failures)
                out.stderr.extend(r.errors)
    if report.failed:
        out.exit_code = 1
        return out
    out.stdout.extend(report.missing)
    out.stdout.append(f"Current route coverage: {number(report.coverage)}%")
    if fail_under and report.coverage < fail_under:
        out.stderr.append(f"Failed to meet coverage requirement: {number(fail_under)}%")
        out.exit_code = 1
    return out


def router_check_text(report: RouterCheckReport) -> str:
    """Every test with its failures, then the coverage: the readable ``str(report)``."""
    lines: list[str] = []
    for r in report.results:
        lines.append(("PASS  " if r.passed else "FAIL  ") + r.name)
        lines.extend("      " + x for x in (*r.failures, *r.errors))
    if not report.failed:
        lines.extend(report.missing)
        lines.append(f"Current route coverage: {number(report.coverage)}%")
    lines.append(f"{report.passed} passed, {report.failed} failed")
    return "\n".join(lines) + "\n"
