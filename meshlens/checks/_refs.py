"""What a proxy's listeners and routes refer to, read once from the raw resources and cached.

The checks of listeners, routes and clusters need the same facts: every route (with its route
configuration and virtual host), every cluster a route or TCP proxy sends to, every RDS name a
listener asks for. :class:`meshlens.graph.MeshGraph` holds them too, but building it validates
every listener and route model and adds a networkx node per route (about a second for a
5,000-service sidecar, twice the load time), so the checks read the same references from the raw
dicts here. The naming follows the graph's node keys (``<route config>/<virtual host>/<route>``,
``<listener>/<chain>/inline:<route config>``), so a finding names what ``graph()`` shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from meshlens.checks._util import dig, type_suffix
from meshlens.models.base import Location
from meshlens.models.envoy.resources import ListenerResource
from meshlens.models.snapshot import EnvoyProxy

CACHE_KEY = "checks.refs"


@dataclass(frozen=True)
class RouteConfigEntry:
    """A route configuration as the proxy serves it: dynamic (RDS) or inline in a listener."""

    name: str  # the subject name: the RDS name, or <listener>/<chain>/inline:<name>
    raw: dict[str, Any]
    location: Location
    inline: bool = False


class RouteEntry(NamedTuple):
    """One route of a virtual host (a named tuple: a big sidecar has thousands)."""

    config: RouteConfigEntry
    vhost: str
    vhost_index: int
    index: int  # type: ignore[assignment]  # the route's position; shadows tuple.index() on purpose
    raw: dict[str, Any]
    subject_name: str  # <route config>/<virtual host>/<route name or index>, as the graph names it

    @property
    def location(self) -> Location:  # built on demand: a dump has thousands of routes
        return self.config.location.child(f".virtual_hosts[{self.vhost_index}].routes[{self.index}]")

    @property
    def label(self) -> str:
        return str(self.raw.get("name") or self.index)


class ClusterRef(NamedTuple):
    """Something that sends traffic to cluster ``cluster``: a route, or a listener's TCP proxy."""

    cluster: str
    kind: str  # route | listener
    name: str  # subject name of the referrer
    via: str  # route | weighted_clusters | tcp_proxy
    base: Location
    suffix: str = ""

    @property
    def location(self) -> Location:
        return self.base.child(self.suffix) if self.suffix else self.base


@dataclass(frozen=True)
class RdsRef:
    listener: ListenerResource
    chain: str
    route_config: str
    location: Location


@dataclass
class ProxyRefs:
    route_configs: list[RouteConfigEntry] = field(default_factory=list)
    routes: list[RouteEntry] = field(default_factory=list)
    cluster_refs: list[ClusterRef] = field(default_factory=list)
    rds_refs: list[RdsRef] = field(default_factory=list)
    tcp_refs: list[ClusterRef] = field(default_factory=list)

    def referrers(self) -> dict[str, list[ClusterRef]]:
        out: dict[str, list[ClusterRef]] = {}
        for ref in self.cluster_refs:
            out.setdefault(ref.cluster, []).append(ref)
        return out


