"""What the archive says beside the config dumps, for checks to quote: Envoy's log lines, istioctl analyze.

A finding about a rejected or warming resource quotes the proxy's own log line that explains it
(:func:`log_quote`); ``istioctl analyze`` messages of a bug-report are read once per snapshot
(:func:`analyze_messages`).
"""

from __future__ import annotations

from meshlens.models.analyze import AnalyzeMessage
from meshlens.models.base import Location
from meshlens.models.envoy.log import REJECTED, EnvoyLog, EnvoyLogEvent
from meshlens.models.snapshot import EnvoyProxy, Snapshot
from meshlens.sources.envoy_logs import SLOT
from meshlens.sources.istioctl_analyze import parse_analyze

__all__ = ["analyze_messages", "envoy_logs", "log_event", "log_quote"]

_XDS_OF_KIND = {"cluster": "CDS", "listener": "LDS", "route_config": "RDS", "secret": "SDS", "ecds": "ECDS"}


def proxy_log(proxy: EnvoyProxy) -> EnvoyLog | None:
    """The proxy's own Envoy log, when the capture has it."""
    log = proxy.capture(SLOT)
    return log if isinstance(log, EnvoyLog) else None


def envoy_logs(snapshot: Snapshot) -> list[tuple[EnvoyProxy | None, EnvoyLog]]:
    """Every Envoy log of the snapshot with its proxy (None for a log given without its proxy)."""
    owned = {id(log): proxy for proxy in snapshot.proxies if (log := proxy_log(proxy)) is not None}
    return [(owned.get(id(log)), log) for log in snapshot.logs if isinstance(log, EnvoyLog)]


def log_event(proxy: EnvoyProxy, xds: str, name: str | None = None,
              kinds: tuple[str, ...] = (REJECTED,)) -> tuple[EnvoyLog, EnvoyLogEvent] | None:
    """The first event of ``kinds`` about ``xds`` (and resource ``name`` when given) in the proxy's log.

    Envoy's per-resource line (``cds: cluster 'X' config rejected: ...``) is preferred over the
    update's summary (``gRPC config for ... rejected``), which follows it.
    """
    log = proxy_log(proxy)
    if log is None:
        return None
    found = [e for e in log.events if e.kind in kinds and e.xds == xds and (name is None or name in e.resources)]
    if not found:
        return None
    named = [e for e in found if e.logger != "config"]
    return log, (named or found)[0]


def log_quote(proxy: EnvoyProxy, kind_or_xds: str, name: str | None = None,
              kinds: tuple[str, ...] = (REJECTED,)) -> str | None:
    """``the proxy's log says "LINE" (istio-proxy.log line N)``, or None when its log has no such line."""
    xds = _XDS_OF_KIND.get(kind_or_xds, kind_or_xds)
    found = log_event(proxy, xds, name, kinds)
    if found is None:
        return None
    log, event = found
    return f"the proxy's log says {log.quote(event)}"


def analyze_messages(snapshot: Snapshot) -> tuple[list[AnalyzeMessage], Location, list[int]]:
    """The ``istioctl analyze`` messages of a bug-report, where they came from, and unparsed line numbers."""
    text = snapshot.extras.get("analyze")
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    source = next((s for s in snapshot.sources if s.kind == "istioctl-analyze"), None)
    location = source.location if source is not None else Location()
    if not isinstance(text, str):
        return [], location, []
    messages, unparsed = parse_analyze(text)
    return messages, location, unparsed
