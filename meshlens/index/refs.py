"""Every reference a proxy's listeners and route configurations make, read once from the raw resources.

One walk over the served listeners (filter chains, HCM inline route configs and RDS names, TCP
proxy clusters) and over every route configuration (virtual hosts, routes, the clusters their
actions name) yields typed, located records. The reference index (:mod:`meshlens.index.proxy`)
keeps them; the checks read them and the request graph (:mod:`meshlens.index.graph`) is drawn from
them, so a finding names what ``proxy.graph()`` shows:

- filter chain ``<listener>/<chain label>``; the label is the chain's name, ``#<i>`` when it has
  none, ``<name>#<i>`` when two chains of the listener share a name (Istio names a port's TLS and
  plaintext chains alike), ``default_filter_chain`` for an unnamed default chain;
- route configuration: its RDS name, or ``<listener>/<chain label>/inline:<name>`` inline;
- virtual host ``<route config>/<virtual host name>``; route ``<virtual host>/<route name or index>``.

The walk reads raw dicts: validating every listener and route model of a 5,000-service sidecar
would cost more than loading it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from meshlens.models.base import Location
from meshlens.models.envoy.core import short_type
from meshlens.models.envoy.resources import ListenerResource, RouteConfigResource
from meshlens.models.snapshot import EnvoyProxy

DEFAULT_CHAIN = "default_filter_chain"


def dig(raw: Any, *keys: str) -> Any:
    """``raw[k1][k2]...`` through dicts, None as soon as a step is missing or not a dict."""
    for key in keys:
        if not isinstance(raw, dict):
            return None
        raw = raw.get(key)
    return raw


def listener_key(res: ListenerResource) -> str:
    """The name a listener is known by in the index and graph (``@<json path>`` when unnamed)."""
    return res.name or f"@{res.json_path}"


class ChainEntry(NamedTuple):
    """One filter chain of a served listener."""

    listener: ListenerResource
    label: str
    position: int | None  # in ``filter_chains``; None for the default chain
    raw: dict[str, Any]

    @property
    def name(self) -> str:
        """``<listener>/<chain label>``, as the graph names it."""
        return f"{listener_key(self.listener)}/{self.label}"

    @property
    def path(self) -> str:
        """JSON path of the chain inside its listener."""
        return DEFAULT_CHAIN_PATH if self.position is None else f".filter_chains[{self.position}]"


DEFAULT_CHAIN_PATH = ".default_filter_chain"


@dataclass(frozen=True)
class RouteConfigEntry:
    """A route configuration as the proxy serves it: dynamic (RDS) or inline in a listener's HCM."""

    name: str  # the subject name: the RDS name, or <listener>/<chain>/inline:<name>
    raw: dict[str, Any]
    location: Location
    inline: bool = False
    resource: RouteConfigResource | None = None  # the loaded resource (RDS, or a static entry)
    chain: ChainEntry | None = None  # the chain an inline configuration sits in


class VhostEntry(NamedTuple):
    """One virtual host of a route configuration."""

    config: RouteConfigEntry
    position: int  # in ``virtual_hosts``
    raw: dict[str, Any]

    @property
    def vhost(self) -> str:
        """The virtual host's own name."""
        return str(self.raw.get("name", ""))

    @property
    def name(self) -> str:
        """``<route config>/<virtual host>``, as the graph names it."""
        return f"{self.config.name}/{self.vhost}"


class RouteEntry(NamedTuple):
    """One route of a virtual host (a named tuple: a big sidecar has thousands)."""

    config: RouteConfigEntry
    vhost: str
    vhost_index: int
    position: int  # in the virtual host's ``routes``
    raw: dict[str, Any]
    subject_name: str  # <route config>/<virtual host>/<route name or index>, as the graph names it

    @property
    def location(self) -> Location:  # built on demand: a dump has thousands of routes
        """Where the route is in the dump."""
        return self.config.location.child(f".virtual_hosts[{self.vhost_index}].routes[{self.position}]")

    @property
    def label(self) -> str:
        """The route's name, else its index."""
        return str(self.raw.get("name") or self.position)

    @property
    def vhost_name(self) -> str:
        """``<route config>/<virtual host>``: the route's virtual host as the graph names it."""
        return f"{self.config.name}/{self.vhost}"


class ClusterRef(NamedTuple):
    """Something that sends traffic to cluster ``cluster``: a route, or a listener's TCP proxy."""

    cluster: str
    kind: str  # route | listener
    name: str  # subject name of the referrer (a route, or the listener for a TCP proxy)
    via: str  # route | weighted_clusters | tcp_proxy
    base: Location
    suffix: str = ""
    weight: Any = None  # a weighted cluster's weight, as the dump gives it
    chain: str = ""  # for a TCP proxy: the filter chain (``<listener>/<label>``) it sits in

    @property
    def location(self) -> Location:
        """Where the reference is in the dump."""
        return self.base.child(self.suffix) if self.suffix else self.base


@dataclass(frozen=True)
class RdsRef:
    """A listener's HCM asking for route configuration ``route_config`` over RDS."""

    listener: ListenerResource
    chain: str  # the chain label
    route_config: str
    location: Location

    @property
    def chain_name(self) -> str:
        """``<listener>/<chain label>``."""
        return f"{listener_key(self.listener)}/{self.chain}"


