"""Trace a request through a captured Envoy: listener -> filter chain -> route -> cluster -> endpoints.

The walk follows Envoy's documented behaviour, and every hop records what matched and which
candidates were skipped, with the reason:

1. **Listener** by original destination. A sidecar (a listener with ``use_original_dst``, i.e.
   iptables capture) receives outbound traffic on that listener, which hands the connection to the
   listener bound to ``dst_ip:port``, else ``0.0.0.0:port`` (``bind_to_port: false`` listeners are
   meant for this), else keeps it. Traffic to the proxy's own IP goes to the INBOUND listener.
   Without such a listener, the connection reaches the listener bound to ``ip:port``, else
   ``0.0.0.0:port``.
2. **Filter chain**: :mod:`meshlens.analysis.chains`.
3. **HTTP connection manager** → route configuration by RDS name or inline; or **tcp_proxy**.
4. **Virtual host** by the Host header, **route** first match, **action**, **cluster**, **endpoints**.

Anything the capture does not hold (an RDS route configuration, EDS endpoints) gives
``INSUFFICIENT_INFO`` with the reason, never a guess.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from typing import Any

from meshlens.analysis.chains import Connection, select_chain
from meshlens.analysis.endpoints import endpoint_verdict
from meshlens.analysis.index import ProxyIndex, index_for, is_ip
from meshlens.analysis.matching import Request, route_match, split_host_port
from meshlens.analysis.trace_model import ClusterPick, Disposition, Hop, Skipped, Trace
from meshlens.errors import UsageError
from meshlens.models.envoy.listener import FilterChain, HttpConnectionManager, Listener, TcpProxy
from meshlens.models.envoy.resources import ListenerResource
from meshlens.models.envoy.route import RedirectAction, Route, RouteConfiguration
from meshlens.models.snapshot import EnvoyProxy, Snapshot

MAX_SKIPPED = 25
PASSTHROUGH_CLUSTERS = ("PassthroughCluster", "InboundPassthroughCluster", "InboundPassthroughClusterIpv4",
                        "InboundPassthroughClusterIpv6", "AllowAnyDynamicDNSCluster")
BLACKHOLE_CLUSTERS = ("BlackHoleCluster",)
ALPN = {"1.0": ("http/1.0",), "1.1": ("http/1.1",), "2": ("h2c",), "h2c": ("h2c",), "2.0": ("h2c",)}
DNS_SEARCH = ("{ns}.svc.cluster.local", "svc.cluster.local", "cluster.local")


class _Walk:
    """Collects hops, notes and assumptions while the trace proceeds."""

    def __init__(self, proxy: EnvoyProxy, request: dict[str, Any]) -> None:
        self.proxy = proxy
        self.request = request
        self.hops: list[Hop] = []
        self.notes: list[str] = []
        self.assumptions: list[str] = []
        self.fields: dict[str, Any] = {}

    def hop(self, kind: str, name: str, matched_by: str, skipped: list[tuple[str, str]] | None = None) -> None:
        items = skipped or []
        shown = [Skipped(name=n or "(unnamed)", reason=r) for n, r in items[:MAX_SKIPPED]]
        if len(items) > MAX_SKIPPED:
            shown.append(Skipped(name=f"... {len(items) - MAX_SKIPPED} more", reason="not shown"))
        self.hops.append(Hop(kind=kind, name=name, matched_by=matched_by, skipped=shown))

    def done(self, disposition: Disposition, **extra: Any) -> Trace:
        data = {**self.fields, **extra}
        return Trace(disposition=disposition, request=self.request, hops=self.hops, notes=self.notes,
                     assumptions=self.assumptions, proxy=self.proxy.node_id or self.proxy.name, **data)


def _resolve_proxy(target: Any, name: str | None) -> EnvoyProxy:
    if isinstance(target, EnvoyProxy):
        return target
    if isinstance(target, Snapshot):
        return target.proxy(name)
    from meshlens.sources import load  # a path, bytes or dict: load it first

    return load(target).proxy(name)


def _parse_addr(value: str, what: str, need_port: bool) -> tuple[str, int | None]:
    host, port = split_host_port(value.strip())
    host = host.strip("[]")
    if not is_ip(host):
        raise UsageError(f"{what} must be an IP address{' and port (IP:PORT)' if need_port else ''}, not {value!r}")
    if need_port and port is None:
        raise UsageError(f"{what} needs a port: IP:PORT, not {value!r}")
    return host, port


def _resolve_destination(walk: _Walk, idx: ProxyIndex, host: str, port: int) -> str | None:
    """The IP a sidecar's DNS would give ``host`` (a service VIP from the capture), or None."""
    if is_ip(host):
        return host.strip("[]")
    vips = idx.host_vips()
    ns = walk.proxy.namespace or "default"
    names = [host] if "." in host and host in vips else []
    names += [f"{host}.{suffix.format(ns=ns)}" for suffix in DNS_SEARCH]
    for name in names:
        if name in vips:
            ip = vips[name][0]
            walk.assumptions.append(f"{host} resolves to {ip} (VIP of {name}, read from the capture's "
                                    f"route domains and listener names)")
            return ip
    walk.assumptions.append(f"{host} is not a service this proxy knows: assumed to resolve to an address "
                            f"outside the mesh, so only wildcard listeners on port {port} apply")
    return None


