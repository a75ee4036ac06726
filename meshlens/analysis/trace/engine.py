"""Trace a request through a captured Envoy: listener -> filter chain -> route -> cluster -> endpoints.

The walk follows Envoy's documented behaviour, and every hop records what matched and which
candidates were skipped, with the reason:

1. **Listener** by original destination: :mod:`meshlens.analysis.trace.listener_select` (iptables capture
   and hand-off by address family, inbound traffic to the proxy's own IP, waypoints' internal
   listener).
2. **Filter chain**: :mod:`meshlens.analysis.trace.chains`.
3. **HTTP connection manager**: what it changes before routing (path normalisation, Host, the
   headers it adds: :mod:`meshlens.analysis.trace.hcm_request`), then the route configuration by RDS name
   or inline; or **tcp_proxy**.
4. **Virtual host** by the Host header (``require_tls`` redirects plaintext requests first),
   **route** first match, **action** (redirects: :mod:`meshlens.analysis.trace.redirects`), **cluster**,
   **endpoints**.

Anything the capture does not hold (an RDS route configuration, EDS endpoints) gives
``INSUFFICIENT_INFO`` with the reason, never a guess.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from meshlens.analysis.trace.chains import Connection, select_chain
from meshlens.analysis.trace.endpoints import endpoint_verdict
from meshlens.analysis.trace.hcm_request import Downstream, trim_headers
from meshlens.analysis.trace.http import not_found_code, trace_http
from meshlens.analysis.trace.listener_select import resolve_destination, select_listener
from meshlens.analysis.trace.model import ClusterPick, Disposition, Trace
from meshlens.analysis.trace.request import Request, split_host_port
from meshlens.analysis.trace.walk import Walk
from meshlens.errors import UsageError
from meshlens.index.addresses import is_ip, norm_ip
from meshlens.index.proxy import ProxyIndex, index_for
from meshlens.models.envoy.listener import FilterChain, HttpConnectionManager, Listener, TcpProxy
from meshlens.models.snapshot import EnvoyProxy

PASSTHROUGH_CLUSTERS = ("PassthroughCluster", "InboundPassthroughCluster", "InboundPassthroughClusterIpv4",
                        "InboundPassthroughClusterIpv6", "AllowAnyDynamicDNSCluster")
BLACKHOLE_CLUSTERS = ("BlackHoleCluster",)
ALPN = {"1.0": ("http/1.0",), "1.1": ("http/1.1",), "2": ("h2c",), "h2c": ("h2c",), "2.0": ("h2c",)}
TLS_ALPN = {"1.0": ("http/1.0",), "1.1": ("http/1.1",), "2": ("h2",), "h2c": ("h2",), "2.0": ("h2",)}


def _resolve_proxy(target: Any, name: str | None) -> EnvoyProxy:
    from meshlens.sources.coerce import as_proxy  # a source is loaded; a loaded object is used as it is

    return as_proxy(target, name)


def _parse_addr(value: str, what: str, need_port: bool) -> tuple[str, int | None]:
    host, port = split_host_port(value.strip())
    host = host.strip("[]")
    if not is_ip(host):
        raise UsageError(f"{what} must be an IP address{' and port (IP:PORT)' if need_port else ''}, not {value!r}")
    if need_port and port is None:
        raise UsageError(f"{what} needs a port: IP:PORT, not {value!r}")
    return norm_ip(host), port


@dataclass(frozen=True)
class Client:
    """What the client's connection looks like to the listener filters."""

    http_version: str
    tls: bool = False
    sni: str | None = None
    alpn: tuple[str, ...] | None = None


def _connection(walk: Walk, listener: Listener, dst_ip: str | None, port: int, src: tuple[str | None, int | None],
                client: Client) -> Connection:
    filters = {f.name for f in listener.listener_filters}
    types = {str(f.type_url or "") for f in listener.listener_filters}
    alpn: tuple[str, ...] = ()
    transport = "raw_buffer"
    server_name = None
    if client.tls:
        if any("tls_inspector" in f for f in filters) or any("TlsInspector" in t for t in types):
            transport = "tls"
            server_name = client.sni
            alpn = client.alpn if client.alpn is not None else TLS_ALPN.get(client.http_version, ("http/1.1",))
        else:
            walk.notes.append("the listener has no tls_inspector: the TLS connection's transport protocol, SNI and "
                              "ALPN are not detected, so chains that require them cannot match")
    elif any("http_inspector" in f for f in filters) or any("HttpInspector" in t for t in types):
        alpn = ALPN.get(client.http_version, ("http/1.1",))
    elif any(ch.filter_chain_match and ch.filter_chain_match.application_protocols for ch in listener.filter_chains):
        walk.notes.append("the listener has no http_inspector: the connection carries no application protocol "
                          "(ALPN), so chains that require one cannot match")
    return Connection(dst_ip=dst_ip, dst_port=port, src_ip=src[0], src_port=src[1], application_protocols=alpn,
                      transport_protocol=transport, server_name=server_name)


