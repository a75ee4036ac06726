"""Cross-proxy trace: from the source sidecar through the chosen upstream endpoint into the destination's proxy.

1. The source proxy's own trace (:func:`meshlens.analysis.trace.trace`) picks the cluster and its
   endpoints.
2. Each endpoint followed (the first healthy one, or every one with ``all_endpoints``) is placed by
   the snapshot's mesh index (:mod:`meshlens.index.mesh`): a captured sidecar, a ztunnel workload,
   or only EDS metadata; an IP nothing places is outside the archive.
3. The transport the source cluster uses towards that endpoint is decided as Envoy does
   (:mod:`meshlens.analysis.mesh.transport`): Istio mTLS with its SNI and ALPN, or plaintext.
4. When a captured sidecar owns the IP, its inbound side is traced with that connection (original
   destination = the endpoint, source = the source proxy's IP, TLS/SNI/ALPN as decided) and the
   upstream request (path and Host after the source route's rewrites). For an ambient workload the
   ztunnel hop (HBONE) and its waypoint are named from the ztunnel dump.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from meshlens.analysis.mesh.model import MeshHop, MeshPath, MeshTrace
from meshlens.analysis.mesh.transport import Transport, upstream_transport, with_alpn_override
from meshlens.analysis.trace import trace as trace_proxy
from meshlens.analysis.trace.endpoints import DEGRADED, HEALTHY
from meshlens.analysis.trace.model import Disposition, EndpointInfo, Hop, Trace
from meshlens.analysis.trace.request import split_host_port
from meshlens.errors import UsageError
from meshlens.index.mesh import MeshIndex, Placement, mesh_index
from meshlens.index.proxy import ProxyIndex, index_for
from meshlens.models.snapshot import EnvoyProxy, Snapshot

__all__ = ["trace", "trace_mesh"]


def _snapshot(target: Any) -> Snapshot:
    from meshlens.sources.coerce import as_snapshot  # a source is loaded; a loaded snapshot is used as it is

    return as_snapshot(target)


def _hop(proxy: str, hop: Hop) -> MeshHop:
    return MeshHop(proxy=proxy, kind=hop.kind, name=hop.name, matched_by=hop.matched_by, skipped=hop.skipped)


def _lb_endpoint(idx: ProxyIndex, cluster: str, address: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The raw ``lb_endpoint`` (and its locality group's metadata) of ``address`` in ``cluster``'s assignment."""
    res = idx.cluster(cluster)
    if res is None:
        return None, None
    service = (res.raw.get("eds_cluster_config") or {}).get("service_name") or cluster
    assignment = idx.assignments.get(service)
    raw = assignment.raw if assignment is not None else res.raw.get("load_assignment") or {}
    for group in raw.get("endpoints") or ():
        for lb in group.get("lb_endpoints") or ():
            sock = ((lb.get("endpoint") or {}).get("address") or {}).get("socket_address") or {}
            if f"{sock.get('address')}:{sock.get('port_value')}" == address:
                return lb, group.get("metadata")
    return None, None


def _endpoint_cluster(idx: ProxyIndex, source: Trace, address: str) -> str | None:
    for pick in source.clusters:
        if _lb_endpoint(idx, pick.name, address)[0] is not None:
            return pick.name
    return source.clusters[0].name if len(source.clusters) == 1 else None


def _source_http_filters(idx: ProxyIndex, source: Trace) -> list[dict[str, Any]] | None:
    """The http_filters of the source's chosen chain (None: TCP, or the chain is not found)."""
    listener = idx.listeners_by_name.get(source.listener or "")
    if listener is None:
        return None
    for chain in listener.raw.get("filter_chains") or ():
        if str(chain.get("name", "")) != (source.filter_chain or ""):
            continue
        for flt in chain.get("filters") or ():
            typed = flt.get("typed_config") or {}
            if "HttpConnectionManager" in str(typed.get("@type")):
                return list(typed.get("http_filters") or ())
    return None


def _upstream_http_version(idx: ProxyIndex, cluster: str | None, downstream: str) -> str:
    """The HTTP version the source forwards with: the cluster's explicit config, else the downstream's."""
    res = idx.cluster(cluster or "")
    if res is None:
        return downstream
    for opts in (res.raw.get("typed_extension_protocol_options") or {}).values():
        explicit = (opts or {}).get("explicit_http_config") or {}
        if "http2_protocol_options" in explicit:
            return "2"
        if "http_protocol_options" in explicit:
            return "1.1"
    if "http2_protocol_options" in res.raw:
        return "2"
    return downstream


def _chosen(endpoints: Sequence[EndpointInfo]) -> list[EndpointInfo]:
    for allowed in (HEALTHY, DEGRADED):
        found = [e for e in endpoints if e.health in allowed]
        if found:
            return found[:1]
    return list(endpoints[:1])