def _serving_listener(res: ListenerResource | None) -> ListenerResource | None:
    return res if res is not None and res.state in ("static", "active") else None


def _select_listener(walk: _Walk, idx: ProxyIndex, dst_ip: str | None, port: int) -> ListenerResource | None:
    proxy = walk.proxy
    exact = _serving_listener(idx.by_address.get((dst_ip, port))) if dst_ip else None
    wildcard = _serving_listener(idx.by_port_wildcard.get(port))
    if dst_ip is not None and dst_ip in proxy.ips:
        inbound = next((r for r in proxy.listeners if r.state in ("static", "active")
                        and r.raw.get("traffic_direction") == "INBOUND"), None)
        if inbound is not None:
            walk.hop("listener", inbound.name, f"{dst_ip} is this proxy's own address: inbound traffic is "
                     "redirected to the INBOUND listener (iptables capture, assumed)")
            return inbound
    capture = next((r for r in idx.original_dst if r.raw.get("traffic_direction") != "INBOUND"), None)
    if capture is not None:
        target = exact or wildcard
        skipped = []
        if exact is None and dst_ip is not None:
            skipped.append((f"{dst_ip}_{port}", "no listener for the exact original destination"))
        if target is not None and target is not capture:
            how = "exact address" if target is exact else f"wildcard address on port {port}"
            walk.hop("listener", capture.name, "use_original_dst: receives outbound traffic (iptables capture, "
                     "assumed) and hands the connection off")
            walk.hop("listener", target.name, f"original destination {dst_ip or '*'}:{port} matches its {how}",
                     skipped)
            return target
        skipped.append((f"0.0.0.0_{port}", f"no listener on port {port}"))
        walk.hop("listener", capture.name, f"use_original_dst: no listener for {dst_ip or '*'}:{port}, "
                 "so this listener's own filter chains handle it", skipped)
        return capture
    for res, how in ((exact, "bound to the exact address"), (wildcard, f"bound to the wildcard address:{port}")):
        if res is not None and res.raw.get("bind_to_port") is not False:
            walk.hop("listener", res.name, how)
            return res
    return None