def _network_filter(chain: FilterChain) -> HttpConnectionManager | TcpProxy | None:
    for flt in chain.filters:
        if flt.hcm is not None:
            return flt.hcm
        if flt.tcp_proxy is not None:
            return flt.tcp_proxy
    return None


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
    tls: bool = False,
    sni: str | None = None,
    alpn: Sequence[str] | None = None,
    random_value: int | None = None,
) -> Trace:
    """Where does this request go through the proxy, and why.

    Args:
        target: an EnvoyProxy, a Snapshot (with ``proxy`` naming one when it holds several), or
            anything :func:`meshlens.load` takes.
        to: the authority (Host header); its port is the destination port when ``dst`` is not given
            (80 when it has none). None: the request has no Host header (HTTP/1.0).
        path: the request path, with an optional query string.
        method: the HTTP method.
        headers: request headers (names case-insensitive): a mapping, or (name, value) pairs where a
            name may repeat; values are trimmed of surrounding whitespace as Envoy's codecs do.
        dst: ``IP:PORT``, the connection's original destination (selects the listener); when absent a
            host name is resolved as a sidecar would (service VIP from the capture) and the trace
            says so.
        src: ``IP[:PORT]`` client address (filter chains may match on it); default the proxy's own IP
            (the app next to it) for outbound traffic, unknown (an external client) for inbound traffic
            and waypoints.
        http_version: ``1.0``, ``1.1`` or ``2`` (h2c): what http_inspector reports as ALPN.
        proxy: which proxy of a snapshot.
        port: the destination port when ``dst`` is not given (default: the authority's port, else 80).
        tls: the client speaks TLS (seen by tls_inspector; the request's scheme is https where a chain
            terminates TLS).
        sni: the TLS server name the client sends (default: the authority's host when ``tls``).
        alpn: the TLS ALPN protocols the client offers (default: ``h2``, ``http/1.1`` by ``http_version``).
        random_value: the stream's random value (decides weighted clusters and runtime fractions as
            Envoy does); None: every eligible weighted cluster is listed.

    Raises:
        UsageError: an argument is malformed, or the snapshot does not identify one proxy.
    """
    envoy = _resolve_proxy(target, proxy)
    if http_version not in ALPN:
        raise UsageError(f"http_version must be 1.0, 1.1 or 2, not {http_version!r}")
    pairs, trimmed = trim_headers(headers)
    hdrs: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for k, v in pairs:
        hdrs[k] = f"{hdrs[k]},{v}" if k in hdrs else v
        multi.setdefault(k, []).append(v)
    repeated = {k: tuple(v) for k, v in multi.items() if len(v) > 1}
    request = {"authority": to, "path": path, "method": method.upper(), "headers": hdrs, "dst": dst, "src": src,
               "http_version": http_version, "port": port, "tls": tls, "sni": sni,
               "alpn": list(alpn) if alpn is not None else None, "random_value": random_value}
    walk = Walk(envoy, request)
    if trimmed:
        walk.assumptions.append("header values are trimmed of surrounding whitespace as Envoy's codec does: "
                                + ", ".join(trimmed))
    idx = index_for(envoy)
    host, host_port = split_host_port(to or "")
    dst_ip: str | None
    if dst is not None:
        dst_ip, dst_port = _parse_addr(dst, "dst", need_port=True)
        assert dst_port is not None
    else:
        if not host:
            raise UsageError("without a Host (to=None) the destination must be given: dst=IP:PORT")
        dst_port = port or host_port or 80
        if port is None and host_port is None:
            walk.assumptions.append("no port in the authority: destination port 80 assumed")
        dst_ip = resolve_destination(walk, idx, host, dst_port)
    pick = select_listener(walk, idx, dst_ip, dst_port)
    src_ip, src_port = _source(walk, idx, src, pick.inbound)
    if pick.resource is None:
        return walk.done(Disposition.NO_LISTENER)
    walk.fields["listener"] = pick.resource.name
    listener = pick.resource.listener
    client = Client(http_version, tls, sni if sni is not None else (host or None) if tls else None,
                    tuple(alpn) if alpn is not None else None)
    conn = _connection(walk, listener, dst_ip, dst_port, (src_ip, src_port), client)
    choice = select_chain(listener, conn)
    if choice.chain is None:
        walk.hop("filter_chain", "", choice.matched_by, choice.skipped)
        return walk.done(Disposition.NO_FILTER_CHAIN)
    walk.hop("filter_chain", choice.name, choice.matched_by, choice.skipped)
    walk.fields["filter_chain"] = choice.name
    network = _network_filter(choice.chain)
    if isinstance(network, TcpProxy):
        return _tcp(walk, idx, network)
    if isinstance(network, HttpConnectionManager):
        terminates = _tls(choice.chain)
        if tls and not terminates:
            walk.notes.append("the client speaks TLS but the chosen filter chain does not terminate it: the HTTP "
                              "connection manager cannot parse the request")
            return walk.done(Disposition.INSUFFICIENT_INFO)
        req = Request(authority=to or "", path=path, method=method.upper(), headers=hdrs, repeated=repeated)
        down = Downstream(dst_port, src_ip, terminates, src_port=src_port, dst_ip=dst_ip, http_version=http_version,
                          has_host=to is not None)
        return trace_http(walk, idx, network, req, down, random_value, _clusters)
    names = ", ".join(f.name for f in choice.chain.filters) or "none"
    walk.notes.append(f"the filter chain has no HTTP connection manager or tcp_proxy (filters: {names})")
    return walk.done(Disposition.INSUFFICIENT_INFO)