def _ztunnel_hops(index: MeshIndex, claim: Placement) -> tuple[list[MeshHop], list[str]]:
    """The ztunnel (HBONE) and waypoint hops of an ambient destination, from the ztunnel dump."""
    wl = claim.ztunnel_workload
    assert wl is not None and claim.ztunnel is not None
    notes: list[str] = []
    node_ztunnel = next((z for z in index.snapshot.ztunnels
                         if any(w.name == z.name and w.node == wl.node for w in z.workloads)), None)
    zname = f"ztunnel {node_ztunnel.name}" if node_ztunnel else f"ztunnel on node {wl.node or '?'}"
    if node_ztunnel is None:
        notes.append(f"the ztunnel of node {wl.node or '?'} is not in the archive; workload {wl.name} "
                     f"is known from {claim.said_by}")
    hops = [MeshHop(proxy=zname, kind="ztunnel", name=f"{wl.namespace}/{wl.name}",
                    matched_by=f"workload protocol {wl.protocol} (from {claim.said_by})")]
    if wl.waypoint is not None and wl.waypoint.destination:
        hops.append(MeshHop(proxy=zname, kind="waypoint", name=wl.waypoint.destination,
                            matched_by=f"the workload's waypoint (HBONE port {wl.waypoint.port or '?'})"))
        notes.append("traffic to this workload is sent through its waypoint "
                     f"{wl.waypoint.destination}; trace the waypoint's proxy to follow it")
    return hops, notes


def _follow(index: MeshIndex, src_idx: ProxyIndex, source: Trace, endpoint: EndpointInfo,  # noqa: C901
            request: dict[str, Any]) -> MeshPath:
    src_name = src_idx.proxy.name
    hops = [_hop(src_name, h) for h in source.hops]
    cluster = _endpoint_cluster(src_idx, source, endpoint.address)
    ip, port = split_host_port(endpoint.address)
    ip = ip.strip("[]")
    claims = index.placements(ip)
    claim = claims[0] if claims else None
    lb, locality_meta = _lb_endpoint(src_idx, cluster, endpoint.address) if cluster else (None, None)
    cluster_res = src_idx.cluster(cluster) if cluster else None
    transport = (upstream_transport(cluster_res.raw, lb, locality_meta) if cluster_res is not None
                 else Transport("unknown", why="the endpoint's cluster is not in the capture"))
    version = _upstream_http_version(src_idx, cluster, request["http_version"])
    transport = with_alpn_override(transport, _source_http_filters(src_idx, source), version,
                                   request.get("upstream_alpn"))
    where = claim.label() if claim else "outside the archive"
    by = f"{claim.source}: {claim.said_by}" if claim else "no captured proxy, ztunnel or EDS metadata names this IP"
    hops.append(MeshHop(proxy=src_name, kind="endpoint", name=endpoint.address,
                        matched_by=f"{endpoint.health}; {where} ({by})"))
    hops.append(MeshHop(proxy=src_name, kind="transport", name=transport.describe(), matched_by=transport.why))
    fields: dict[str, Any] = {"endpoint": endpoint.address, "health": endpoint.health, "cluster": cluster,
                              "transport": transport.to_dict(), "notes": list(transport.notes)}
    if claim is not None:
        fields.update(pod=claim.pod, workload=claim.workload, namespace=claim.namespace, placed_by=claim.source,
                      destination=claim.proxy_name or claim.label())
    dest = index.proxy_at(ip)
    if dest is None:
        ambient = index.ztunnel_for(ip)
        if ambient is not None and ambient.ztunnel_workload is not None \
                and ambient.ztunnel_workload.protocol == "HBONE":
            zhops, znotes = _ztunnel_hops(index, ambient)
            hops.extend(zhops)
            fields["notes"].extend(znotes)
        elif claim is None:
            fields["outside_archive"] = True
            fields["notes"].append(f"{ip} is outside the archive: no captured proxy, ztunnel workload or EDS "
                                   "metadata places it; the walk stops at the source")
        else:
            fields["notes"].append(f"{where} has no proxy capture in the archive (placed by {claim.said_by}); "
                                   "the walk stops at the source")
        return MeshPath(disposition=source.disposition.value, hops=hops, **fields)
    dest_trace = _dest_trace(dest, source, endpoint, transport, request, version, src_idx)
    hops.extend(_hop(dest.name, h) for h in dest_trace.hops)
    fields["destination"] = dest.name
    return MeshPath(disposition=dest_trace.disposition.value, hops=hops, destination_trace=dest_trace, **fields)


def _dest_trace(dest: EnvoyProxy, source: Trace, endpoint: EndpointInfo, transport: Transport,
                request: dict[str, Any], version: str, src_idx: ProxyIndex) -> Trace:
    headers = [(h.name, h.value) for h in source.request_headers] or list(request["headers"].items())
    authority = source.upstream_host or request["authority"]
    path = source.upstream_path or request["path"]
    src_ip = src_idx.own_ips[0] if src_idx.own_ips else None
    return trace_proxy(dest, to=authority, path=path, method=request["method"], headers=headers,
                       dst=endpoint.address, src=src_ip, http_version=version, tls=transport.tls,
                       sni=transport.sni if transport.tls else None,
                       alpn=transport.alpn if transport.tls else None)


