"""``istioctl ztunnel-config connections``: the open connections of the pods ztunnel proxies (in-pod mode)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from meshlens.errors import UsageError
from meshlens.models.names import NetworkAddress
from meshlens.models.ztunnel import Connection, WorkloadState, Ztunnel
from meshlens.views.base import Table
from meshlens.views.ztunnel._common import PodRef, as_pod_ref, is_set, join_host_port, split_host_port

HEADERS = ["WORKLOAD", "DIRECTION", "LOCAL", "REMOTE", "REMOTE TARGET", "PROTOCOL"]
DIRECTIONS = ("inbound", "outbound")


class ConnectionRow(BaseModel):
    """One connection of a pod; addresses named as istioctl names them unless ``raw``."""

    workload: str  # "<pod>.<namespace>"
    pod: str
    namespace: str
    direction: str  # Inbound | Outbound
    local: str
    remote: str
    remote_target: str
    protocol: str  # TCP | HBONE | DOUBLEHBONE

    def cells(self) -> list[str]:
        return [self.workload, self.direction, self.local, self.remote, self.remote_target, self.protocol]


class _Namer:
    """istioctl's address naming: ``ip:port`` -> ``<service hostname>:port`` when the IP is a
    service's first VIP, else ``<pod>.<namespace>:port`` when it is a workload's first IP.
    """

    def __init__(self, z: Ztunnel, raw: bool) -> None:
        self.raw = raw
        self.names: dict[str, str] = {}
        if raw:
            return
        workloads: dict[str, str] = {}
        for w in z.workloads:  # later entries win, as in istioctl's map
            workloads[w.workload_ips[0] if w.workload_ips else "None"] = f"{w.name}.{w.namespace}"
        services: dict[str, str] = {}
        for s in z.services:
            ip = NetworkAddress.parse(s.vips[0]).address if s.vips else None
            services[ip or "None"] = s.hostname
        self.names = {**workloads, **services}  # a service VIP takes precedence over a workload IP

    def __call__(self, address: str) -> str:
        if self.raw:
            return address
        split = split_host_port(address)
        if split is None:
            return address
        host, port = split
        name = self.names.get(host)
        return join_host_port(name, port) if name is not None else address


def _sorted_states(z: Ztunnel, namespace: str | None, pod: PodRef | None) -> list[WorkloadState]:
    states = [s for s in z.workload_state
              if (not namespace or s.info.namespace == namespace)
              and (pod is None or pod.matches(s.info.name, s.info.namespace))]
    return sorted(states, key=lambda s: (s.info.namespace, s.info.name))


def _connection_json(c: Connection) -> dict[str, Any]:
    return {"src": c.src, "originalDst": c.original_dst or "", "actualDst": c.actual_dst, "protocol": c.protocol}


def state_json(state: WorkloadState) -> dict[str, Any]:
    """A pod's state as istioctl re-marshals it (``WorkloadState``; absent lists are ``null``)."""
    out: dict[str, Any] = {}
    if state.state:
        out["state"] = state.state
    conns = state.connections
    out["connections"] = {
        "inbound": ([_connection_json(c) for c in conns.inbound]
                    if conns is not None and is_set(conns, "inbound") else None),
        "outbound": ([_connection_json(c) for c in conns.outbound]
                     if conns is not None and is_set(conns, "outbound") else None),
    }
    out["info"] = {"name": state.info.name, "namespace": state.info.namespace,
                   "trustDomain": state.info.trust_domain, "serviceAccount": state.info.service_account}
    return out


def connections_view(z: Ztunnel, *, direction: str | None = None, raw: bool = False,
                     workload_namespace: str | None = None, pod: PodRef | str | None = None) -> Table:
    """``istioctl ztunnel-config connections``, pods sorted by namespace then name.

    Args:
        z: the ztunnel whose dump is shown.
        direction: ``inbound`` or ``outbound`` only.
        raw: print addresses as they are instead of naming them.
        workload_namespace: keep pods of this namespace (exact, as istioctl compares it).
        pod: keep this pod, ``name[.namespace]`` (istioctl's workload pod argument).

    ``-o json`` lists the pods' states (namespace and pod filters apply, as in istioctl).
    """
    if direction is not None and direction not in DIRECTIONS:
        raise UsageError(f"--direction {direction!r}: expected inbound or outbound")
    ref = as_pod_ref(pod)
    name = _Namer(z, raw)
    rows: list[ConnectionRow] = []
    states = _sorted_states(z, workload_namespace, ref)
    for state in states:
        info = state.info
        base = {"workload": f"{info.name}.{info.namespace}", "pod": info.name, "namespace": info.namespace}
        if direction != "outbound":
            rows.extend(ConnectionRow(**base, direction="Inbound", local=name(c.actual_dst), remote=name(c.src),
                                      remote_target=c.original_dst or "", protocol=c.protocol)
                        for c in state.inbound)
        if direction != "inbound":
            rows.extend(ConnectionRow(**base, direction="Outbound", local=name(c.src), remote=name(c.actual_dst),
                                      remote_target=name(c.original_dst or ""), protocol=c.protocol)
                        for c in state.outbound)
    table = Table(view="connections", headers=list(HEADERS), rows=list(rows), cells=[r.cells() for r in rows],
                  raw=[state_json(s) for s in states], json_indent=4)
    if not z.workload_state:
        table.notes.append(f"ztunnel {z.name} has no workloadState (connections are only dumped in in-pod mode)")
    elif ref is not None and not states:
        table.notes.append(f"no pod {ref} in the workloadState of ztunnel {z.name}")
    return table


__all__ = ["DIRECTIONS", "HEADERS", "ConnectionRow", "connections_view", "state_json"]
