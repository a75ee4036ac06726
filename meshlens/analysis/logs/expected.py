"""What a ztunnel dump says a service's load balancing should look like.

ztunnel picks an upstream at random, weighted by ``capacity``, per new connection
(``ProxyState::load_balance``, ``ztunnel.md`` section 3.4), among the endpoints it may use: an
endpoint is *eligible* when its workload exists in the dump and both the endpoint's and the
workload's status are healthy (ztunnel's default ``OnlyHealthy`` policy).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from meshlens.models.ztunnel import Service, Workload, Ztunnel


@dataclass
class ServiceView:
    """One service of the dump as the log analysis needs it."""

    key: str  # namespace/hostname
    hostname: str
    expected: list[tuple[Workload, int]]  # eligible endpoints' workloads and their weight
    unhealthy: list[Workload]  # endpoints whose endpoint or workload status is not healthy
    protocol: str | None  # HBONE / TCP / MIXED (via a waypoint: HBONE)
    waypoint: str | None = None  # the waypoint service the traffic goes through (its pods are the backends)


@dataclass
class DumpIndex:
    """Services by hostname and workloads by name, uid and IP, over one or more ztunnel dumps."""

    services: dict[str, ServiceView] = field(default_factory=dict)
    workloads_by_name: dict[str, Workload] = field(default_factory=dict)
    workloads_by_ip: dict[str, Workload] = field(default_factory=dict)

    def service(self, host: str) -> ServiceView | None:
        return self.services.get(host)

    def workload(self, name: str | None, address: str | None) -> Workload | None:
        """The workload a log line's backend names (``dst.workload``), else the one with its IP."""
        if name and name in self.workloads_by_name:
            return self.workloads_by_name[name]
        if address:
            ip, _, _ = address.rpartition(":")
            return self.workloads_by_ip.get((ip or address).strip("[]"))
        return None


def _healthy(status: str | None) -> bool:
    return status in (None, "", "Healthy")


def _capacity(endpoint_extra: dict[str, object] | None, workload: Workload) -> int:
    value = (endpoint_extra or {}).get("capacity")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return workload.capacity if workload.capacity is not None else 1


def _view(svc: Service, ztunnel: Ztunnel) -> ServiceView:
    expected: list[tuple[Workload, int]] = []
    unhealthy: list[Workload] = []
    protocols: set[str] = set()
    for key, ep in sorted(svc.endpoints.items()):
        workload = ztunnel.workload(ep.workload_uid or key)
        if workload is None:
            continue
        protocols.add(workload.protocol)
        if _healthy(ep.status) and _healthy(workload.status):
            expected.append((workload, _capacity(ep.model_extra, workload)))
        else:
            unhealthy.append(workload)
    if svc.waypoint is not None:
        protocol: str | None = "HBONE"
    elif len(protocols) == 1:
        protocol = protocols.pop()
    else:
        protocol = "MIXED" if protocols else None
    return ServiceView(key=svc.key, hostname=svc.hostname, expected=expected, unhealthy=unhealthy,
                       protocol=protocol)


def _waypoint_service(svc: Service, ztunnel: Ztunnel) -> Service | None:
    """The service of ``svc``'s waypoint (by ``ns/hostname`` or by VIP), if the dump has it."""
    if svc.waypoint is None:
        return None
    destination = svc.waypoint.parsed
    if destination.kind == "hostname":
        return ztunnel.service(destination.raw)
    for other in ztunnel.services:
        if destination.raw in other.vips:
            return other
    return None


def index_dumps(ztunnels: Iterable[Ztunnel]) -> DumpIndex:
    """Index the dumps (the first ztunnel that has a service or workload wins, ties kept stable).

    A service with a waypoint is load-balanced over the waypoint's pods (ztunnel sends to the
    waypoint, ``ztunnel.md`` 3.4): its expected backends are the waypoint service's endpoints.
    """
    index = DumpIndex()
    for z in ztunnels:
        for w in z.workloads:
            index.workloads_by_name.setdefault(w.name, w)
            for ip in w.workload_ips:
                index.workloads_by_ip.setdefault(ip, w)
        for svc in z.services:
            if svc.hostname in index.services and not svc.canonical:
                continue
            view = _view(svc, z)
            waypoint = _waypoint_service(svc, z)
            if waypoint is not None:
                via = _view(waypoint, z)
                view = ServiceView(key=svc.key, hostname=svc.hostname, expected=via.expected,
                                   unhealthy=via.unhealthy, protocol="HBONE", waypoint=waypoint.key)
            index.services[svc.hostname] = view
    return index