def trace_mesh(
    target: Any,
    from_: str | None,
    to: str | None,
    path: str = "/",
    method: str = "GET",
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    *,
    all_endpoints: bool = False,
    endpoint: str | None = None,
    upstream_alpn: Sequence[str] | None = None,
    **options: Any,
) -> MeshTrace:
    """Trace a request from proxy ``from_`` of a snapshot and on into each destination proxy the archive holds.

    Args:
        target: a Snapshot (or anything :func:`meshlens.load` takes), or one EnvoyProxy.
        from_: the source proxy (node id, ``pod.namespace`` or pod name); None: the snapshot's only proxy.
        to: the authority (Host header), as :func:`meshlens.analysis.trace.trace` takes it.
        path: the request path.
        method: the HTTP method.
        headers: request headers (a mapping or name/value pairs).
        all_endpoints: follow every endpoint of the chosen cluster(s), not only the first healthy one.
        endpoint: follow this ``IP:PORT`` only (one of the source trace's endpoints).
        upstream_alpn: the ALPN the source offers upstream, overriding what the capture says (e.g.
            ``["istio-http/1.1"]``, what Istio's istio.alpn filter sets when the capture lacks it);
            the path says it was given, not read.
        options: the other arguments of :func:`meshlens.analysis.trace.trace` (``dst``, ``src``,
            ``http_version``, ``port``, ``tls``, ``sni``, ``alpn``, ``random_value``).

    Raises:
        UsageError: the source proxy is not found, or ``endpoint`` is not one of the trace's endpoints.
    """
    if isinstance(target, EnvoyProxy):
        snapshot = Snapshot(proxies=[target])
        source_proxy = target
    else:
        snapshot = _snapshot(target)
        source_proxy = snapshot.proxy(from_)
    hdrs = list(headers.items()) if isinstance(headers, Mapping) else list(headers or ())
    source = trace_proxy(source_proxy, to=to, path=path, method=method, headers=hdrs, **options)
    request = {"authority": to, "path": path, "method": method.upper(), "headers": dict(hdrs),
               "http_version": options.get("http_version", "1.1"),
               "upstream_alpn": tuple(upstream_alpn) if upstream_alpn is not None else None}
    notes: list[str] = []
    if endpoint is not None:
        followed = [e for e in source.endpoints if e.address == endpoint]
        if not followed:
            known = ", ".join(e.address for e in source.endpoints) or "none"
            raise UsageError(f"endpoint {endpoint!r} is not an endpoint of the trace (endpoints: {known})")
    elif all_endpoints:
        followed = list(source.endpoints)
    else:
        followed = _chosen(source.endpoints)
        if len(source.endpoints) > 1 and followed:
            notes.append(f"followed {followed[0].address}, the first healthy of {len(source.endpoints)} endpoints "
                         "(Envoy's load balancer picks one per request; --all-endpoints follows each)")
    if source.disposition not in (Disposition.ROUTED, Disposition.NO_HEALTHY_UPSTREAM):
        followed = []
    index = mesh_index(snapshot)
    src_idx = index_for(source_proxy)
    paths = [_follow(index, src_idx, source, e, request) for e in followed]
    return MeshTrace(source=source, paths=paths, all_endpoints=all_endpoints, notes=notes)


def trace(
    target: Any,
    to: str | None,
    path: str = "/",
    method: str = "GET",
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    dst: str | None = None,
    src: str | None = None,
    http_version: str = "1.1",
    proxy: str | None = None,
    port: int | None = None,
    *,
    from_: str | None = None,
    all_endpoints: bool = False,
    endpoint: str | None = None,
    upstream_alpn: Sequence[str] | None = None,
    **options: Any,
) -> Trace | MeshTrace:
    """``meshlens.trace``: one proxy's trace, or with ``from_`` (``all_endpoints``, ``endpoint``) a cross-proxy one.

    Without ``from_`` this is :func:`meshlens.analysis.trace.trace` (``proxy=`` names the proxy of a
    snapshot; the other arguments are its own). With ``from_`` (the source proxy), :func:`trace_mesh`
    follows the upstream endpoint into the destination's proxy and returns a :class:`MeshTrace`.
    """
    common = {"dst": dst, "src": src, "http_version": http_version, "port": port, **options}
    if from_ is None and not all_endpoints and endpoint is None and upstream_alpn is None:
        return trace_proxy(target, to=to, path=path, method=method, headers=headers, proxy=proxy, **common)
    return trace_mesh(target, from_ if from_ is not None else proxy, to, path, method, headers,
                      all_endpoints=all_endpoints, endpoint=endpoint, upstream_alpn=upstream_alpn, **common)
