"""Envoy's and istio-agent's log as typed events: what an ``istio-proxy.log`` / ``envoy.log`` says about xDS.

An :class:`EnvoyLog` is the log file (a :class:`~meshlens.models.admin.LogFile`: location, group,
lines) with its records classified (:class:`EnvoyLogEvent`): a rejected xDS update (with the
resource names and Envoy's reason), a cluster or listener added, warming or warmed, an initial
fetch timeout, or another line. Findings about a rejected or warming resource quote the event
(:meth:`EnvoyLog.about`); the parser is :mod:`meshlens.sources.envoy_logs`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from meshlens.models.admin import LogFile
from meshlens.models.base import Location

# Event kinds.
REJECTED = "rejected"  # an xDS update (or one resource of it) was rejected: ``reason`` says why
ADDED = "added"  # a resource was added or updated
WARMING = "warming"  # a resource started warming
WARMED = "warmed"  # a resource finished warming (initialized)
FETCH_TIMEOUT = "fetch-timeout"  # an xDS type's initial fetch timed out
OTHER = "other"

__all__ = ["ADDED", "FETCH_TIMEOUT", "OTHER", "REJECTED", "WARMED", "WARMING", "EnvoyLog", "EnvoyLogEvent"]


@dataclass(frozen=True)
class EnvoyLogEvent:
    """One log record of Envoy or istio-agent, classified.

    Attributes:
        line: 1-based line number of the record's first line in the file.
        time / level / logger: as the record says (``logger`` is Envoy's, None for istio-agent).
        message: the record's message (continuation lines folded in).
        text: the record's first line as written (what a finding quotes).
        kind: ``rejected``, ``added``, ``warming``, ``warmed``, ``fetch-timeout`` or ``other``.
        xds: the xDS type the event is about (``CDS``, ``LDS``, ``RDS``, ``EDS``, ``SDS``, ...), if any.
        resources: the resource names it names.
        reason: Envoy's reason for a rejection.
    """

    line: int
    time: str | None
    level: str | None
    logger: str | None
    message: str
    text: str
    kind: str = OTHER
    xds: str | None = None
    resources: tuple[str, ...] = ()
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {"line": self.line, "time": self.time, "level": self.level, "logger": self.logger,
                "kind": self.kind, "xds": self.xds, "resources": list(self.resources), "reason": self.reason,
                "message": self.message}


@dataclass
class EnvoyLog(LogFile):
    """An Envoy / istio-proxy log file with its records as typed events."""

    events: list[EnvoyLogEvent] = field(default_factory=list, repr=False)

    def about(self, name: str, *, xds: str | None = None, kinds: tuple[str, ...] = (REJECTED,)) -> list[EnvoyLogEvent]:
        """The events of ``kinds`` that name resource ``name`` (and are about ``xds`` when given)."""
        return [e for e in self.events if e.kind in kinds and name in e.resources and (xds is None or e.xds == xds)]

    def of_kind(self, kind: str, xds: str | None = None) -> list[EnvoyLogEvent]:
        """The events of ``kind`` (about ``xds`` when given)."""
        return [e for e in self.events if e.kind == kind and (xds is None or e.xds == xds)]

    def where(self, event: EnvoyLogEvent) -> Location:
        """The location of ``event``: this file / member, ``line N``."""
        return Location(file=self.location.file, member=self.location.member, json_path=f"line {event.line}")

    def quote(self, event: EnvoyLogEvent, limit: int = 400) -> str:
        """``event`` as a finding quotes it: its first line, cut at ``limit`` characters, and where it is."""
        text = event.text if len(event.text) <= limit else event.text[:limit - 1] + "…"
        name = (self.location.member or self.location.file or "log").rsplit("/", 1)[-1]
        return f'"{text}" ({name} line {event.line})'
