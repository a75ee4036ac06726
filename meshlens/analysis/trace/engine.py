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

from collections.abc import Mapping
from typing import Any

from meshlens.analysis.trace.chains import Connection, select_chain
from meshlens.analysis.trace.endpoints import endpoint_verdict
from meshlens.analysis.trace.hcm_request import Downstream, prepare
from meshlens.analysis.trace.listener_select import resolve_destination, select_listener
from meshlens.analysis.trace.model import ClusterPick, Disposition, Trace
from meshlens.analysis.trace.redirects import redirect_location, tls_redirect_location
from meshlens.analysis.trace.request import Request, split_host_port
from meshlens.analysis.trace.routes import route_match
from meshlens.analysis.trace.walk import Walk
from meshlens.errors import UsageError
from meshlens.index.addresses import is_ip, norm_ip
from meshlens.index.proxy import ProxyIndex, index_for
from meshlens.models.envoy.listener import FilterChain, HttpConnectionManager, Listener, TcpProxy
from meshlens.models.envoy.route import Route, RouteConfiguration, VirtualHost
from meshlens.models.snapshot import EnvoyProxy

PASSTHROUGH_CLUSTERS = ("PassthroughCluster", "InboundPassthroughCluster", "InboundPassthroughClusterIpv4",
                        "InboundPassthroughClusterIpv6", "AllowAnyDynamicDNSCluster")
BLACKHOLE_CLUSTERS = ("BlackHoleCluster",)
ALPN = {"1.0": ("http/1.0",), "1.1": ("http/1.1",), "2": ("h2c",), "h2c": ("h2c",), "2.0": ("h2c",)}


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


def _connection(walk: Walk, listener: Listener, dst_ip: str | None, port: int, src: tuple[str | None, int | None],
                http_version: str) -> Connection:
    filters = {f.name for f in listener.listener_filters}
    alpn: tuple[str, ...] = ()
    if any("http_inspector" in f for f in filters):
        alpn = ALPN.get(http_version, ("http/1.1",))
    elif any(ch.filter_chain_match and ch.filter_chain_match.application_protocols for ch in listener.filter_chains):
        walk.notes.append("the listener has no http_inspector: the connection carries no application protocol "
                          "(ALPN), so chains that require one cannot match")
    return Connection(dst_ip=dst_ip, dst_port=port, src_ip=src[0], src_port=src[1], application_protocols=alpn)


def _network_filter(chain: FilterChain) -> HttpConnectionManager | TcpProxy | None:
    for flt in chain.filters:
        if flt.hcm is not None:
            return flt.hcm
        if flt.tcp_proxy is not None:
            return flt.tcp_proxy
    return None


def trace(
    target: Any,
    to: str,
    path: str = "/",
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    dst: str | None = None,
    src: str | None = None,
    http_version: str = "1.1",
    proxy: str | None = None,
    port: int | None = None,
) -> Trace:
    """Where does this request go through the proxy, and why.

    Args:
        target: an EnvoyProxy, a Snapshot (with ``proxy`` naming one when it holds several), or
            anything :func:`meshlens.load` takes.
        to: the authority (Host header); its port is the destination port when ``dst`` is not given
            (80 when it has none).
        path: the request path, with an optional query string.
        method: the HTTP method.
        headers: request headers (names case-insensitive).
        dst: ``IP:PORT``, the connection's original destination (selects the listener); when absent a
            host name is resolved as a sidecar would (service VIP from the capture) and the trace
            says so.
        src: ``IP[:PORT]`` client address (filter chains may match on it); default the proxy's own IP
            (the app next to it) for outbound traffic, unknown (an external client) for inbound traffic
            and waypoints.
        http_version: ``1.0``, ``1.1`` or ``2`` (h2c): what http_inspector reports as ALPN.
        proxy: which proxy of a snapshot.
        port: the destination port when ``dst`` is not given (default: the authority's port, else 80).

    Raises:
        UsageError: an argument is malformed, or the snapshot does not identify one proxy.
    """
    envoy = _resolve_proxy(target, proxy)
    if http_version not in ALPN:
        raise UsageError(f"http_version must be 1.0, 1.1 or 2, not {http_version!r}")
    hdrs = {k.lower(): str(v) for k, v in (headers or {}).items()}
    request = {"authority": to, "path": path, "method": method.upper(), "headers": hdrs, "dst": dst, "src": src,
               "http_version": http_version, "port": port}
    walk = Walk(envoy, request)
    idx = index_for(envoy)
    host, host_port = split_host_port(to)
    dst_ip: str | None
    if dst is not None:
        dst_ip, dst_port = _parse_addr(dst, "dst", need_port=True)
        assert dst_port is not None
    else:
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
    conn = _connection(walk, listener, dst_ip, dst_port, (src_ip, src_port), http_version)
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
        req = Request(authority=to, path=path, method=method.upper(), headers=hdrs)
        return _http(walk, idx, network, req, Downstream(dst_port, src_ip, _tls(choice.chain)))
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


def _route_config(walk: Walk, idx: ProxyIndex, hcm: HttpConnectionManager) -> RouteConfiguration | None:
    if hcm.route_config is not None:
        walk.hop("route_config", hcm.route_config.name or "(inline)", "inline route_config of the connection manager")
        walk.fields["route_config"] = hcm.route_config.name
        return hcm.route_config
    if hcm.rds is not None:
        name = hcm.rds.route_config_name
        walk.fields["route_config"] = name
        found = idx.route_configs.get(name)
        if found is None:
            why = ("the capture has no RoutesConfigDump section" if "routes" not in walk.proxy.sections
                   else f"RDS route configuration {name!r} is not in the capture")
            walk.hop("route_config", name, f"RDS name {name!r}: {why}")
            walk.notes.append(why)
            return None
        walk.hop("route_config", name, f"RDS route_config_name {name!r}")
        return found.route_config
    walk.notes.append("HTTP connection manager with neither RDS nor an inline route_config (scoped routes?)")
    return None


