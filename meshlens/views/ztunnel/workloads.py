"""``istioctl ztunnel-config workload``: one row per workload ztunnel knows."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from meshlens.models.ztunnel import GatewayAddress, Service, Workload, Ztunnel
from meshlens.views.base import Table
from meshlens.views.ztunnel._common import PodRef, as_pod_ref, equal_fold, go_value

HEADERS = ["NAMESPACE", "POD NAME", "ADDRESS", "NODE", "WAYPOINT", "PROTOCOL"]


class WorkloadRow(BaseModel):
    """One workload: istioctl's columns, typed, plus its uid, IPs and health for notebooks."""

    namespace: str
    pod_name: str
    address: str  # the IPs joined by "," (the hostname for a workload without IPs)
    node: str
    waypoint: str  # the waypoint service's name, "None" (no waypoint) or "NA" (unresolved)
    protocol: str  # HBONE | TCP
    uid: str
    workload_ips: list[str]
    status: str

    def cells(self) -> list[str]:
        return [self.namespace, self.pod_name, self.address, self.node, self.waypoint, self.protocol]


class GatewayNames:
    """istioctl's WAYPOINT column: the name of the FIRST service (in dump order) whose
    ``namespace/hostname`` or one of whose VIPs is the gateway's destination; ``None`` without a
    gateway, ``NA`` when no service matches. Indexed once, so a view costs O(workloads + services).
    """

    def __init__(self, services: list[Service]) -> None:
        self.services = services
        self.by_key: dict[str, int] = {}
        self.by_vip: dict[str, int] = {}
        for i, svc in enumerate(services):
            self.by_key.setdefault(svc.key, i)
            for vip in svc.vips:
                self.by_vip.setdefault(vip, i)

    def __call__(self, gateway: GatewayAddress | None) -> str:
        if gateway is None:
            return "None"
        found = [i for i in (self.by_key.get(gateway.destination), self.by_vip.get(gateway.destination))
                 if i is not None]
        return self.services[min(found)].name if found else "NA"


def gateway_service_name(gateway: GatewayAddress | None, services: list[Service]) -> str:
    """:class:`GatewayNames` for one lookup."""
    return GatewayNames(services)(gateway)


def matches(workload: Workload, *, address: str | None = None, namespace: str | None = None,
            node: str | None = None, pod: PodRef | None = None) -> bool:
    """istioctl's workload filter: case-insensitive equality on each given field."""
    if namespace and not equal_fold(workload.namespace, namespace):
        return False
    if address and not any(equal_fold(ip, address) for ip in workload.workload_ips):
        return False
    if node and not equal_fold(workload.node, node):
        return False
    return pod is None or pod.matches(workload.name, workload.namespace)


def _address(workload: Workload) -> str:
    return ",".join(workload.workload_ips) or workload.hostname


def _gateway_json(gateway: GatewayAddress) -> dict[str, Any]:
    return {"destination": gateway.destination}


def workload_json(w: Workload) -> dict[str, Any]:
    """The workload as istioctl re-marshals it (its ``ZtunnelWorkload`` Go struct)."""
    out: dict[str, Any] = {"uid": w.uid, "workloadIps": go_value(w, "workload_ips", None)}
    if w.waypoint is not None:
        out["waypoint"] = _gateway_json(w.waypoint)
    if w.network_gateway is not None:
        out["networkGateway"] = _gateway_json(w.network_gateway)
    out.update({
        "protocol": go_value(w, "protocol", ""),
        "name": w.name,
        "namespace": w.namespace,
        "serviceAccount": w.service_account,
        "workloadName": w.workload_name,
        "workloadType": w.workload_type,
        "canonicalName": w.canonical_name,
        "canonicalRevision": w.canonical_revision,
        "clusterId": w.cluster_id,
    })
    if w.trust_domain:
        out["trustDomain"] = w.trust_domain
    locality = w.locality
    out["locality"] = {k: v for k, v in (("region", locality.region if locality else ""),
                                         ("zone", locality.zone if locality else ""),
                                         ("subzone", locality.subzone if locality else "")) if v}
    out["node"] = w.node
    if w.network:
        out["network"] = w.network
    out["status"] = go_value(w, "status", "")
    out["hostname"] = w.hostname
    out["capacity"] = go_value(w, "capacity", 0)
    tunnel = w.application_tunnel
    out["applicationTunnel"] = {"protocol": go_value(tunnel, "protocol", "") if tunnel else ""}
    if tunnel is not None and tunnel.port is not None:
        out["applicationTunnel"]["port"] = tunnel.port
    if w.authorization_policies:
        out["authorizationPolicies"] = list(w.authorization_policies)
    return out


def workload_view(z: Ztunnel, *, address: str | None = None, workload_namespace: str | None = None,
                  workload_node: str | None = None, pod: PodRef | str | None = None) -> Table:
    """``istioctl ztunnel-config workload``.

    Args:
        z: the ztunnel whose dump is shown.
        address: keep workloads having this IP.
        workload_namespace: keep workloads of this namespace.
        workload_node: keep workloads on this Kubernetes node.
        pod: keep this pod, ``name[.namespace]`` (what istioctl shows for a workload pod argument).

    Rows are sorted by ``namespace + "." + name``, then node; ``-o json`` lists the matching
    workloads in dump order, as istioctl does.
    """
    ref = as_pod_ref(pod)
    kept = [w for w in z.workloads
            if matches(w, address=address, namespace=workload_namespace, node=workload_node, pod=ref)]
    ordered = sorted(kept, key=lambda w: (w.namespace + "." + w.name, w.node))
    waypoint_name = GatewayNames(z.services)
    rows = [
        WorkloadRow(namespace=w.namespace, pod_name=w.name, address=_address(w), node=w.node,
                    waypoint=waypoint_name(w.waypoint), protocol=go_value(w, "protocol", ""),
                    uid=w.uid, workload_ips=list(w.workload_ips), status=w.status)
        for w in ordered
    ]
    table = Table(view="workload", headers=list(HEADERS), rows=list(rows), cells=[r.cells() for r in rows],
                  raw=[workload_json(w) for w in kept], json_indent=4)
    if ref is not None and not kept and not any(ref.matches(w.name, w.namespace) for w in z.workloads):
        table.notes.append(f"no workload {ref} in ztunnel {z.name}")
    return table


__all__ = ["HEADERS", "GatewayNames", "WorkloadRow", "gateway_service_name", "matches", "workload_json",
           "workload_view"]