def _connection(walk: _Walk, listener: Listener, dst_ip: str | None, port: int, src: tuple[str | None, int | None],
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
        src: ``IP[:PORT]`` client address (filter chains may match on it); default the proxy's own IP.
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
    walk = _Walk(envoy, request)
    idx = index_for(envoy)
    host, host_port = split_host_port(to)
    if dst is not None:
        dst_ip, dst_port = _parse_addr(dst, "dst", need_port=True)
        assert dst_port is not None
    else:
        dst_port = port or host_port or 80
        if port is None and host_port is None:
            walk.assumptions.append("no port in the authority: destination port 80 assumed")
        dst_ip = _resolve_destination(walk, idx, host, dst_port)
    if src is not None:
        src_ip, src_port = _parse_addr(src, "src", need_port=False)
    else:
        src_ip, src_port = (envoy.ips[0] if envoy.ips else None), None
        if src_ip:
            walk.assumptions.append(f"client address {src_ip} (the proxy's own IP: the app next to it)")
    listener_res = _select_listener(walk, idx, dst_ip, dst_port)
    if listener_res is None:
        return walk.done(Disposition.NO_LISTENER)
    walk.fields["listener"] = listener_res.name
    listener = listener_res.listener
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
        return _http(walk, idx, network, req, listener.port)
    names = ", ".join(f.name for f in choice.chain.filters) or "none"
    walk.notes.append(f"the filter chain has no HTTP connection manager or tcp_proxy (filters: {names})")
    return walk.done(Disposition.INSUFFICIENT_INFO)


def _tcp(walk: _Walk, idx: ProxyIndex, tcp: TcpProxy) -> Trace:
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


def _route_config(walk: _Walk, idx: ProxyIndex, hcm: HttpConnectionManager) -> RouteConfiguration | None:
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


def _http(walk: _Walk, idx: ProxyIndex, hcm: HttpConnectionManager, req: Request, listener_port: int | None) -> Trace:
    config = _route_config(walk, idx, hcm)
    if config is None:
        return walk.done(Disposition.INSUFFICIENT_INFO)
    host, port = split_host_port(req.authority.lower())
    lookup = req.authority.lower()
    if port is not None and (hcm.strip_any_host_port or config.ignore_port_in_host_matching
                             or (hcm.strip_matching_host_port and port == listener_port)):
        lookup = host
    vhost, why = idx.vhosts(config).find(lookup)
    if vhost is None:
        walk.hop("virtual_host", "", why)
        return walk.done(Disposition.NO_ROUTE, response_code=404)
    walk.hop("virtual_host", vhost.name, why)
    walk.fields["virtual_host"] = vhost.name
    chosen, index, skipped = None, -1, []
    for i, route in enumerate(vhost.routes):
        verdict = route_match(route, req)
        if verdict.matched:
            chosen, index = route, i
            walk.notes.extend(verdict.notes)
            walk.hop("route", route.name or str(i), verdict.why, skipped)
            break
        skipped.append((route.name or str(i), verdict.why))
    if chosen is None:
        walk.hop("route", "", f"none of the {len(vhost.routes)} routes matches", skipped)
        return walk.done(Disposition.NO_ROUTE, response_code=404)
    walk.fields["route"] = chosen.name or str(index)
    return _action(walk, idx, chosen, req)


def _redirect_location(r: RedirectAction, route: Route, req: Request) -> str:
    """The ``Location`` Envoy sends for a redirect route (scheme, host, port, path, query)."""
    host, port = split_host_port(req.authority)
    scheme = "https" if r.https_redirect else (r.scheme_redirect or req.scheme)
    if r.host_redirect:
        host, port = r.host_redirect, None  # the request's port does not carry over to a new host
    if r.port_redirect:
        port = r.port_redirect
    elif scheme != req.scheme and port == {"http": 80, "https": 443}.get(req.scheme):
        port = None  # the old scheme's default port does not carry over
    path = req.path_only
    query = req.path[len(path):]
    if r.path_redirect is not None:
        path, sep, new_query = r.path_redirect.partition("?")
        if sep:
            query = "?" + new_query
    elif r.prefix_rewrite is not None:
        matched = route.match.prefix or route.match.path or route.match.path_separated_prefix or ""
        path = r.prefix_rewrite + path[len(matched):]
    elif r.regex_rewrite is not None:
        pattern = (r.regex_rewrite.get("pattern") or {}).get("regex", "")
        substitution = re.sub(r"\\0", r"\\g<0>", str(r.regex_rewrite.get("substitution", "")))
        with contextlib.suppress(re.error):
            path = re.sub(pattern, substitution, path)  # RE2 and Python share the \1 backreference syntax
    if r.strip_query:
        query = ""
    authority = host if port is None else f"{host}:{port}"
    return f"{scheme}://{authority}{path}{query}"


def _action(walk: _Walk, idx: ProxyIndex, route: Route, req: Request) -> Trace:
    if route.direct_response is not None:
        status = route.direct_response.status
        walk.hop("action", "direct_response", f"direct response {status}")
        return walk.done(Disposition.DIRECT_RESPONSE, response_code=status)
    if route.redirect is not None:
        r = route.redirect
        location = _redirect_location(r, route, req)
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


def _clusters(walk: _Walk, idx: ProxyIndex, picks: list[ClusterPick], http: bool = False,
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
