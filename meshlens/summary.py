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


class MeshRow(BaseModel):
    """One proxy or ztunnel of a mesh at a glance (``inspect`` of an archive): trouble first.

    ``sync`` is istiod's per-type state (``SYNCED``, ``STALE``, ``ERROR``, ``NOT SENT``; types the proxy
    never subscribed to are left out; empty when istiod's syncz has no row for it), ``findings`` the
    load findings about it by severity, ``rejected`` / ``warming`` its resources in those states.
    """

    model_config = ConfigDict(frozen=True)

    kind: str  # the node type (sidecar, router, waypoint) or ztunnel
    name: str
    istio: str | None
    envoy: str | None
    sync: dict[str, str]
    findings: dict[str, int]
    rejected: int
    warming: int

    @property
    def problems(self) -> int:
        """How much is wrong (the sort key: errors, then unsynced types, rejected, warming, warnings)."""
        unsynced = sum(1 for v in self.sync.values() if v in ("STALE", "ERROR", "NOT SENT"))
        return (self.findings.get("error", 0) * 1000 + unsynced * 100 + self.rejected * 10 + self.warming * 10
                + self.findings.get("warning", 0))


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
    mesh: list[MeshRow] = []  # several proxies / ztunnels: one row each, problems first

    def to_dict(self) -> dict[str, Any]:
        """The ``inspect -o json`` document (JSON-safe)."""
        return self.model_dump(mode="json")

    def records(self) -> list[dict[str, Any]]:
        """One row per Envoy proxy and ztunnel: kind, name, versions, resource totals (``to_frame()``); for a
        mesh, problems first with the sync state, load findings by severity and rejected/warming counts.
        """
        if self.mesh:
            totals = {p.name: {key: counts.get("total", 0) for key, counts in p.counts.items()} for p in self.proxies}
            return [{"kind": r.kind, "name": r.name, "istio": r.istio, "envoy": r.envoy,
                     **{f"sync_{t}": v for t, v in r.sync.items()},
                     **{sev: r.findings.get(sev, 0) for sev in ("error", "warning", "info")},
                     "rejected": r.rejected, "warming": r.warming, **totals.get(r.name, {})} for r in self.mesh]
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
    mesh = mesh_rows(snapshot) if len(snapshot.proxies) + len(snapshot.ztunnels) > 1 else []
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
        mesh=mesh,
    )


def _sync_of(snapshot: Snapshot, names: set[str]) -> dict[str, str]:
    rows = [r for r in (snapshot.istiod.sync if snapshot.istiod is not None else ()) if r.proxy in names]
    out: dict[str, Any] = {}
    for row in rows:
        for t in row.types.values():
            if t.subscribed and (t.short_name not in out or t.status.rank > out[t.short_name].rank):
                out[t.short_name] = t.status
    return {k: v.label for k, v in sorted(out.items())}


def _severities(findings: list[LoadFinding]) -> dict[str, int]:
    return dict(Counter(f.severity.value for f in findings))


def mesh_rows(snapshot: Snapshot) -> list[MeshRow]:
    """One :class:`MeshRow` per proxy and ztunnel of ``snapshot``, the most troubled first."""
    rows = []
    for proxy in snapshot.proxies:
        resources = [r for attr in RESOURCE_LISTS.values() for r in getattr(proxy, attr)]
        parsed = proxy.parsed_id
        versions = _versions(proxy)
        rows.append(MeshRow(kind=(parsed.type if parsed is not None and parsed.type else "envoy"), name=proxy.name,
                            istio=versions.get("istio"), envoy=versions.get("envoy"),
                            sync=_sync_of(snapshot, {proxy.name, proxy.node_id or ""}),
                            findings=_severities([f for f in snapshot.findings
                                                  if f.proxy and f.proxy in (proxy.node_id, proxy.name)]),
                            rejected=sum(1 for r in resources if r.state == "rejected"),
                            warming=sum(1 for r in resources if r.state == "warming" or "warming" in r.other_states)))
    for z in snapshot.ztunnels:
        namespace = next((w.namespace for w in z.workloads if w.name == z.name), None)
        names = {z.name} | ({f"{z.name}.{namespace}"} if namespace else set())
        names |= {r.proxy for r in (snapshot.istiod.sync if snapshot.istiod else ()) if r.proxy.split(".")[0] == z.name}
        rows.append(MeshRow(kind="ztunnel", name=z.name, istio=z.version.release if z.version else None, envoy=None,
                            sync=_sync_of(snapshot, names),
                            findings=_severities([f for f in snapshot.findings if f.proxy == z.name]), rejected=0,
                            warming=0))
    return sorted(rows, key=lambda r: (-r.problems, r.name))


def inspect(source: Source) -> Summary:
    """Summarize what ``source`` holds (the library side of ``meshlens inspect``).

    ``source`` is a path, bytes, a parsed dict, ``"-"``, a list of paths, or a loaded ``Snapshot``,
    ``EnvoyProxy`` or ``Ztunnel``.
    """
    return summarize(as_snapshot(source))
