"""Which listener a connection reaches, by its original destination (step 1 of a trace).

* **Own address** (the proxy's IP, on a proxy with an INBOUND listener): Istio's iptables redirect
  inbound traffic to that listener (``virtualInbound``), except ports 15008, 15090, 15021 and 15020,
  which reach the listener bound there (or nothing: refused); a port with a listener bound on this
  exact IP or the wildcard address (other than a capture listener) is reached directly too.
* **Capture** (a listener with ``use_original_dst``: iptables send outbound traffic there): the
  connection is handed to the listener bound to ``dst_ip:port``, else the wildcard listener of the
  destination's address family (``0.0.0.0`` for IPv4, ``::`` for IPv6; IPv4 also reaches ``::`` when
  that listener has ``ipv4_compat``), else the capture listener keeps it.
* **Plain**: the listener bound to ``ip:port``, else the family's wildcard listener.
* **Waypoint**: no socket listener takes the destination, but the proxy has an internal listener
  with a ``filter_chain_matcher`` (Istio's ``main_internal``): traffic arrives as HBONE (CONNECT on
  15008, ``connect_terminate``) and is handed to that listener with the original destination.
"""

from __future__ import annotations

from dataclasses import dataclass

from meshlens.analysis.trace.walk import Walk
from meshlens.index.addresses import ANY_ADDRESS, ip_version, is_ip, norm_ip
from meshlens.index.proxy import ProxyIndex
from meshlens.models.envoy.resources import ListenerResource

ISTIO_INBOUND_EXCLUDED = (15008, 15090, 15021, 15020)  # ISTIO_INBOUND returns these: not redirected
HBONE_PORT = 15008
DNS_SEARCH = ("{ns}.svc.cluster.local", "svc.cluster.local", "cluster.local")


@dataclass
class ListenerPick:
    """The listener a connection lands on (None: no listener) and whether it arrives inbound."""

    resource: ListenerResource | None
    inbound: bool = False  # the client is outside this pod (not the app next to the proxy)


def resolve_destination(walk: Walk, idx: ProxyIndex, host: str, port: int) -> str | None:
    """The IP a sidecar's DNS would give ``host`` (a service VIP from the capture), or None."""
    absolute = host.endswith(".") and not host.endswith("..")
    name = host[:-1] if absolute else host
    if is_ip(name):
        return norm_ip(name)
    name = name.lower()
    vips = idx.host_vips()
    ns = walk.proxy.namespace or "default"
    names = [name] if absolute or ("." in name and name in vips) else []
    if not absolute:  # a fully qualified name (trailing dot) skips the DNS search list
        names += [f"{name}.{suffix.format(ns=ns)}" for suffix in DNS_SEARCH]
    for candidate in names:
        if candidate in vips:
            ip = vips[candidate][0]
            walk.assumptions.append(f"{host} resolves to {ip} (VIP of {candidate}, read from the capture's "
                                    f"route domains and listener names)")
            return ip
    walk.assumptions.append(f"{host} is not a service this proxy knows: assumed to resolve to an address "
                            f"outside the mesh, so only wildcard listeners on port {port} apply")
    return None


def _serving(res: ListenerResource | None) -> ListenerResource | None:
    return res if res is not None and res.state in ("static", "active") else None


def _bound(res: ListenerResource | None) -> ListenerResource | None:
    """``res`` when it owns a socket connections can reach directly (not a capture listener)."""
    if res is None or res.raw.get("bind_to_port") is False or res.raw.get("use_original_dst"):
        return None
    return res


def _wildcard_name(dst_ip: str | None) -> str:
    return ANY_ADDRESS[6] if ip_version(dst_ip) == 6 else ANY_ADDRESS[4]


def _own_address(walk: Walk, exact: ListenerResource | None, wildcard: ListenerResource | None,
                 dst_ip: str, port: int) -> ListenerPick | None:
    """Inbound traffic on a proxy with an INBOUND listener (iptables inbound capture); None without one."""
    inbound = next((r for r in walk.proxy.valid_listeners if r.state in ("static", "active")
                    and r.raw.get("traffic_direction") == "INBOUND" and "address" in r.raw), None)
    if inbound is None:
        return None
    bound = _bound(exact) or _bound(wildcard)
    if port in ISTIO_INBOUND_EXCLUDED or bound is not None:
        why = (f"Istio's iptables do not redirect inbound port {port}" if port in ISTIO_INBOUND_EXCLUDED
               else f"a listener is bound to port {port}")
        if bound is None:
            walk.notes.append(f"{why}, and no listener is bound to {dst_ip}:{port}: the connection is refused")
            return ListenerPick(None, inbound=True)
        where = "the exact address" if bound is exact else f"the wildcard address on port {port}"
        walk.hop("listener", bound.name, f"{dst_ip} is this proxy's own address and {why} (assumed): the "
                 f"connection reaches the listener bound to {where}")
        return ListenerPick(bound, inbound=True)
    walk.hop("listener", inbound.name, f"{dst_ip} is this proxy's own address: inbound traffic is "
             "redirected to the INBOUND listener (iptables capture, assumed)")
    return ListenerPick(inbound, inbound=True)


