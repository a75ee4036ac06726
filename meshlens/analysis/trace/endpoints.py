"""Which endpoints a cluster would send to, with their health, as Envoy's load balancer sees them.

Health comes from the config dump's ClusterLoadAssignment (``?include_eds`` shows Envoy's
*effective* health) and, when a ``/clusters`` capture was given with the dump, from its runtime
flags (active health checks, outlier ejection). Envoy treats ``UNKNOWN`` as healthy, uses
``DEGRADED`` hosts only when no healthy one is left, and enters *panic* when the healthy share
falls below ``healthy_panic_threshold`` (50 % by default): then it balances over all hosts, healthy
or not. Only a cluster with no host at all, or with no healthy host and a panic threshold of 0,
answers ``503 no healthy upstream`` (UH).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from meshlens.analysis.trace.model import EndpointInfo
from meshlens.index.proxy import ProxyIndex
from meshlens.models.admin import HostStatus
from meshlens.models.envoy.cluster import ClusterLoadAssignment
from meshlens.models.envoy.resources import ClusterResource
from meshlens.models.snapshot import EnvoyProxy

HEALTHY = ("HEALTHY", "UNKNOWN")
DEGRADED = ("DEGRADED",)


@dataclass
class EndpointVerdict:
    """The endpoints a cluster would send to, with why, notes, and whether the capture could tell."""

    endpoints: list[EndpointInfo] = field(default_factory=list)
    why: str = ""
    notes: list[str] = field(default_factory=list)
    insufficient: bool = False
    no_healthy: bool = False


def _runtime_status(idx: ProxyIndex, cluster: str) -> dict[str, Any]:
    """address -> runtime host status from a /clusters capture, if one was given."""
    status = idx.cluster_status(cluster)
    if status is None:
        return {}
    return {host.endpoint: host for host in status.host_statuses}


def _runtime_health(host: HostStatus) -> str:
    """A /clusters host's health as the trace reports it: HEALTHY, DEGRADED, or UNHEALTHY(flags)."""
    status = host.health_status
    if status.healthy:
        return "HEALTHY"
    flags = status.flags
    if flags == ("degraded_eds_health",):  # only EDS says degraded: Envoy still uses the host
        return "DEGRADED"
    return "UNHEALTHY(" + "|".join(flags) + ")" if flags else "UNHEALTHY"


def _panic_threshold(cluster: ClusterResource) -> float:
    common = cluster.config.common_lb_config or {}
    if "healthy_panic_threshold" not in common:
        return 50.0
    # A present Percent with no value is 0 (proto3 omits the default): panic mode is off, as Istio sets it.
    return float((common.get("healthy_panic_threshold") or {}).get("value", 0) or 0)


def _assignment(proxy: EnvoyProxy, idx: ProxyIndex, res: ClusterResource) -> tuple[ClusterLoadAssignment | None, str]:
    cluster = res.config
    kind = cluster.discovery_type
    if kind == "EDS":
        service = cluster.eds_service_name or res.name
        if "endpoints" not in proxy.sections:
            return None, "no-eds-section"
        found = idx.assignments.get(service)
        return (found.assignment if found is not None else None), f"EDS assignment {service}"
    found = idx.assignments.get(res.name)
    if found is not None:
        return found.assignment, f"{kind} cluster hosts"
    return cluster.load_assignment, f"{kind} cluster load_assignment"


def endpoint_verdict(proxy: EnvoyProxy, idx: ProxyIndex, res: ClusterResource) -> EndpointVerdict:  # noqa: C901 - by discovery type
    """The endpoints of cluster ``res`` with their health (EDS, static hosts or ``/clusters`` runtime state)."""
    cluster = res.config
    kind = cluster.discovery_type
    if kind == "ORIGINAL_DST":
        return EndpointVerdict(why=f"{res.name}: ORIGINAL_DST, forwarded to the connection's original destination")
    if kind not in ("EDS", "STATIC", "STRICT_DNS", "LOGICAL_DNS"):
        return EndpointVerdict(why=f"{res.name}: {kind} cluster", insufficient=True,
                               notes=[f"cluster {res.name} is a {kind} cluster: its hosts are not in the capture"])
    cla, source = _assignment(proxy, idx, res)
    endpoints: list[EndpointInfo] = []
    if source == "no-eds-section":
        status = idx.cluster_status(res.name)
        if status is None:
            also = (" nor does the /clusters capture list this cluster" if proxy.cluster_statuses
                    else " (or give the proxy's /clusters with it)")
            return EndpointVerdict(why=f"{res.name}: EDS cluster", insufficient=True,
                                   notes=["the capture has no EDS section (capture /config_dump?include_eds)"
                                          f"{also}: endpoints and their health are unknown"])
        # The proxy's own /clusters lists the hosts Envoy holds for the cluster, with their health.
        source = "/clusters hosts"
        for listed in status.host_statuses:
            endpoints.append(EndpointInfo(address=listed.endpoint, health=_runtime_health(listed),
                                          locality=str(listed.locality) if listed.locality else "",
                                          source="clusters"))
    elif cla is None:
        return EndpointVerdict(why=f"{res.name}: no {source} in the capture", no_healthy=True,
                               notes=[f"cluster {res.name} has no endpoint assignment: no upstream host"])
    else:
        runtime = _runtime_status(idx, res.name)
        for locality in cla.endpoints:
            loc = str(locality.locality) if locality.locality else ""
            for lb in locality.lb_endpoints:
                address = lb.address
                health, origin = lb.health_status, "eds"
                host = runtime.get(address)
                if host is not None and not host.health_status.healthy:
                    flags = host.health_status.flags
                    health, origin = "UNHEALTHY(" + "|".join(flags) + ")" if flags else "UNHEALTHY", "clusters"
                endpoints.append(EndpointInfo(address=address, health=health, locality=loc, source=origin))
    healthy = sum(1 for e in endpoints if e.health in HEALTHY)
    degraded = sum(1 for e in endpoints if e.health in DEGRADED)
    total = len(endpoints)
    why = f"{res.name}: {healthy}/{total} healthy endpoints ({source})"
    verdict = EndpointVerdict(endpoints=endpoints, why=why)
    if total == 0:
        verdict.no_healthy = True
        verdict.notes.append(f"cluster {res.name} has no endpoints: Envoy answers 503 (UH, no healthy upstream)")
        return verdict
    if healthy == 0 and degraded == 0:
        threshold = _panic_threshold(res)
        if threshold <= 0:
            verdict.no_healthy = True
            verdict.notes.append(f"no healthy endpoint in {res.name} and panic mode is off: 503 (UH)")
        else:
            verdict.notes.append(f"no healthy endpoint in {res.name}: below the {threshold:g}% panic threshold Envoy "
                                 "balances over all hosts anyway (requests likely fail)")
    elif healthy == 0:
        verdict.notes.append(f"only degraded endpoints in {res.name}: Envoy uses them")
    elif 100.0 * healthy / total < _panic_threshold(res):
        verdict.notes.append(f"only {healthy}/{total} endpoints healthy in {res.name}: below the panic threshold, "
                             "Envoy balances over all hosts")
    return verdict
