"""What istioctl derives from a listener: addresses, port, type, filter-chain match and filter descriptions.

Shared by the ``pc listener`` table (:mod:`.listener`), its hidden ``--waypoint`` table
(:mod:`.waypoint`), ``pc route`` and ``pc all``; kept apart from the tables so that they import it and
not each other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from meshlens.views.envoy._common import (
    BLACKHOLE,
    HCM,
    TCP_PROXY,
    by_state,
    contains_text,
    port_value,
    socket_address,
)

_APP_PROTOCOLS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("App: HTTP TLS", ("http/1.0", "http/1.1", "h2c", "istio-http/1.0", "istio-http/1.1", "istio-h2")),
    ("App: Istio HTTP Plain", ("istio", "istio-http/1.0", "istio-http/1.1", "istio-h2")),
    ("App: TCP TLS", ("istio-peer-exchange", "istio")),
    ("App: HTTP", ("http/1.0", "http/1.1", "h2c")),
)

if TYPE_CHECKING:
    from meshlens.models.snapshot import EnvoyProxy


class ListenerRow(BaseModel):
    """One ``pc listener`` row (one filter chain in verbose mode, one listener otherwise)."""

    name: str
    addresses: list[str]
    port: int
    type: str
    match: str | None = None
    destination: str | None = None
    chain: str | None = None


# --- what istioctl derives from a listener ------------------------------------------------------
def listener_address(raw: dict[str, Any]) -> str:
    address = raw.get("address")
    sa = socket_address(address)
    if sa is not None:
        return str(sa.get("address", ""))
    pipe = address.get("pipe") if isinstance(address, dict) else None
    return str(pipe.get("path", "")) if isinstance(pipe, dict) else ""


def additional_addresses(raw: dict[str, Any]) -> list[str]:
    out = []
    for extra in raw.get("additional_addresses") or ():
        sa = socket_address(extra.get("address") if isinstance(extra, dict) else None)
        out.append(str(sa.get("address", "")) if sa is not None else "")
    return out


def listener_port(raw: dict[str, Any]) -> int:
    return port_value(socket_address(raw.get("address")))


def filter_chains(raw: dict[str, Any]) -> list[dict[str, Any]]:
    chains = [c for c in raw.get("filter_chains") or () if isinstance(c, dict)]
    default = raw.get("default_filter_chain")
    if isinstance(default, dict):
        chains.append(default)
    return chains


def chain_filters(chain: dict[str, Any]) -> list[dict[str, Any]]:
    """The chain's network filters (entries that are not objects are skipped)."""
    return [f for f in chain.get("filters") or () if isinstance(f, dict)]


def listener_type(raw: dict[str, Any]) -> str:
    """``HTTP``, ``TCP``, ``HTTP+TCP`` or ``UNKNOWN`` (a BlackHoleCluster tcp_proxy does not count)."""
    n_http = n_tcp = 0
    for chain in filter_chains(raw):
        for f in chain_filters(chain):
            if f.get("name") == HCM:
                n_http += 1
            elif f.get("name") == TCP_PROXY and not contains_text(f.get("typed_config") or {}, BLACKHOLE):
                n_tcp += 1
    if n_http:
        return "HTTP+TCP" if n_tcp else "HTTP"
    return "TCP" if n_tcp else "UNKNOWN"


def describe_chain_match(match: Any) -> str:
    """MATCH: SNI, transport, application protocols and destination address/port, or ``ALL``."""
    m = match if isinstance(match, dict) else {}
    parts: list[str] = []
    if m.get("server_names"):
        parts.append("SNI: " + ",".join(m["server_names"]))
    if m.get("transport_protocol"):
        parts.append(f"Trans: {m['transport_protocol']}")
    protocols = m.get("application_protocols")
    if protocols:
        label = next((d for d, known in _APP_PROTOCOLS if tuple(protocols) == known), None)
        parts.append(label or "App: " + ",".join(protocols))
    port = ""
    if "destination_port" in m:
        dport = m["destination_port"]
        port = f":{dport.get('value', 0) if isinstance(dport, dict) else dport}"
    ranges = m.get("prefix_ranges")
    if ranges:
        cidrs = ",".join(f"{r.get('address_prefix', '')}/{_wrapped_int(r.get('prefix_len'))}" for r in ranges)
        parts.append(f"Addr: {cidrs}{port}")
    elif port:
        parts.append(f"Addr: *{port}")
    return "; ".join(parts) if parts else "ALL"


