"""Envoy's and istio-agent's logs (``istio-proxy.log``, ``envoy.log``) loaded as typed events.

Records are read by :func:`meshlens.sources.admin_logs.parse_log` (Envoy's default format and
Istio's tab format) and classified by what Envoy writes about xDS:

* ``cds: cluster 'NAME' config rejected: REASON`` / ``lds: listener 'NAME' config rejected: REASON``
* ``gRPC config for type.googleapis.com/envoy.config.cluster.v3.Cluster rejected: Error adding/updating
  cluster(s) A, B: REASON`` (any type: the xDS type comes from the type URL)
* ``lds: add/update listener 'NAME'``, ``cds: add/update cluster 'NAME'``
* ``add/update cluster NAME starting warming``, ``warming cluster NAME complete``
* ``gRPC config: initial fetch timed out for TYPE_URL``

A log in a bug-report pod folder joins that pod's proxy (``proxy.captures["log"]``) and the
snapshot's logs; a standalone ``envoy.log`` / ``istio-proxy.log`` given with a config dump joins its
proxy, and given alone is a snapshot holding only the log.
"""

from __future__ import annotations

import re

from meshlens.models.base import Location
from meshlens.models.envoy.log import (
    ADDED,
    FETCH_TIMEOUT,
    OTHER,
    REJECTED,
    WARMED,
    WARMING,
    EnvoyLog,
    EnvoyLogEvent,
)
from meshlens.sources.admin_logs import _log_head, parse_log
from meshlens.sources.builder import SnapshotBuilder
from meshlens.sources.read import Document

KIND = "envoy-log"
LOG_NAMES = ("istio-proxy.log", "envoy.log")
SLOT = "log"

# type URL suffix -> xDS short name
_XDS = {"Cluster": "CDS", "Listener": "LDS", "RouteConfiguration": "RDS", "ClusterLoadAssignment": "EDS",
        "Secret": "SDS", "ScopedRouteConfiguration": "SRDS", "VirtualHost": "VHDS", "TypedExtensionConfig": "ECDS",
        "Runtime": "RTDS"}
_NAMED_REJECT = re.compile(r"^(?P<api>cds|lds): (?:cluster|listener) '(?P<name>[^']*)' config rejected: (?P<reason>.*)",
                           re.DOTALL)
_GRPC_REJECT = re.compile(r"^gRPC config for type\.googleapis\.com/[\w.]+\.(?P<type>\w+) rejected: (?P<reason>.*)",
                          re.DOTALL)
_NAMES_IN_REASON = re.compile(r"^Error adding/updating (?:cluster|listener)\(s\) (?P<names>.+?): ", re.DOTALL)
_ADD_UPDATE = re.compile(r"^(?P<api>cds|lds): add/update (?:cluster|listener) '(?P<name>[^']*)'")
_WARMING = re.compile(r"add/update cluster (?P<name>\S+) starting warming")
_WARMED = re.compile(r"warming cluster (?P<name>\S+) complete")
_TIMEOUT = re.compile(r"initial fetch timed out for type\.googleapis\.com/[\w.]+\.(?P<type>\w+)")


def _classify(message: str) -> tuple[str, str | None, tuple[str, ...], str | None]:
    """(kind, xds, resources, reason) of one record's message."""
    m = _NAMED_REJECT.match(message)
    if m:
        return REJECTED, m["api"].upper(), (m["name"],), m["reason"].strip()
    m = _GRPC_REJECT.match(message)
    if m:
        reason = m["reason"].strip()
        names = _NAMES_IN_REASON.match(reason)
        found = tuple(n.strip() for n in names["names"].split(",") if n.strip()) if names else ()
        return REJECTED, _XDS.get(m["type"], m["type"]), found, reason
    m = _ADD_UPDATE.match(message)
    if m:
        return ADDED, m["api"].upper(), (m["name"],), None
    m = _WARMING.search(message)
    if m:
        return WARMING, "CDS", (m["name"],), None
    m = _WARMED.search(message)
    if m:
        return WARMED, "CDS", (m["name"],), None
    m = _TIMEOUT.search(message)
    if m:
        return FETCH_TIMEOUT, _XDS.get(m["type"], m["type"]), (), None
    return OTHER, None, (), None


def parse_envoy_log(lines: list[str], location: Location, group: str = "") -> EnvoyLog:
    """An :class:`EnvoyLog` of ``lines`` (the file's text lines), its records classified."""
    events = []
    for entry in parse_log(lines):
        kind, xds, resources, reason = _classify(entry.message)
        events.append(EnvoyLogEvent(line=entry.line, time=entry.time, level=entry.level, logger=entry.logger,
                                    message=entry.message, text=lines[entry.line - 1].rstrip(), kind=kind, xds=xds,
                                    resources=resources, reason=reason))
    return EnvoyLog(location=location, group=group, component="envoy", lines=lines, events=events)


def looks_like_envoy_log(text: str, lines: int = 20) -> bool:
    """True when the first records of ``text`` are in Envoy's default or Istio's tab format, and one is Envoy's."""
    heads = [_log_head(line) for line in text.splitlines()[:lines] if line.strip()]
    if not heads or any(h is None for h in heads[:3]):
        return False
    return any(h is not None and h[2] is not None for h in heads)


def sniff(doc: Document) -> bool:
    """An ``envoy.log`` / ``istio-proxy.log`` by name, or text whose first lines are Envoy's log records."""
    if doc.syntax != "text" or doc.text is None:
        return False
    return doc.basename in LOG_NAMES or looks_like_envoy_log(doc.text[:65536])


def load(doc: Document, builder: SnapshotBuilder) -> None:
    """Attach the log to the proxy of its group when there is one; keep it in the snapshot's logs."""
    log = attach(doc, (doc.text or "").splitlines(), builder)
    builder.snapshot.logs.append(log)


def attach(doc: Document, lines: list[str], builder: SnapshotBuilder) -> EnvoyLog:
    """Parse ``lines`` and attach the log to ``doc``'s proxy when the builder has one (its ``log`` capture)."""
    log = parse_envoy_log(lines, doc.location, doc.group)
    if builder.has_envoy(doc.group):
        proxy = builder.envoy(doc)
        proxy.logs.extend(lines)
        proxy.captures[SLOT] = log
    return log