def _source(walk: Walk, idx: ProxyIndex, src: str | None, inbound: bool) -> tuple[str | None, int | None]:
    if src is not None:
        return _parse_addr(src, "src", need_port=False)
    if inbound:
        walk.assumptions.append("client address unknown: inbound traffic comes from another workload, not this "
                                "proxy's own IP (source_type EXTERNAL; chains that need a source range or port "
                                "do not match)")
        return None, None
    if idx.own_ips:
        walk.assumptions.append(f"client address {idx.own_ips[0]} (the proxy's own IP: the app next to it)")
        return idx.own_ips[0], None
    return None, None


def _tls(chain: FilterChain) -> bool:
    """Whether the chain terminates TLS (then the request's scheme is https)."""
    ts = chain.transport_socket
    return ts is not None and "DownstreamTlsContext" in str(ts.type_url or "")


def _tcp(walk: Walk, idx: ProxyIndex, tcp: TcpProxy) -> Trace:
    if tcp.cluster:
        picks = [ClusterPick(name=tcp.cluster)]
        why = f"tcp_proxy cluster {tcp.cluster}"
    elif tcp.weighted_clusters is not None:
        picks = [ClusterPick(name=c.name, weight=c.weight) for c in tcp.weighted_clusters.clusters]
        why = "tcp_proxy weighted clusters"
    else:
        walk.notes.append("tcp_proxy without a cluster")
        return walk.done(Disposition.INSUFFICIENT_INFO)
    walk.hop("action", "tcp_proxy", why)
    return _clusters(walk, idx, picks)


def _clusters(walk: Walk, idx: ProxyIndex, picks: list[ClusterPick], http: bool = False,
              not_found: str | None = None) -> Trace:
    walk.fields["clusters"] = picks
    live = [p for p in picks if p.weight is None or p.weight > 0] or picks
    missing = [p.name for p in live if p.name not in idx.clusters]
    for name in missing:
        state = idx.not_serving_clusters.get(name)
        why = f"cluster {name} is {state.state}, not serving" if state else f"cluster {name} does not exist"
        walk.hop("cluster", name, why)
    if missing and len(missing) == len(live):
        code = not_found_code(not_found) if http else None
        return walk.done(Disposition.NO_CLUSTER, response_code=code)
    if missing:
        walk.notes.append(f"weighted clusters not loaded: {', '.join(missing)} (requests sent to them fail: NC)")
    present = [p for p in live if p.name not in missing]
    if all(p.name in BLACKHOLE_CLUSTERS for p in present):
        walk.hop("cluster", present[0].name, "black hole: the connection is dropped")
        return walk.done(Disposition.BLACKHOLE)
    if all(p.name in PASSTHROUGH_CLUSTERS for p in present):
        walk.hop("cluster", present[0].name, "passthrough: forwarded to the original destination")
        return walk.done(Disposition.PASSTHROUGH)
    verdicts = [endpoint_verdict(walk.proxy, idx, idx.clusters[p.name]) for p in present]
    endpoints = [e for v in verdicts for e in v.endpoints]
    for p, v in zip(present, verdicts, strict=True):
        walk.hop("cluster", p.name, v.why)
        walk.notes.extend(v.notes)
    walk.fields["endpoints"] = endpoints
    if any(v.insufficient for v in verdicts):
        return walk.done(Disposition.INSUFFICIENT_INFO)
    if all(v.no_healthy for v in verdicts):
        return walk.done(Disposition.NO_HEALTHY_UPSTREAM, response_code=503 if http else None)
    return walk.done(Disposition.ROUTED)
