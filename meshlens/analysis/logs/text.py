"""Text rendering of a :class:`~meshlens.analysis.logs.LogAnalysis`: what an SRE reads at a glance.

Per flow a table (backend, connections, share, expected share, failed) and a one-line verdict with
the χ² p-value; then the failover timeline, the error classes and the outlier-detection lines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from meshlens.encoding.tabwriter import tabwriter

if TYPE_CHECKING:  # the model imports this module to render itself
    from meshlens.analysis.logs.model import Flow, LogAnalysis


def render_table(header: list[str], rows: list[list[str]]) -> str:
    """Columns padded by 3 spaces (Go tabwriter layout), with a final newline."""
    return tabwriter([header, *rows], padding=3) + "\n"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _verdict(flow: Flow) -> str:
    if flow.p_value is None:
        why = ("fewer than 2 expected backends" if len(flow.expected) < 2
               else "too few connections for a fit test (an expected count below 5)")
        verdict = f"no verdict: {why}"
    elif flow.balanced:
        verdict = f"balanced: the spread fits the expected shares (chi-square p={flow.p_value:.3g} >= 0.01)"
    else:
        verdict = f"NOT balanced: the spread does not fit the expected shares (chi-square p={flow.p_value:.3g} < 0.01)"
    notes = []
    if flow.never_selected:
        notes.append("never selected: " + ", ".join(flow.never_selected))
    if flow.unhealthy_selected:
        notes.append("sent to unhealthy: " + ", ".join(sorted(set(flow.unhealthy_selected))))
    if flow.unknown_selected:
        notes.append("sent to endpoints absent from the dump: " + ", ".join(sorted(set(flow.unknown_selected))))
    if flow.expected_protocol and flow.protocols:
        seen = "/".join(f"{k} {v}" for k, v in sorted(flow.protocols.items()))
        notes.append(f"protocol seen {seen}, dump says {flow.expected_protocol}")
    return "\n".join([verdict, *notes])


def _flow(flow: Flow) -> str:
    total = sum(b.connections for b in flow.backends) or 1
    rows = [[b.workload or "-", b.address or "-", str(b.connections), _pct(b.connections / total),
             _pct(flow.expected_share(b.workload)), str(b.failed)] for b in flow.backends]
    names = {b.workload for b in flow.backends}
    for name in flow.never_selected:
        if name not in names:
            rows.append([name, "-", "0", _pct(0.0), _pct(flow.expected_share(name)), "0"])
    head = f"{flow.source} -> {flow.service}: {flow.connections} connections, {flow.failed} failed"
    table = render_table(["BACKEND", "ADDRESS", "CONNECTIONS", "SHARE", "EXPECTED", "FAILED"], rows)
    return f"{head}\n{table}{_verdict(flow)}\n"


def render_logs(result: LogAnalysis) -> str:
    """The text report of ``meshlens logs``."""
    out = [f"{result.lines} lines, {result.events} events, {result.unparsed} unparsed"]
    for u in result.unparsed_examples:
        out.append(f"  unparsed {u['file']}:{u['line']}: {u['text'][:120]}")
    for note in result.notes:
        out.append(f"note: {note}")
    out.append("")
    if not result.flows:
        out.append("no outbound access events (flows need the source ztunnel's direction=\"outbound\" lines)\n")
    for flow in result.flows:
        out.append(_flow(flow))
    if result.failovers:
        out.append("Failover timeline")
        rows = [[f.service, f.backend, f.first_failure, f.last_failure, str(f.failures), ",".join(f.errors),
                 str(f.others_served), f.recovered or "not recovered"] for f in result.failovers]
        out.append(render_table(["SERVICE", "BACKEND", "FIRST FAILURE", "LAST FAILURE", "FAILURES", "ERRORS",
                                 "OTHERS SERVED", "RECOVERED"], rows))
    if result.errors:
        out.append("Errors by class")
        out.append(render_table(["CLASS", "COUNT", "EXAMPLE"],
                                [[e.cls, str(e.count), e.example[:100]] for e in result.errors]))
    if result.outlier:
        out.append("Outlier detection")
        rows = [[o.backend or "-", e["time"], e["kind"], str(e["fields"].get("message", ""))[:80]]
                for o in result.outlier for e in o.events]
        out.append(render_table(["BACKEND", "TIME", "KIND", "MESSAGE"], rows))
    return "\n".join(out).rstrip("\n") + "\n"
