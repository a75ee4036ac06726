"""``pc endpoint`` (from a ``/clusters`` capture) and the hidden ``pc eds`` (from the dump's EDS section).

``pc endpoint``: ``ENDPOINT  STATUS  OUTLIER CHECK  CLUSTER``, the runtime view: EDS health plus
whether outlier detection ejected the host. ``pc eds``: ``NAME  STATUS  LOCALITY  CLUSTER``, the
assignments the control plane sent. Both print an empty table when their input is missing, as
istioctl does; meshlens also says why in a note (stderr), since "no endpoints" and "this capture
cannot tell" are different answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from meshlens.encoding.gosort import go_sort_by_key
from meshlens.encoding.protojson import to_go
from meshlens.models.names import ClusterName
from meshlens.views.envoy._common import (
    HEALTH_STATUS,
    EnvoyTable,
    by_state,
    enum_name,
    equal_fold,
    port_value,
    require_config_dump,
    socket_address,
)

if TYPE_CHECKING:
    from meshlens.models.admin import ClusterStatus, HostStatus
    from meshlens.models.snapshot import EnvoyProxy

ENDPOINT_HEADERS = ["ENDPOINT", "STATUS", "OUTLIER CHECK", "CLUSTER"]
EDS_HEADERS = ["NAME", "STATUS", "LOCALITY", "CLUSTER"]


class EndpointRow(BaseModel):
    """One ``pc endpoint`` row: a host of a cluster in ``/clusters``."""

    endpoint: str
    address: str
    port: int | None
    status: str
    outlier_check: str
    cluster: str


class EdsRow(BaseModel):
    """One ``pc eds`` row: an ``lb_endpoint`` of a ClusterLoadAssignment."""

    name: str
    addresses: list[str]
    port: int | None
    status: str
    locality: str
    cluster: str


# --- pc endpoint (/clusters) ------------------------------------------------------------------------
def _host_address(host: HostStatus) -> tuple[str, int]:
    """istioctl's (address, port) of a ``/clusters`` host: ``ip`` + port, ``unix://path``, ``envoy://l/id``."""
    address = host.address
    if address.socket_address is not None:
        sa = address.socket_address
        return sa.address, sa.port_value or 0
    if address.envoy_internal_address is not None:
        ia = address.envoy_internal_address
        return f"envoy://{ia.server_listener_name}/{ia.endpoint_id or ''}", 0
    return "unix://" + (address.pipe.path if address.pipe is not None else ""), 0


def endpoint_view(proxy: EnvoyProxy, *, address: str | None = None, port: int | None = None, cluster: str | None = None,
                  status: str | None = None) -> EnvoyTable:
    """istioctl ``proxy-config endpoint``: hosts of ``/clusters`` with health and outlier state."""
    statuses = proxy.cluster_statuses
    notes: list[str] = []
    if statuses is None:
        notes.append("this capture has no /clusters output (pc endpoint reads /clusters?format=json, not the "
                     "config dump): capture it, or use `pc eds` on a /config_dump?include_eds")
        statuses = []
    found: list[tuple[tuple[str, int, str], EndpointRow]] = []
    picked: list[Any] = []
    for cs in statuses:
        matched = False
        for host in cs.host_statuses:
            addr, hport = _host_address(host)
            hstatus = str(host.health_status.eds_health_status or "UNKNOWN")
            if address and not equal_fold(addr, address):
                continue
            if port and hport != port:
                continue
            if cluster and not equal_fold(cs.name, cluster):
                continue
            if status and not equal_fold(hstatus, status):
                continue
            matched = True
            shown = f"{addr}:{hport}" if hport else addr
            found.append(((addr, hport, cs.name), EndpointRow(
                endpoint=shown, address=addr, port=hport or None, status=hstatus,
                outlier_check="FAILED" if host.health_status.failed_outlier_check else "OK", cluster=cs.name)))
        if matched:
            picked.append(cs)
    go_sort_by_key(found, lambda item: item[0])
    rows = [row for _, row in found]
    cells = [[r.endpoint, r.status, r.outlier_check, r.cluster] for r in rows]
    return EnvoyTable(view="endpoint", headers=list(ENDPOINT_HEADERS), rows=list(rows), cells=cells, padding=5,
                      notes=notes, raw_factory=lambda: [_cluster_status_json(cs) for cs in picked], json_indent=4)


def _cluster_status_json(cs: ClusterStatus) -> dict[str, Any]:
    """A ``/clusters`` record back in ``envoy.admin.v3.ClusterStatus`` JSON (camelCase, as istioctl prints)."""
    data = cs.model_dump(mode="json", exclude_defaults=True)
    hosts = []
    for i, host in enumerate(cs.host_statuses):
        entry = dict(data["host_statuses"][i]) if "host_statuses" in data else {}
        stats = [{"name": k, **({"value": str(v)} if v else {})} for k, v in host.stats.items()]
        entry.pop("stats", None)
        if stats:
            entry["stats"] = stats
        hosts.append(entry)
    if hosts:
        data["host_statuses"] = hosts
    return to_go(data)