def _internal(walk: Walk, idx: ProxyIndex, dst_ip: str | None, port: int) -> ListenerPick | None:
    candidates = [r for r in idx.internal if r.raw.get("filter_chain_matcher")]
    if not candidates:
        return None
    pick = next((r for r in candidates if r.raw.get("traffic_direction") == "INBOUND"), candidates[0])
    terminate = _serving(idx.wildcard(None, HBONE_PORT))
    via = terminate.name if terminate is not None and terminate.name else "connect_terminate"
    dst = f"{dst_ip or '*'}:{port}"
    walk.hop("listener", pick.name, f"waypoint: HBONE via {via} → {pick.name} (assumed): no socket listener "
             f"takes {dst}; the CONNECT tunnel hands the connection to internal listener {pick.name} with "
             f"original destination {dst}", [(f"{_wildcard_name(dst_ip)}_{port}", f"no listener for {dst}")])
    walk.assumptions.append(f"the request reaches this waypoint as HBONE (HTTP CONNECT to port {HBONE_PORT}) "
                            f"for {dst}, which {via} hands to internal listener {pick.name}")
    return ListenerPick(pick, inbound=True)


def not_serving(walk: Walk, dst_ip: str | None, port: int) -> list[tuple[str, str]]:
    """Listeners for ``dst_ip:port`` (or the wildcard address on ``port``) that Envoy holds but does not
    serve: warming (waiting for its clusters or routes), draining, or rejected.
    """
    out = []
    for res in walk.proxy.listeners:
        if res.state in ("static", "active"):
            continue
        try:
            address = res.listener.address
        except Exception:  # noqa: BLE001 - a listener the model refused is reported by the loader, not here
            continue
        if address is None or address.port != port:
            continue
        ip = address.ip or ""
        if ip in (dst_ip, *ANY_ADDRESS.values()) or dst_ip is None:
            why = {"warming": "is warming (Envoy does not serve it until its clusters and routes arrive)",
                   "draining": "is draining (being removed)",
                   "rejected": "was rejected by Envoy (its config failed to apply)"}.get(res.state, f"is {res.state}")
            out.append((res.name or f"{ip}_{port}", why))
    return out


def select_listener(walk: Walk, idx: ProxyIndex, dst_ip: str | None, port: int) -> ListenerPick:
    """The listener the connection to ``dst_ip:port`` reaches (recording the hops), if any; a listener for
    that address that Envoy holds but does not serve (warming, draining, rejected) is named.
    """
    pick = _select_listener(walk, idx, dst_ip, port)
    held = not_serving(walk, dst_ip, port)
    reasons = dict(held)
    if reasons:  # a skipped candidate Envoy holds but does not serve: say why, not "no listener"
        walk.hops = [h.model_copy(update={"skipped": [
            s.model_copy(update={"reason": f"{s.name} {reasons[s.name]}"}) if s.name in reasons else s
            for s in h.skipped]}) if h.kind == "listener" else h for h in walk.hops]
    for name, why in held:
        if pick.resource is None:
            walk.notes.append(f"listener {name} for port {port} {why}: no listener serves {dst_ip or '*'}:{port}")
        else:
            walk.notes.append(f"listener {name} for port {port} {why}: port {port} is served by listener "
                              f"{pick.resource.name} instead")
    return pick


def _select_listener(walk: Walk, idx: ProxyIndex, dst_ip: str | None, port: int) -> ListenerPick:
    exact = _serving(idx.exact(dst_ip, port))
    wildcard = _serving(idx.wildcard(dst_ip, port))
    if dst_ip is not None and norm_ip(dst_ip) in idx.own_ips:
        own = _own_address(walk, exact, wildcard, dst_ip, port)
        if own is not None:
            return own
    any_name = f"{_wildcard_name(dst_ip)}_{port}"
    capture = next((r for r in idx.original_dst if r.raw.get("traffic_direction") != "INBOUND"), None)
    if capture is not None:
        target = exact or wildcard
        skipped = []
        if exact is None and dst_ip is not None:
            skipped.append((f"{dst_ip}_{port}", "no listener for the exact original destination"))
        if target is not None and target is not capture:
            how = ("exact address" if target is exact
                   else f"wildcard address {_listener_ip(target, port, idx)} on port {port}")
            walk.hop("listener", capture.name, "use_original_dst: receives outbound traffic (iptables capture, "
                     "assumed) and hands the connection off")
            walk.hop("listener", target.name, f"original destination {dst_ip or '*'}:{port} matches its {how}",
                     skipped)
            return ListenerPick(target)
        if target is None:
            skipped.append((any_name, f"no listener on port {port} for this address family"))
        walk.hop("listener", capture.name, f"use_original_dst: no other listener for {dst_ip or '*'}:{port}, "
                 "so this listener's own filter chains handle it", skipped)
        return ListenerPick(capture)
    for res, how in ((exact, "bound to the exact address"), (wildcard, f"bound to the wildcard address:{port}")):
        if res is not None and res.raw.get("bind_to_port") is not False:
            walk.hop("listener", res.name, how)
            return ListenerPick(res)
    return _internal(walk, idx, dst_ip, port) or ListenerPick(None)


def _listener_ip(res: ListenerResource, port: int, idx: ProxyIndex) -> str:
    for version, any_ip in ANY_ADDRESS.items():
        if idx.by_port_wildcard.get((version, port)) is res:
            return any_ip
    return "*"
