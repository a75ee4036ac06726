"""The result of a ztunnel log analysis: :class:`LogAnalysis` and its parts.

``LogAnalysis.to_dict()`` is the ``meshlens logs -o json`` document of ``interfaces.md`` (its keys and
definitions are a contract); a few keys are added beside them (``plaintext_inbound``, ``inputs``, ``notes``, per flow
``unhealthy_selected`` / ``unknown_selected`` / ``inbound_seen``, per backend ``inbound``).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from meshlens.models.result import Result


@dataclass
class Backend:
    """One destination of a flow: a workload (else an address) and what happened to connections to it."""

    workload: str | None
    address: str | None
    connections: int = 0  # outbound ``connection complete`` events
    failed: int = 0  # outbound events with an error
    inbound: int = 0  # the destination ztunnel's inbound lines for the same source (cross-check)
    eligible: bool | None = None  # with a dump: an eligible endpoint of the service
    status: str | None = None  # with a dump: Healthy / Unhealthy / unknown (absent from the dump)
    succeeded: int = 0  # ``connection complete`` events without an error (what the fit test counts)

    def to_dict(self) -> dict[str, Any]:
        return {"workload": self.workload, "address": self.address, "connections": self.connections,
                "failed": self.failed, "inbound": self.inbound}


@dataclass
class Flow:
    """Connections from one source workload to one destination service (``direction="outbound"`` lines)."""

    source: str
    service: str
    connections: int = 0
    failed: int = 0
    protocols: dict[str, int] = field(default_factory=dict)
    expected_protocol: str | None = None
    backends: list[Backend] = field(default_factory=list)
    expected: list[dict[str, Any]] = field(default_factory=list)  # {workload, weight}
    observed: list[int] = field(default_factory=list)  # successful connections per expected backend
    p_value: float | None = None
    balanced: bool | None = None
    never_selected: list[str] = field(default_factory=list)
    unhealthy_selected: list[str] = field(default_factory=list)
    unknown_selected: list[str] = field(default_factory=list)
    inbound_seen: int = 0

    def expected_share(self, workload: str | None) -> float | None:
        total = sum(e["weight"] for e in self.expected)
        for e in self.expected:
            if e["workload"] == workload and total:
                return float(e["weight"]) / total
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "service": self.service, "connections": self.connections,
            "failed": self.failed, "protocols": dict(self.protocols), "expected_protocol": self.expected_protocol,
            "backends": [b.to_dict() for b in self.backends], "expected": [dict(e) for e in self.expected],
            "p_value": self.p_value, "balanced": self.balanced, "never_selected": list(self.never_selected),
            "unhealthy_selected": list(self.unhealthy_selected), "unknown_selected": list(self.unknown_selected),
            "inbound_seen": self.inbound_seen,
        }


@dataclass
class Failover:
    """A backend of a service that failed while other backends of the service served."""

    service: str
    backend: str
    first_failure: str
    last_failure: str
    failures: int
    errors: list[str]
    recovered: str | None
    others_served: int

    def to_dict(self) -> dict[str, Any]:
        return {"service": self.service, "backend": self.backend, "first_failure": self.first_failure,
                "last_failure": self.last_failure, "failures": self.failures, "errors": list(self.errors),
                "recovered": self.recovered, "others_served": self.others_served}


@dataclass
class ErrorCount:
    """Access events carrying an error of one class, and one example text."""

    cls: str
    count: int
    example: str

    def to_dict(self) -> dict[str, Any]:
        return {"class": self.cls, "count": self.count, "example": self.example}


@dataclass
class OutlierTimeline:
    """Health / EWMA / circuit-breaker lines naming one backend, in time order."""

    backend: str | None
    events: list[dict[str, Any]] = field(default_factory=list)  # {time, kind, fields}

    def to_dict(self) -> dict[str, Any]:
        return {"backend": self.backend, "events": [dict(e) for e in self.events]}


@dataclass
class LogAnalysis(Result):
    """Flows, load-balancing fit, failovers, error classes and outlier timelines of ztunnel logs.

    ``timeline`` holds, per (service, backend) of a service that failed, the times (microseconds) of
    the successful and of the failed connections; the plots use it. It is not part of :meth:`to_dict`.
    """

    lines: int = 0
    events: int = 0
    unparsed: int = 0
    unparsed_examples: list[dict[str, Any]] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)
    failovers: list[Failover] = field(default_factory=list)
    errors: list[ErrorCount] = field(default_factory=list)
    outlier: list[OutlierTimeline] = field(default_factory=list)
    plaintext_inbound: list[dict[str, Any]] = field(default_factory=list)  # {workload, address, connections, ...}
    inputs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    timeline: dict[tuple[str, str], tuple[Sequence[int], Sequence[int]]] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The ``meshlens logs -o json`` document."""
        return {
            "lines": self.lines, "events": self.events, "unparsed": self.unparsed,
            "unparsed_examples": [dict(u) for u in self.unparsed_examples],
            "flows": [f.to_dict() for f in self.flows],
            "failovers": [f.to_dict() for f in self.failovers],
            "errors": [e.to_dict() for e in self.errors],
            "outlier": [o.to_dict() for o in self.outlier],
            "plaintext_inbound": [dict(p) for p in self.plaintext_inbound],
            "inputs": list(self.inputs), "notes": list(self.notes),
        }

    def flow(self, service: str, source: str | None = None) -> Flow:
        """The flow to ``service`` (its host, or a prefix of it such as ``reviews``), from ``source``."""
        for f in self.flows:
            if (f.service == service or f.service.startswith(service + ".")) and source in (None, f.source):
                return f
        raise KeyError(service)

    def records(self) -> list[dict[str, Any]]:
        """One row per (flow, backend): source, service, backend, connections, share, expected share, failed."""
        rows = []
        for f in self.flows:
            total = sum(b.connections for b in f.backends) or 1
            for b in f.backends:
                rows.append({"source": f.source, "service": f.service, "backend": b.workload or b.address,
                             "address": b.address, "connections": b.connections,
                             "share": b.connections / total,
                             "expected_share": f.expected_share(b.workload or b.address),
                             "failed": b.failed, "p_value": f.p_value, "balanced": f.balanced})
        return rows

    def columns(self) -> list[str]:
        return ["source", "service", "backend", "address", "connections", "share", "expected_share", "failed",
                "p_value", "balanced"]

    def plot(self, path: str | None = None) -> Any:
        """Observed vs expected shares per flow and a connection timeline per backend (matplotlib extra).

        Returns the matplotlib Figure; with ``path`` (``.png`` / ``.svg``) also writes it there.
        """
        from meshlens.analysis.logs.plot import plot_analysis

        return plot_analysis(self, path)

    def __str__(self) -> str:
        from meshlens.analysis.logs.text import render_logs

        return render_logs(self)

    def _repr_html_(self) -> str:
        parts = [f"<p>{self.lines} lines, {self.events} events, {self.unparsed} unparsed</p>"]
        for f in self.flows:
            total = sum(b.connections for b in f.backends) or 1
            verdict = ("no fit test" if f.p_value is None else
                       f"{'balanced' if f.balanced else 'NOT balanced'} (p={f.p_value:.3g})")
            rows = "".join(
                f"<tr><td>{html.escape(b.workload or b.address or '')}</td><td>{b.connections}</td>"
                f"<td>{b.connections / total:.1%}</td><td>{_pct(f.expected_share(b.workload or b.address))}</td>"
                f"<td>{b.failed}</td></tr>" for b in f.backends)
            parts.append(f"<h4>{html.escape(f.source)} → {html.escape(f.service)}: {verdict}</h4>"
                         "<table><tr><th>backend</th><th>connections</th><th>share</th><th>expected</th>"
                         f"<th>failed</th></tr>{rows}</table>")
        if self.failovers:
            rows = "".join(f"<tr><td>{html.escape(x.backend)}</td><td>{x.first_failure}</td><td>{x.last_failure}</td>"
                           f"<td>{x.failures}</td><td>{x.others_served}</td><td>{x.recovered or ''}</td></tr>"
                           for x in self.failovers)
            parts.append("<table><tr><th>backend</th><th>first failure</th><th>last failure</th><th>failures</th>"
                         f"<th>others served</th><th>recovered</th></tr>{rows}</table>")
        return "".join(parts)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"