# --- pc eds (EndpointsConfigDump) --------------------------------------------------------------------
def _lb_address(lb: dict[str, Any]) -> tuple[str, int]:
    endpoint = found if isinstance(found := lb.get("endpoint"), dict) else {}
    address = endpoint.get("address")
    sa = socket_address(address)
    if sa is not None:
        return f"{sa.get('address', '')}:{port_value(sa)}", port_value(sa)
    if isinstance(address, dict):
        pipe = address.get("pipe")
        if isinstance(pipe, dict):
            return str(pipe.get("path", "")), 0
        internal = address.get("envoy_internal_address")
        if isinstance(internal, dict):
            return f"envoy://{internal.get('server_listener_name', '')}/{internal.get('endpoint_id', '')}", 0
    return "", 0


def _additional(lb: dict[str, Any]) -> list[str]:
    endpoint = found if isinstance(found := lb.get("endpoint"), dict) else {}
    out = []
    for extra in endpoint.get("additional_addresses") or ():
        sa = socket_address(extra.get("address") if isinstance(extra, dict) else None)
        if sa is not None:
            out.append(f"{sa.get('address', '')}:{port_value(sa)}")
    return out


def locality_text(locality: Any) -> str:
    """``region/zone/subzone``, stopping at the first empty part after the region (Istio's format)."""
    if not isinstance(locality, dict):
        return ""
    text = str(locality.get("region", ""))
    if not locality.get("zone"):
        return text
    text += "/" + str(locality["zone"])
    return text + "/" + str(locality["sub_zone"]) if locality.get("sub_zone") else text


def eds_rows(proxy: EnvoyProxy, *, address: str | None = None, port: int | None = None, cluster: str | None = None,
             status: str | None = None, prefix: str = "") -> tuple[list[EdsRow], list[list[str]],
                                                                   list[dict[str, Any]], list[str]]:
    """Rows, cells, the filtered assignments (for ``-o json``) and notes."""
    require_config_dump(proxy, "all" if prefix else "eds")
    notes: list[str] = []
    if "endpoints" not in proxy.sections:
        notes.append("this config dump has no EndpointsConfigDump section: capture /config_dump?include_eds "
                     "to see endpoints")
    assignments: list[tuple[Any, dict[str, Any], int]] = []
    for res in by_state(proxy.valid_endpoints, "active", "static"):
        cla, count = _filtered(res.raw, address, port, cluster, status)
        if count:
            assignments.append((ClusterName.parse(res.name).istioctl_sort_key(), cla, count))
    go_sort_by_key(assignments, lambda item: item[0])
    rows: list[EdsRow] = []
    cells: list[list[str]] = []
    for _, cla, _ in assignments:
        name = str(cla.get("cluster_name", ""))
        for group in cla.get("endpoints") or ():
            locality = locality_text(group.get("locality"))
            for lb in group.get("lb_endpoints") or ():
                addr, lport = _lb_address(lb)
                addresses = [addr, *_additional(lb)]
                lstatus = enum_name(lb.get("health_status"), HEALTH_STATUS, "UNKNOWN")
                rows.append(EdsRow(name=",".join(addresses), addresses=addresses, port=lport or None,
                                   status=lstatus, locality=locality, cluster=name))
                cells.append([prefix + ",".join(addresses), lstatus, locality, name])
    return rows, cells, [cla for _, cla, _ in assignments], notes


def _filtered(raw: dict[str, Any], address: str | None, port: int | None, cluster: str | None,
              status: str | None) -> tuple[dict[str, Any], int]:
    """The assignment with only the matching lb_endpoints (istioctl edits it the same way)."""
    name = str(raw.get("cluster_name", ""))
    if not (address or port or cluster or status):
        count = sum(len(g.get("lb_endpoints") or ()) for g in raw.get("endpoints") or () if isinstance(g, dict))
        return raw, count
    groups = []
    count = 0
    for group in raw.get("endpoints") or ():
        if not isinstance(group, dict):
            continue
        kept = []
        for lb in group.get("lb_endpoints") or ():
            addr, lport = _lb_address(lb)
            if address and not equal_fold(addr, address):
                continue
            if port and lport != port:
                continue
            if cluster and not equal_fold(name, cluster):
                continue
            if status and not equal_fold(enum_name(lb.get("health_status"), HEALTH_STATUS, "UNKNOWN"), status):
                continue
            kept.append(lb)
        count += len(kept)
        # A locality left without endpoints keeps its other fields (proto3 JSON omits an empty list).
        groups.append({k: (kept if k == "lb_endpoints" else v) for k, v in group.items()
                       if k != "lb_endpoints" or kept})
    return {k: (groups if k == "endpoints" else v) for k, v in raw.items()}, count


def eds_view(proxy: EnvoyProxy, *, address: str | None = None, port: int | None = None, cluster: str | None = None,
             status: str | None = None) -> EnvoyTable:
    """istioctl's hidden ``proxy-config eds``: the EDS assignments of a ``/config_dump?include_eds``."""
    rows, cells, assignments, notes = eds_rows(proxy, address=address, port=port, cluster=cluster, status=status)
    return EnvoyTable(view="eds", headers=list(EDS_HEADERS), rows=list(rows), cells=cells, padding=5, notes=notes,
                      raw_factory=lambda: [to_go(cla) for cla in assignments], json_indent=4)