def _chains(raw: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(label, json path suffix, chain) for every filter chain and the default one.

    The label is the chain's name, its index when it has none, and both when two chains of the
    listener share a name (Istio names a port's TLS and plaintext chains alike)."""
    chains = list(raw.get("filter_chains") or ())
    names = [str(c.get("name") or "") if isinstance(c, dict) else "" for c in chains]
    for i, chain in enumerate(chains):
        if isinstance(chain, dict):
            name = names[i]
            label = name if name and names.count(name) == 1 else (f"{name}#{i}" if name else f"#{i}")
            yield label, f".filter_chains[{i}]", chain
    default = raw.get("default_filter_chain")
    if isinstance(default, dict):
        yield str(default.get("name") or "default_filter_chain"), ".default_filter_chain", default


def _clusters_of(action: Any) -> list[tuple[str, str]]:
    """(cluster, via) of a route action or a TCP proxy config."""
    if not isinstance(action, dict):
        return []
    if isinstance(action.get("cluster"), str) and action["cluster"]:
        return [(action["cluster"], "cluster")]
    weighted = dig(action, "weighted_clusters", "clusters")
    if isinstance(weighted, list):
        return [(str(c.get("name", "")), "weighted_clusters") for c in weighted if isinstance(c, dict)]
    return []


def _walk_listener(refs: ProxyRefs, res: ListenerResource) -> None:
    lname = res.name or f"@{res.json_path}"
    base = res.location
    for label, chain_path, chain in _chains(res.raw):
        for j, flt in enumerate(chain.get("filters") or ()):
            tc = flt.get("typed_config") if isinstance(flt, dict) else None
            if not isinstance(tc, dict):
                continue
            path = f"{chain_path}.filters[{j}].typed_config"
            kind = type_suffix(tc)
            if kind == "HttpConnectionManager":
                inline = tc.get("route_config")
                rds = dig(tc, "rds", "route_config_name")
                if isinstance(inline, dict):
                    name = f"{lname}/{label}/inline:{inline.get('name', '')}"
                    refs.route_configs.append(RouteConfigEntry(name, inline, base.child(path + ".route_config"),
                                                               inline=True))
                elif isinstance(rds, str):
                    refs.rds_refs.append(RdsRef(res, label, rds, base.child(path + ".rds")))
            elif kind == "TcpProxy":
                for cluster, via in _clusters_of(tc):
                    ref = ClusterRef(cluster, "listener", lname, "tcp_proxy" if via == "cluster" else via, base, path)
                    refs.tcp_refs.append(ref)
                    refs.cluster_refs.append(ref)


def _walk_routes(refs: ProxyRefs, entry: RouteConfigEntry) -> None:
    for v, vh in enumerate(entry.raw.get("virtual_hosts") or ()):
        if not isinstance(vh, dict):
            continue
        vname = str(vh.get("name", ""))
        for i, route in enumerate(vh.get("routes") or ()):
            if not isinstance(route, dict):
                continue
            r = RouteEntry(entry, vname, v, i, route, f"{entry.name}/{vname}/{route.get('name') or i}")
            refs.routes.append(r)
            for cluster, via in _clusters_of(route.get("route")):
                how = "route" if via == "cluster" else via
                refs.cluster_refs.append(ClusterRef(cluster, "route", r.subject_name, how, entry.location,
                                                    f".virtual_hosts[{v}].routes[{i}].route"))


def build(proxy: EnvoyProxy) -> ProxyRefs:
    refs = ProxyRefs()
    for res in proxy.listeners:
        if res.state != "rejected":
            _walk_listener(refs, res)
    dynamic = [RouteConfigEntry(rc.name, rc.raw, rc.location) for rc in proxy.route_configs if rc.state != "static"]
    if "listeners" not in proxy.sections:
        # No LDS in the capture: the RoutesConfigDump's static entries are the only copy of inline configs.
        dynamic += [RouteConfigEntry(rc.name, rc.raw, rc.location, inline=True)
                    for rc in proxy.route_configs if rc.state == "static"]
    refs.route_configs = dynamic + refs.route_configs
    for entry in refs.route_configs:
        _walk_routes(refs, entry)
    return refs


def refs_for(proxy: EnvoyProxy) -> ProxyRefs:
    """The proxy's references (built on first use, then cached on the proxy)."""
    found = proxy.cache.get(CACHE_KEY)
    if found is None:
        found = build(proxy)
        proxy.cache[CACHE_KEY] = found
    return found


def loaded_clusters(proxy: EnvoyProxy) -> dict[str, Any]:
    """Cluster name -> resource, for every cluster Envoy holds (static, active, warming; not rejected)."""
    found = proxy.cache.get("checks.clusters")
    if found is None:
        found = {c.name: c for c in proxy.clusters if c.state != "rejected" and c.name}
        proxy.cache["checks.clusters"] = found
    return found
