"""The hosts of a proxy with their EDS health, as columns, built once per proxy (for ML4xxx).

Two sources tell an endpoint's health (see :mod:`meshlens.checks.clusters`): ``/clusters`` where it
covers a cluster (the control plane's ``eds_health_status`` and Envoy's runtime flags), else
``/config_dump?include_eds`` (Envoy's effective health).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from meshlens.checks._util import proxy_name, source_location
from meshlens.models.base import Location
from meshlens.models.derived import Fact
from meshlens.models.snapshot import EnvoyProxy
from meshlens.results import Subject

SRC_CLUSTERS = "/clusters eds_health_status (as the control plane sent it)"
SRC_DUMP = ("config_dump?include_eds health_status (Envoy's effective health: it may be a runtime "
            "ejection, and DRAINING shows as UNHEALTHY; capture /clusters to tell them apart)")


def raw_address(lb: dict[str, Any]) -> str:
    """An lb_endpoint's address as ``/clusters`` prints it (the same text as ``Address.__str__``)."""
    try:  # the common case, fast: an IPv4 socket address with a port
        sa = lb["endpoint"]["address"]["socket_address"]
        host, port = sa["address"], sa["port_value"]
        if ":" not in host:
            return f"{host}:{port}"
    except (KeyError, TypeError):
        pass
    endpoint = lb.get("endpoint")
    addr = endpoint.get("address") if isinstance(endpoint, dict) else None
    addr = addr if isinstance(addr, dict) else {}
    sa = addr.get("socket_address")
    if isinstance(sa, dict):
        host = str(sa.get("address", ""))
        host = f"[{host}]" if ":" in host else host
        port = sa.get("port_value", sa.get("named_port", 0))
        return f"{host}:{port if port is not None else 0}"
    if isinstance(addr.get("pipe"), dict):
        return f"unix://{addr['pipe'].get('path', '')}"
    internal = addr.get("envoy_internal_address")
    if isinstance(internal, dict):
        return f"envoy://{internal.get('server_listener_name', '')}/{internal.get('endpoint_id', '')}"
    return ""


class Host(NamedTuple):
    """One upstream host of a cluster and its EDS health (a named tuple: a big sidecar has 10,000s)."""

    cluster: str
    address: str
    health: str  # EDS status from the chosen source
    source: str
    base: Location | Any  # a Location, or the resource whose location it is (built on demand)
    path: str = ""  # JSON path template below base, filled with pos
    pos: tuple[int, int] = (0, 0)
    flags: Any = None  # /clusters HealthStatus, when known
    subject: Subject | None = None  # endpoint <cluster>/<address> of the proxy

    @property
    def location(self) -> Location:
        base = self.base if isinstance(self.base, Location) else self.base.location
        return base.child(self.path.format(*self.pos)) if self.path else base


def _service_to_clusters(proxy: EnvoyProxy) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for cl in proxy.valid_clusters:
        eds = cl.raw.get("eds_cluster_config")
        service = (eds.get("service_name") if eds else None) or cl.name
        out.setdefault(str(service), []).append(cl.name)
    return out


@dataclass
class HostTable:
    """The proxy's hosts as columns (index i is one host), built once per proxy.

    A 5,000-service sidecar has tens of thousands of hosts and nearly all are fine, so the checks
    scan the ``health`` and ``flags`` columns and build a :class:`Host` only for one they flag.
    """

    clusters: list[str]
    addresses: list[str]
    health: list[str]
    flags: list[Any]  # /clusters HealthStatus, or None for config-dump hosts
    subjects: list[Subject]
    origins: list[tuple[Any, str, tuple[int, int], str]]  # (base location or resource, path, pos, source)
    by_cluster: dict[str, list[int]]

    def host(self, i: int) -> Host:
        base, path, pos, source = self.origins[i]
        return Host(self.clusters[i], self.addresses[i], self.health[i], source, base, path, pos, self.flags[i],
                    self.subjects[i])

    @property
    def hosts(self) -> list[Host]:
        return [self.host(i) for i in range(len(self.subjects))]


def host_table(proxy: EnvoyProxy) -> HostTable:
    """Every host of the proxy with its EDS health, from ``/clusters`` where it covers the cluster (built once)."""
    return HOSTS.of(proxy)


def _host_table(proxy: EnvoyProxy) -> HostTable:
    """Every host of the proxy with its EDS health, from ``/clusters`` where it covers the cluster."""
    clusters: list[str] = []
    addresses: list[str] = []
    health: list[str] = []
    flags: list[Any] = []
    subjects: list[Subject] = []
    origins: list[tuple[Any, str, tuple[int, int], str]] = []
    covered: set[str] = set()
    pname = proxy_name(proxy)
    new = tuple.__new__
    if proxy.cluster_statuses:
        base = source_location(proxy, ("envoy-clusters", "envoy-clusters-text"))
        json_form = any(s.kind == "envoy-clusters" for s in proxy.sources)
        path = ".cluster_statuses[{}].host_statuses[{}]" if json_form else ""
        for i, status in enumerate(proxy.cluster_statuses):
            covered.add(status.name)
            for j, host in enumerate(status.host_statuses):
                address = host.endpoint
                clusters.append(status.name)
                addresses.append(address)
                health.append(host.health_status.eds_health_status)
                flags.append(host.health_status)
                subjects.append(new(Subject, (pname, "endpoint", f"{status.name}/{address}")))
                origins.append((base, path, (i, j), SRC_CLUSTERS))
    if "endpoints" in proxy.sections:
        names = _service_to_clusters(proxy)
        path = ".endpoints[{}].lb_endpoints[{}]"
        for res in proxy.valid_endpoints:
            for cluster in names.get(res.name, [res.name]):
                if cluster in covered:
                    continue
                for li, locality in enumerate(res.raw.get("endpoints") or ()):
                    for k, lb in enumerate(locality.get("lb_endpoints") or ()):
                        address = raw_address(lb)
                        clusters.append(cluster)
                        addresses.append(address)
                        health.append(lb.get("health_status") or "UNKNOWN")
                        flags.append(None)
                        subjects.append(new(Subject, (pname, "endpoint", f"{cluster}/{address}")))
                        origins.append((res, path, (li, k), SRC_DUMP))
    by_cluster: dict[str, list[int]] = {}
    for i, cluster in enumerate(clusters):
        by_cluster.setdefault(cluster, []).append(i)
    return HostTable(clusters, addresses, health, flags, subjects, origins, by_cluster)


HOSTS: Fact[EnvoyProxy, HostTable] = Fact("checks.hosts", _host_table)


def hosts(proxy: EnvoyProxy) -> list[Host]:
    return host_table(proxy).hosts