def _wrapped_int(value: Any) -> int:
    """A ``google.protobuf.UInt32Value`` from JSON (a number, or ``{"value": n}``); 0 when unset."""
    if isinstance(value, dict):
        value = value.get("value", 0)
    return value if isinstance(value, int) else 0


def describe_filters(filters: list[dict[str, Any]]) -> str:
    """DESTINATION: the first HTTP connection manager or (non-blackhole) tcp_proxy of a chain."""
    for f in filters:
        config = found if isinstance(found := f.get("typed_config"), dict) else {}
        if f.get("name") == HCM:
            if isinstance(config.get("route_config"), dict):
                return _describe_route_config(config["route_config"])
            rds = config.get("rds")
            name = rds.get("route_config_name", "") if isinstance(rds, dict) else ""
            return f"Route: {name}" if name else "HTTP"
        if f.get("name") == TCP_PROXY and not contains_text(config, BLACKHOLE):
            cluster = config.get("cluster", "")
            cluster = cluster if isinstance(cluster, str) else ""
            return cluster if "Cluster" in cluster else f"Cluster: {cluster}"
    return "Non-HTTP/Non-TCP"


def _describe_route_config(route_config: dict[str, Any]) -> str:
    cluster = _match_all_cluster(route_config)
    if cluster:
        return cluster
    vhosts = []
    for vh in route_config.get("virtual_hosts") or ():
        domains = _describe_domains(vh)
        routes = ", ".join(describe_route_match(r.get("match")) for r in vh.get("routes") or ())
        vhosts.append(f"{domains} {routes}" if domains else routes)
    return "Inline Route: " + "; ".join(vhosts)


def _match_all_cluster(route_config: dict[str, Any]) -> str:
    vhosts = route_config.get("virtual_hosts") or []
    if len(vhosts) != 1 or vhosts[0].get("domains") != ["*"]:
        return ""
    routes = vhosts[0].get("routes") or []
    if len(routes) != 1:
        return ""
    route = routes[0]
    match = found if isinstance(found := route.get("match"), dict) else {}
    action = route.get("route")
    if match.get("prefix") != "/" or not isinstance(action, dict) or not isinstance(action.get("cluster"), str):
        return ""
    cluster: str = action["cluster"]
    return cluster if "Cluster" in cluster else f"Cluster: {cluster}"


def _describe_domains(vh: dict[str, Any]) -> str:
    domains = vh.get("domains") or []
    if domains == ["*"]:
        return ""
    return "/".join(domains)


def describe_route_match(match: Any) -> str:
    """A route's match as istioctl shows it: ``<prefix>*``, ``PathPrefix:<p>``, ``<path>``, ``regex <re>``."""
    m = match if isinstance(match, dict) else {}
    conds = []
    if m.get("prefix"):
        conds.append(f"{m['prefix']}*")
    if m.get("path_separated_prefix"):
        conds.append(f"PathPrefix:{m['path_separated_prefix']}")
    if m.get("path"):
        conds.append(str(m["path"]))
    regex = m.get("safe_regex")
    if isinstance(regex, dict):
        conds.append(f"regex {regex.get('regex', '')}")
    return " ".join(conds)


def active_listeners(proxy: EnvoyProxy) -> list[Any]:
    """Listeners with an active state (dynamic, in dump order), then static ones."""
    return by_state(proxy.valid_listeners, "active", "static")