@dataclass
class ProxyRefs:
    """Every reference of one proxy, in dump order."""

    chains: list[ChainEntry] = field(default_factory=list)
    route_configs: list[RouteConfigEntry] = field(default_factory=list)
    vhosts: list[VhostEntry] = field(default_factory=list)
    routes: list[RouteEntry] = field(default_factory=list)
    cluster_refs: list[ClusterRef] = field(default_factory=list)
    rds_refs: list[RdsRef] = field(default_factory=list)
    tcp_refs: list[ClusterRef] = field(default_factory=list)
    cluster_headers: dict[str, str] = field(default_factory=dict)  # route subject -> cluster_header


def chains(res: ListenerResource) -> list[ChainEntry]:
    """Every filter chain of a listener, the default one last, labelled as the module docstring says."""
    raw = res.raw
    found: list[tuple[str, int | None, dict[str, Any]]] = []
    for i, chain in enumerate(raw.get("filter_chains") or ()):
        if isinstance(chain, dict):
            found.append((str(chain.get("name") or "") or f"#{i}", i, chain))
    default = raw.get("default_filter_chain")
    if isinstance(default, dict):
        found.append((str(default.get("name") or DEFAULT_CHAIN), None, default))
    labels = [label for label, _, _ in found]
    return [ChainEntry(res, f"{label}#{n}" if labels.count(label) > 1 else label, i, chain)
            for n, (label, i, chain) in enumerate(found)]


def _clusters_of(action: Any) -> list[tuple[str, str, Any]]:
    """(cluster, via, weight) of a route action or a TCP proxy config."""
    if not isinstance(action, dict):
        return []
    if isinstance(action.get("cluster"), str) and action["cluster"]:
        return [(action["cluster"], "cluster", None)]
    weighted = dig(action, "weighted_clusters", "clusters")
    if isinstance(weighted, list):
        return [(str(c.get("name", "")), "weighted_clusters", c.get("weight")) for c in weighted
                if isinstance(c, dict)]
    return []


def _walk_listener(refs: ProxyRefs, res: ListenerResource) -> None:
    lname = listener_key(res)
    base = res.location
    for entry in chains(res):
        refs.chains.append(entry)
        for j, flt in enumerate(entry.raw.get("filters") or ()):
            tc = flt.get("typed_config") if isinstance(flt, dict) else None
            if not isinstance(tc, dict):
                continue
            path = f"{entry.path}.filters[{j}].typed_config"
            kind = short_type(tc.get("@type"))
            if kind == "HttpConnectionManager":
                inline = tc.get("route_config")
                rds = dig(tc, "rds", "route_config_name")
                if isinstance(inline, dict):
                    name = f"{entry.name}/inline:{inline.get('name', '')}"
                    refs.route_configs.append(RouteConfigEntry(name, inline, base.child(path + ".route_config"),
                                                               inline=True, chain=entry))
                elif isinstance(rds, str):
                    refs.rds_refs.append(RdsRef(res, entry.label, rds, base.child(path + ".rds")))
            elif kind == "TcpProxy":
                for cluster, via, _weight in _clusters_of(tc):
                    ref = ClusterRef(cluster, "listener", lname, "tcp_proxy" if via == "cluster" else via, base, path,
                                     chain=entry.name)
                    refs.tcp_refs.append(ref)
                    refs.cluster_refs.append(ref)


def _walk_routes(refs: ProxyRefs, entry: RouteConfigEntry) -> None:
    for v, vh in enumerate(entry.raw.get("virtual_hosts") or ()):
        if not isinstance(vh, dict):
            continue
        vhost = VhostEntry(entry, v, vh)
        refs.vhosts.append(vhost)
        vname = vhost.vhost
        for i, route in enumerate(vh.get("routes") or ()):
            if not isinstance(route, dict):
                continue
            r = RouteEntry(entry, vname, v, i, route, f"{entry.name}/{vname}/{route.get('name') or i}")
            refs.routes.append(r)
            action = route.get("route")
            found = _clusters_of(action)
            for cluster, via, weight in found:
                how = "route" if via == "cluster" else via
                refs.cluster_refs.append(ClusterRef(cluster, "route", r.subject_name, how, entry.location,
                                                    f".virtual_hosts[{v}].routes[{i}].route", weight))
            if not found and isinstance(action, dict) and action.get("cluster_header"):
                refs.cluster_headers[r.subject_name] = str(action["cluster_header"])


def build_refs(proxy: EnvoyProxy) -> ProxyRefs:
    """Walk the proxy's served listeners and route configurations once."""
    refs = ProxyRefs()
    for res in proxy.valid_listeners:
        if res.state != "rejected":  # never served: its failed configuration refers to nothing
            _walk_listener(refs, res)
    dynamic = [RouteConfigEntry(rc.name, rc.raw, rc.location, resource=rc)
               for rc in _unique_dynamic(proxy)]
    if "listeners" not in proxy.sections:
        # No LDS in the capture: the RoutesConfigDump's static entries are the only copy of inline configs.
        dynamic += [RouteConfigEntry(rc.name, rc.raw, rc.location, inline=True, resource=rc)
                    for rc in proxy.valid_route_configs if rc.state == "static"]
    refs.route_configs = dynamic + refs.route_configs
    for entry in refs.route_configs:
        _walk_routes(refs, entry)
    return refs


def _unique_dynamic(proxy: EnvoyProxy) -> list[RouteConfigResource]:
    """The dynamic (RDS) route configurations, one per name (the last the dump lists, as Envoy serves)."""
    seen: dict[str, RouteConfigResource] = {}
    for rc in proxy.valid_route_configs:
        if rc.state != "static":
            seen[rc.name] = rc
    return list(seen.values())
