"""``istioctl ztunnel-config service``: VIPs, waypoint and healthy/total endpoints of each service."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from meshlens.models.names import NetworkAddress
from meshlens.models.ztunnel import CidrVip, Endpoint, LoadBalancer, Service, Workload, Ztunnel
from meshlens.views.base import Table
from meshlens.views.ztunnel._common import equal_fold, go_value, is_set
from meshlens.views.ztunnel._gofmt import go_map
from meshlens.views.ztunnel.workloads import GatewayNames

HEADERS = ["NAMESPACE", "SERVICE NAME", "SERVICE VIP", "WAYPOINT", "ENDPOINTS"]


class ServiceRow(BaseModel):
    """One service: istioctl's columns, typed (ENDPOINTS is ``healthy/total``)."""

    namespace: str
    name: str
    vips: list[str]  # the VIPs' IPs, network prefix removed
    waypoint: str  # the waypoint service's name, "None" or "NA"
    healthy_endpoints: int
    total_endpoints: int
    hostname: str

    def cells(self) -> list[str]:
        return [self.namespace, self.name, ",".join(self.vips), self.waypoint,
                f"{self.healthy_endpoints}/{self.total_endpoints}"]


def vip_ip(vip: str) -> str:
    """The IP of a ``network/ip`` VIP (istioctl prints the text after the first ``/``)."""
    parsed = NetworkAddress.parse(vip)
    return parsed.address if parsed.address is not None else parsed.raw


def healthy_endpoints(service: Service, workloads_by_uid: dict[str, Workload]) -> int:
    """istioctl's count: endpoints whose workload is in the dump with ``status == "Healthy"`` (the
    endpoint's own status is ignored; an endpoint of an unknown workload is unhealthy).
    """
    count = 0
    for endpoint in service.endpoints.values():
        workload = workloads_by_uid.get(endpoint.workload_uid)
        if workload is not None and go_value(workload, "status", "") == "Healthy":
            count += 1
    return count


def sort_key(service: Service) -> tuple[str, str, str]:
    return service.namespace, service.name, service.hostname


def _port_map(ports: dict[str, int]) -> dict[str, Any]:
    # Go map[uint16]uint16: keys are read as numbers, written back as decimal strings, sorted.
    return go_map({str(int(k)) if k.isascii() and k.isdigit() else k: v for k, v in ports.items()})


def _endpoint_json(endpoint: Endpoint) -> dict[str, Any]:
    out: dict[str, Any] = {"workloadUid": endpoint.workload_uid, "service": endpoint.service or ""}
    if endpoint.address:
        out["address"] = endpoint.address
    out["port"] = _port_map(endpoint.port) if is_set(endpoint, "port") else None
    return out


def _cidr_text(cidr: CidrVip | str) -> str:
    return cidr if isinstance(cidr, str) else f"{cidr.network}/{cidr.cidr}"


def _load_balancer_json(lb: LoadBalancer) -> dict[str, Any]:
    return {"mode": lb.mode or "", "routingPreferences": go_value(lb, "routing_preferences", None),
            "healthPolicy": lb.health_policy or ""}


def service_json(s: Service) -> dict[str, Any]:
    """The service as istioctl re-marshals it (``ZtunnelService``: endpoints lose their status)."""
    out: dict[str, Any] = {"name": s.name, "namespace": s.namespace, "hostname": s.hostname,
                           "vips": go_value(s, "vips", None)}
    if s.cidr_vips:
        out["cidrVips"] = [_cidr_text(c) for c in s.cidr_vips]
    out["ports"] = go_map(dict(s.ports)) if is_set(s, "ports") else None
    if s.load_balancer is not None:
        out["loadBalancer"] = _load_balancer_json(s.load_balancer)
    if s.waypoint is not None:
        out["waypoint"] = {"destination": s.waypoint.destination}
    out["endpoints"] = (go_map({k: _endpoint_json(e) for k, e in s.endpoints.items()})
                        if is_set(s, "endpoints") else None)
    if s.subject_alt_names:
        out["subjectAltNames"] = list(s.subject_alt_names)
    out["ipFamilies"] = s.ip_families or ""
    out["canonical"] = bool(s.canonical)
    return out


def service_view(z: Ztunnel, *, service_namespace: str | None = None) -> Table:
    """``istioctl ztunnel-config service``, sorted by namespace, name, hostname.

    Args:
        z: the ztunnel whose dump is shown.
        service_namespace: keep services of this namespace (case-insensitive).
    """
    kept = [s for s in z.services if not service_namespace or equal_fold(s.namespace, service_namespace)]
    kept.sort(key=sort_key)
    by_uid: dict[str, Workload] = {}
    for w in z.workloads:  # the last workload of a uid wins, as in istioctl's map
        by_uid[w.uid] = w
    waypoint_name = GatewayNames(z.services)
    rows = [
        ServiceRow(namespace=s.namespace, name=s.name, vips=[vip_ip(v) for v in s.vips],
                   waypoint=waypoint_name(s.waypoint),
                   healthy_endpoints=healthy_endpoints(s, by_uid), total_endpoints=len(s.endpoints),
                   hostname=s.hostname)
        for s in kept
    ]
    return Table(view="service", headers=list(HEADERS), rows=list(rows), cells=[r.cells() for r in rows],
                 raw=[service_json(s) for s in kept], json_indent=4)


__all__ = ["HEADERS", "ServiceRow", "healthy_endpoints", "service_json", "service_view", "vip_ip"]
