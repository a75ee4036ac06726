"""What a capture holds, at a glance: the library side of ``meshlens inspect``."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import BaseModel, ConfigDict

from meshlens.models import hooks
from meshlens.models.base import LoadFinding
from meshlens.models.result import Result
from meshlens.models.snapshot import EnvoyProxy, Snapshot
from meshlens.models.ztunnel import Ztunnel
from meshlens.sources.coerce import Source, as_snapshot
from meshlens.sources.kinds import summarize_captures

# counts key -> EnvoyProxy attribute
RESOURCE_LISTS = {"listeners": "listeners", "clusters": "clusters", "route_configs": "route_configs",
                  "endpoint_assignments": "endpoints", "secrets": "secrets", "ecds": "ecds"}


class ProxySummary(BaseModel):
    """One Envoy proxy: identity, versions, resource counts by state."""

    model_config = ConfigDict(frozen=True)

    name: str
    node_id: str | None
    versions: dict[str, str | None]
    counts: dict[str, dict[str, int]]
    virtual_hosts: dict[str, int]  # total, and in dynamic (RDS) route configs
    endpoints: dict[str, int] | None  # lb endpoints: total, and from EDS; None without EDS section
    sections: list[str]
    companions: list[str]  # /clusters, /certs, /server_info, ... given beside the dump
    captures: dict[str, str] = {}  # companion capture (/clusters) -> its registered summary line


class ZtunnelSummary(BaseModel):
    """What ``inspect`` reports for one ztunnel: name, dump shape, version, record counts."""

    model_config = ConfigDict(frozen=True)

    name: str
    shape: str
    version: str | None
    counts: dict[str, int]


class Summary(Result, BaseModel):
    """The result of :func:`inspect`: ``to_dict()`` is the ``inspect -o json`` document."""

    model_config = ConfigDict(frozen=True)

    kind: str
    source: str
    proxy: str | None
    versions: dict[str, str | None]
    counts: dict[str, Any]
    proxies: list[ProxySummary]
    ztunnels: list[ZtunnelSummary]
    istiod: dict[str, Any] | None
    findings: list[LoadFinding]
    inputs: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        """The ``inspect -o json`` document (JSON-safe)."""
        return self.model_dump(mode="json")

    def records(self) -> list[dict[str, Any]]:
        """One row per Envoy proxy and ztunnel: kind, name, versions, resource totals (``to_frame()``)."""
        rows: list[dict[str, Any]] = []
        for p in self.proxies:
            rows.append({"kind": "envoy", "name": p.name, "istio": p.versions.get("istio"),
                         "envoy": p.versions.get("envoy"),
                         **{key: counts.get("total", 0) for key, counts in p.counts.items()}})
        for z in self.ztunnels:
            rows.append({"kind": "ztunnel", "name": z.name, "istio": z.version, "envoy": None, **z.counts})
        return rows

    def __str__(self) -> str:
        """What ``meshlens inspect`` prints."""
        return hooks.render(self, "text")


def _count_states(resources: list[Any]) -> dict[str, int]:
    counts = Counter(r.state for r in resources)
    out = {"total": len(resources)}
    for state in ("static", "active", "warming", "draining", "rejected"):
        if counts.get(state):
            out[state] = counts[state]
    return out


def _versions(proxy: EnvoyProxy) -> dict[str, str | None]:
    node = proxy.node
    istio = node.istio_version if node is not None else None
    envoy = node.envoy_version if node is not None else None
    server_info = proxy.server_info
    if envoy is None and server_info is not None:
        envoy = getattr(server_info, "envoy_version", None)
    return {"istio": istio, "envoy": envoy}


def summarize_proxy(proxy: EnvoyProxy) -> ProxySummary:
    """What ``inspect`` reports for one Envoy proxy: versions, resource counts by state, sources."""
    counts = {key: _count_states(getattr(proxy, attr)) for key, attr in RESOURCE_LISTS.items()}
    companions = sorted({s.kind for s in proxy.sources if s.kind != "envoy-config-dump"})
    return ProxySummary(
        name=proxy.name,
        node_id=proxy.node_id,
        versions=_versions(proxy),
        counts=counts,
        virtual_hosts={"total": sum(r.virtual_host_count for r in proxy.route_configs),
                       "dynamic": sum(r.virtual_host_count for r in proxy.route_configs if r.is_dynamic)},
        endpoints={"total": sum(r.lb_endpoint_count for r in proxy.endpoints),
                   "dynamic": sum(r.lb_endpoint_count for r in proxy.endpoints if r.is_dynamic)}
        if "endpoints" in proxy.sections else None,
        sections=sorted(proxy.sections),
        companions=companions,
        captures=summarize_captures(proxy),
    )


def _summarize_ztunnel(z: Ztunnel) -> ZtunnelSummary:
    build = z.version
    version = build.release if build is not None else None
    return ZtunnelSummary(name=z.name, shape=z.shape, version=version, counts=z.counts())


def _summarize_istiod(snapshot: Snapshot) -> dict[str, Any] | None:
    if snapshot.istiod is None:
        return None
    sync = getattr(snapshot.istiod, "sync", None) or []
    return {"proxies": len(sync)}


def summarize(snapshot: Snapshot) -> Summary:
    """Summarize a loaded snapshot (kind, proxy, versions, counts, load findings)."""
    proxies = [summarize_proxy(p) for p in snapshot.proxies]
    only = proxies[0] if len(proxies) == 1 else None
    if only is not None:
        counts: dict[str, Any] = dict(only.counts)
        counts["virtual_hosts"] = only.virtual_hosts
        if only.endpoints is not None:
            counts["endpoints"] = only.endpoints
    else:
        counts = {"proxies": len(proxies)}
    ztunnels = [_summarize_ztunnel(z) for z in snapshot.ztunnels]
    if ztunnels:
        counts["ztunnels"] = len(ztunnels)
        if len(ztunnels) == 1 and not proxies:
            counts.update(ztunnels[0].counts)
    logs = [log for log in snapshot.logs if hasattr(log, "access")]  # ztunnel logs (typed events)
    if logs:
        counts["ztunnel_log_lines"] = sum(log.lines for log in logs)
        counts["ztunnel_log_events"] = sum(len(log.access) + len(log.events) for log in logs)
        counts["ztunnel_log_unparsed"] = sum(log.unparsed for log in logs)
    istiod = _summarize_istiod(snapshot)
    return Summary(
        kind=snapshot.kind,
        source=snapshot.origin,
        proxy=only.node_id if only is not None else (
            ztunnels[0].name if len(ztunnels) == 1 and not proxies else None),
        versions=only.versions if only is not None else (
            {"istio": ztunnels[0].version} if len(ztunnels) == 1 and not proxies else {}),
        counts=counts,
        proxies=proxies,
        ztunnels=ztunnels,
        istiod=istiod,
        findings=list(snapshot.findings),
        inputs=[s.to_dict() for s in snapshot.sources],
    )


def inspect(source: Source) -> Summary:
    """Summarize what ``source`` holds (the library side of ``meshlens inspect``).

    ``source`` is a path, bytes, a parsed dict, ``"-"``, a list of paths, or a loaded ``Snapshot``,
    ``EnvoyProxy`` or ``Ztunnel``.
    """
    return summarize(as_snapshot(source))