def _http(walk: Walk, idx: ProxyIndex, hcm: HttpConnectionManager, raw: Request, down: Downstream) -> Trace:
    prepared = prepare(walk, hcm, raw, down)
    if isinstance(prepared, Trace):  # the connection manager answered on its own (path normalisation)
        return prepared
    req = prepared.request
    config = _route_config(walk, idx, hcm)
    if config is None:
        return walk.done(Disposition.INSUFFICIENT_INFO)
    lookup = req.authority.lower()
    if config.ignore_port_in_host_matching:
        lookup = split_host_port(lookup)[0]
    vhost, why = idx.vhosts(config).find(lookup)
    if vhost is None:
        walk.hop("virtual_host", "", why)
        return walk.done(Disposition.NO_ROUTE, response_code=404)
    walk.hop("virtual_host", vhost.name, why)
    walk.fields["virtual_host"] = vhost.name
    if (tls := _require_tls(walk, vhost, req, prepared.internal)) is not None:
        return tls
    chosen, index = None, -1
    skipped: list[tuple[str, str]] = []
    for i, route in enumerate(vhost.routes):
        verdict = route_match(route, req)
        if verdict.matched:
            chosen, index = route, i
            walk.notes.extend(verdict.notes)
            walk.hop("route", route.name or str(i), verdict.why, skipped)
            break
        if verdict.undetermined:
            walk.notes.extend(verdict.notes)  # a regex meshlens could not evaluate: say so, don't guess
        skipped.append((route.name or str(i), verdict.why))
    if chosen is None:
        walk.hop("route", "", f"none of the {len(vhost.routes)} routes matches", skipped)
        return walk.done(Disposition.NO_ROUTE, response_code=404)
    walk.fields["route"] = chosen.name or str(index)
    return _action(walk, idx, chosen, req)


def _require_tls(walk: Walk, vhost: VirtualHost, req: Request, internal: bool) -> Trace | None:
    """Envoy's answer for a virtual host that requires TLS (before route matching), or None."""
    mode = vhost.require_tls
    if mode not in ("ALL", "EXTERNAL_ONLY"):
        return None
    proto = req.header("x-forwarded-proto")
    if proto == "https":
        return None
    if mode == "EXTERNAL_ONLY" and internal:
        walk.notes.append("require_tls EXTERNAL_ONLY: the request is internal (client in internal_address_config), "
                          "so it is not redirected")
        return None
    location = tls_redirect_location(req)
    who = "every request" if mode == "ALL" else "external requests"
    walk.hop("action", "require_tls", f"the virtual host requires TLS for {who} ({mode}) and x-forwarded-proto is "
             f"{proto!r}: 301 to {location} before route matching")
    return walk.done(Disposition.REDIRECT, response_code=301, redirect_location=location)


def _action(walk: Walk, idx: ProxyIndex, route: Route, req: Request) -> Trace:
    if route.direct_response is not None:
        status = route.direct_response.status
        walk.hop("action", "direct_response", f"direct response {status}")
        return walk.done(Disposition.DIRECT_RESPONSE, response_code=status)
    if route.redirect is not None:
        r = route.redirect
        location = redirect_location(r, route, req)
        walk.hop("action", "redirect", f"redirect {r.status} to {location}")
        return walk.done(Disposition.REDIRECT, response_code=r.status, redirect_location=location)
    action = route.route
    if action is None:
        walk.hop("action", route.action_kind, f"{route.action_kind} does not forward the request")
        walk.notes.append(f"route action {route.action_kind} is not a forwarding action")
        return walk.done(Disposition.INSUFFICIENT_INFO)
    if action.cluster:
        walk.hop("action", "cluster", f"route to cluster {action.cluster}")
        return _clusters(walk, idx, [ClusterPick(name=action.cluster)], http=True)
    if action.weighted_clusters is not None:
        picks = [ClusterPick(name=c.name, weight=c.weight) for c in action.weighted_clusters.clusters]
        total = sum(p.weight or 0 for p in picks)
        walk.hop("action", "weighted_clusters",
                 "weighted: " + ", ".join(f"{p.name} {p.weight or 0}/{total}" for p in picks))
        return _clusters(walk, idx, picks, http=True)
    if action.cluster_header:
        value = req.header(action.cluster_header)
        if not value:
            walk.hop("action", "cluster_header", f"header {action.cluster_header} is missing")
            code = _not_found_code(action.cluster_not_found_response_code)
            return walk.done(Disposition.NO_CLUSTER, response_code=code)
        walk.hop("action", "cluster_header", f"cluster from header {action.cluster_header}: {value}")
        return _clusters(walk, idx, [ClusterPick(name=value)], http=True,
                         not_found=action.cluster_not_found_response_code)
    walk.notes.append("route action chooses its cluster by a plugin meshlens does not evaluate")
    return walk.done(Disposition.INSUFFICIENT_INFO)


def _not_found_code(code: str | None) -> int:
    return 404 if code == "NOT_FOUND" else 500 if code == "INTERNAL_SERVER_ERROR" else 503


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
        code = _not_found_code(not_found) if http else None
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
