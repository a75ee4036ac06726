"""The reference index of one proxy: O(1) lookups, built lazily once, shared by trace, checks and graph.

``index_for(proxy)`` (the :data:`INDEX` fact) builds, from the resources' raw dicts, what every
consumer looks up: listeners by name, by exact address and by wildcard port; clusters by name (serving,
not serving, loaded) and by parsed name; route configurations by name; EDS assignments by cluster
service name; secrets by name; the ``/clusters`` host status of a cluster. The more expensive parts
are built on first use only: the reference walk (:mod:`meshlens.index.refs`: filter chains, route
configurations, virtual hosts, routes, cluster references) and the reverse references drawn from it
(who sends to a cluster, which listeners ask for an RDS name, which contexts name a secret), the
virtual-host search structure of a route configuration, and the service name -> VIP table a
sidecar's DNS would answer from. Typed models are validated only for what a consumer touches: a
5,000-service sidecar has 6,000 clusters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from meshlens._gc import gc_held
from meshlens.index.addresses import ANY_ADDRESS, WILDCARDS, ip_version, is_ip, norm_ip
from meshlens.index.refs import ClusterRef, ProxyRefs, RdsRef, build_refs, dig
from meshlens.index.secrets import SecretRef, secret_refs
from meshlens.models.admin import ClusterStatus
from meshlens.models.derived import Fact
from meshlens.models.envoy.resources import (
    ClusterResource,
    EndpointResource,
    ListenerResource,
    RouteConfigResource,
    SecretResource,
)
from meshlens.models.envoy.route import RouteConfiguration, VirtualHost
from meshlens.models.names import ClusterName, VirtualHostName
from meshlens.models.snapshot import EnvoyProxy

SERVING = ("static", "active")

__all__ = ["INDEX", "SERVING", "ProxyIndex", "VhostIndex", "index_for"]


def _socket(raw: dict[str, Any]) -> tuple[str, int] | None:
    sa = (raw.get("address") or {}).get("socket_address")
    if not isinstance(sa, dict):
        return None
    return str(sa.get("address", "")), int(sa.get("port_value", 0) or 0)


def _ipv4_compat(raw: dict[str, Any]) -> bool:
    sa = (raw.get("address") or {}).get("socket_address")
    return isinstance(sa, dict) and bool(sa.get("ipv4_compat"))


def _parsed_key(name: ClusterName) -> tuple[Any, ...]:
    """What identifies a cluster across its name forms: direction, port, subset, host (else the text)."""
    if name.direction:
        return (name.direction, name.port, name.subset, name.host)
    return (str(name),)


@dataclass
class VhostIndex:
    """Envoy's virtual-host search structure for one route configuration."""

    config: RouteConfiguration
    exact: dict[str, int] = field(default_factory=dict)
    suffix: list[tuple[str, int]] = field(default_factory=list)  # "*.foo.com" -> ".foo.com", longest first
    prefix: list[tuple[str, int]] = field(default_factory=list)  # "foo.*" -> "foo.", longest first
    star: int | None = None

    @classmethod
    def build(cls, config: RouteConfiguration) -> VhostIndex:
        """Index the domains of ``config``'s virtual hosts."""
        idx = cls(config)
        for i, vh in enumerate(config.virtual_hosts):
            for domain in vh.domains:
                d = domain.lower()
                if d == "*":
                    idx.star = i if idx.star is None else idx.star
                elif d.startswith("*"):
                    idx.suffix.append((d[1:], i))
                elif d.endswith("*"):
                    idx.prefix.append((d[:-1], i))
                else:
                    idx.exact.setdefault(d, i)
        idx.suffix.sort(key=lambda item: len(item[0]), reverse=True)
        idx.prefix.sort(key=lambda item: len(item[0]), reverse=True)
        return idx

    def find(self, host: str) -> tuple[VirtualHost | None, str]:
        """The virtual host Envoy selects for ``host`` (already lowercased/stripped), and why."""
        vhosts = self.config.virtual_hosts
        if host in self.exact:
            return vhosts[self.exact[host]], f"exact domain {host!r}"
        for suffix, i in self.suffix:
            if host.endswith(suffix) and len(host) > len(suffix):
                return vhosts[i], f"suffix wildcard '*{suffix}'"
        for prefix, i in self.prefix:
            if host.startswith(prefix) and len(host) > len(prefix):
                return vhosts[i], f"prefix wildcard '{prefix}*'"
        if self.star is not None:
            return vhosts[self.star], "wildcard domain '*'"
        return None, f"no domain matches {host!r}"


@dataclass
class ProxyIndex:
    """O(1) lookups over one proxy's resources and the references between them.

    Attributes (built with the index; the rest is built on first use):
        by_address: ``(canonical ip, port)`` -> the served listener bound there.
        by_port_wildcard: ``(4 | 6, port)`` -> the served ``0.0.0.0`` / ``::`` listener of the port.
        listeners_by_name: served listeners by name.
        route_configs: route configurations by name (RDS first, then static entries).
        clusters / not_serving_clusters: clusters by name, served (static, active) or not (warming,
            draining, rejected).
        assignments: EDS ClusterLoadAssignments by cluster (service) name.
        own_ips: the proxy's own IPs (from its node id), canonical form.
    """

    proxy: EnvoyProxy
    by_address: dict[tuple[str, int], ListenerResource] = field(default_factory=dict)
    by_port_wildcard: dict[tuple[int, int], ListenerResource] = field(default_factory=dict)
    v4_compat_ports: set[int] = field(default_factory=set)  # ports whose "::" listener has ipv4_compat
    original_dst: list[ListenerResource] = field(default_factory=list)
    internal: list[ListenerResource] = field(default_factory=list)  # internal_listener: no socket address
    listeners_by_name: dict[str, ListenerResource] = field(default_factory=dict)
    route_configs: dict[str, RouteConfigResource] = field(default_factory=dict)
    clusters: dict[str, ClusterResource] = field(default_factory=dict)
    not_serving_clusters: dict[str, ClusterResource] = field(default_factory=dict)
    assignments: dict[str, EndpointResource] = field(default_factory=dict)
    own_ips: tuple[str, ...] = ()
    _vhosts: dict[int, VhostIndex] = field(default_factory=dict, repr=False)
    _host_vips: dict[str, list[str]] | None = field(default=None, repr=False)
    _refs: ProxyRefs | None = field(default=None, repr=False)
    _referrers: dict[str, list[ClusterRef]] | None = field(default=None, repr=False)
    _rds_users: dict[str, list[RdsRef]] | None = field(default=None, repr=False)
    _loaded: dict[str, ClusterResource] | None = field(default=None, repr=False)
    _by_parsed: dict[tuple[Any, ...], ClusterResource] | None = field(default=None, repr=False)
    _by_service: dict[tuple[str, int], list[ClusterResource]] | None = field(default=None, repr=False)
    _secrets: dict[str, SecretResource] | None = field(default=None, repr=False)
    _statuses: dict[str, ClusterStatus] | None = field(default=None, repr=False)
    _secret_refs: dict[str, list[SecretRef]] | None = field(default=None, repr=False)

    @classmethod
    def build(cls, proxy: EnvoyProxy) -> ProxyIndex:  # noqa: C901 - one walk over every resource kind
        """Index ``proxy`` (use :func:`index_for`, which builds it once per proxy)."""
        idx = cls(proxy)
        idx.own_ips = tuple(norm_ip(ip) for ip in proxy.ips)
        for res in proxy.valid_listeners:
            if res.state not in SERVING:
                continue
            if res.name:
                idx.listeners_by_name.setdefault(res.name, res)
            if "internal_listener" in res.raw:
                idx.internal.append(res)
            addresses = [(_socket(res.raw), _ipv4_compat(res.raw))]
            for extra in res.raw.get("additional_addresses") or ():
                if isinstance(extra, dict):  # {"address": {"socket_address": ...}}
                    addresses.append((_socket(extra), _ipv4_compat(extra)))
            for sock, compat in addresses:
                if sock is None:
                    continue
                ip, port = norm_ip(sock[0]), sock[1]
                if ip in ANY_ADDRESS.values() or not sock[0]:
                    version = 6 if ":" in ip else 4
                    ip = ANY_ADDRESS[version]
                    if idx.by_port_wildcard.setdefault((version, port), res) is res and version == 6 and compat:
                        idx.v4_compat_ports.add(port)
                idx.by_address.setdefault((ip, port), res)
            if res.raw.get("use_original_dst"):
                idx.original_dst.append(res)
        for rc in proxy.valid_route_configs:
            # Dynamic (RDS) first: inline route configs are reached through their listener.
            if rc.state != "static":
                idx.route_configs[rc.name] = rc
        for rc in proxy.valid_route_configs:
            idx.route_configs.setdefault(rc.name, rc)
        for cl in proxy.valid_clusters:
            if cl.state in SERVING:
                idx.clusters.setdefault(cl.name, cl)
            else:
                idx.not_serving_clusters.setdefault(cl.name, cl)
        for ep in proxy.valid_endpoints:
            idx.assignments.setdefault(ep.name, ep)
        return idx

    # --- references (built on first use) ---------------------------------------------------------
    @property
    def refs(self) -> ProxyRefs:
        """Every filter chain, route configuration, virtual host, route and cluster reference."""
        if self._refs is None:
            with gc_held():  # thousands of small acyclic records: see meshlens._gc
                self._refs = build_refs(self.proxy)
        return self._refs

    def referrers(self, cluster: str) -> list[ClusterRef]:
        """Every route and TCP proxy that sends to ``cluster`` (reverse reference)."""
        if self._referrers is None:
            out: dict[str, list[ClusterRef]] = {}
            for ref in self.refs.cluster_refs:
                out.setdefault(ref.cluster, []).append(ref)
            self._referrers = out
        return self._referrers.get(cluster, [])

    def referenced_clusters(self) -> dict[str, list[ClusterRef]]:
        """Cluster name -> its referrers, for every cluster some route or TCP proxy names."""
        self.referrers("")
        assert self._referrers is not None
        return self._referrers

    def rds_users(self, route_config: str) -> list[RdsRef]:
        """The listener filter chains that ask for ``route_config`` over RDS (reverse reference)."""
        if self._rds_users is None:
            out: dict[str, list[RdsRef]] = {}
            for ref in self.refs.rds_refs:
                out.setdefault(ref.route_config, []).append(ref)
            self._rds_users = out
        return self._rds_users.get(route_config, [])

    # --- clusters -------------------------------------------------------------------------------
    @property
    def loaded_clusters(self) -> dict[str, ClusterResource]:
        """Every cluster Envoy holds by name: static, active, warming, draining (not rejected)."""
        if self._loaded is None:
            self._loaded = {c.name: c for c in self.proxy.valid_clusters if c.state != "rejected" and c.name}
        return self._loaded

    def cluster(self, name: str) -> ClusterResource | None:
        """The served cluster named ``name``, else the one Envoy holds in another state."""
        return self.clusters.get(name) or self.not_serving_clusters.get(name)

    def cluster_by_parsed(self, name: ClusterName) -> ClusterResource | None:
        """The served cluster whose parsed name equals ``name`` (pipe and DNS-SRV forms alike)."""
        if self._by_parsed is None:
            self._build_parsed()
        assert self._by_parsed is not None
        return self._by_parsed.get(_parsed_key(name))

    def clusters_for_service(self, host: str, port: int) -> list[ClusterResource]:
        """The served outbound clusters of service ``host:port`` (the plain one and its subsets)."""
        if self._by_service is None:
            self._build_parsed()
        assert self._by_service is not None
        return self._by_service.get((host, port), [])

    def outbound_services(self) -> set[tuple[str, int]]:
        """``(host, port)`` of every outbound cluster the proxy serves without a subset."""
        if self._by_service is None:
            self._build_parsed()
        assert self._by_service is not None
        return {key for key, found in self._by_service.items()
                if any(not ClusterName.parse(c.name).subset for c in found)}

    def _build_parsed(self) -> None:
        by_parsed: dict[tuple[Any, ...], ClusterResource] = {}
        by_service: dict[tuple[str, int], list[ClusterResource]] = {}
        for res in self.proxy.valid_clusters:
            parsed = ClusterName.parse(res.name)
            if res.state in SERVING:
                by_parsed.setdefault(_parsed_key(parsed), res)
            if parsed.direction == "outbound" and parsed.host and parsed.port:
                by_service.setdefault((parsed.host, parsed.port), []).append(res)
        self._by_parsed, self._by_service = by_parsed, by_service

    def cluster_status(self, cluster: str) -> ClusterStatus | None:
        """The cluster's ``/clusters`` entry (hosts with runtime health), when that capture was given."""
        if self._statuses is None:
            self._statuses = {s.name: s for s in self.proxy.cluster_statuses or ()}
        return self._statuses.get(cluster)

    # --- secrets --------------------------------------------------------------------------------
    def secret(self, name: str) -> SecretResource | None:
        """The secret named ``name`` (static or dynamic, the first the dump lists)."""
        if self._secrets is None:
            self._secrets = {}
            for res in self.proxy.valid_secrets:
                self._secrets.setdefault(res.name, res)
        return self._secrets.get(name)

    def secret_users(self, name: str) -> list[SecretRef]:
        """The filter chains and clusters whose TLS context names SDS secret ``name`` (reverse reference)."""
        if self._secret_refs is None:
            with gc_held():
                self._secret_refs = secret_refs(self.proxy)
        return self._secret_refs.get(name, [])

    # --- route configurations --------------------------------------------------------------------
    def vhosts(self, config: RouteConfiguration) -> VhostIndex:
        """The virtual-host search structure of ``config`` (built once per configuration)."""
        key = id(config)
        found = self._vhosts.get(key)
        if found is None:
            found = VhostIndex.build(config)
            self._vhosts[key] = found
        return found

    # --- service name resolution (what a sidecar's DNS would answer) ---------------------------
    def host_vips(self) -> dict[str, list[str]]:  # noqa: C901 - two sources of VIPs, each with its rules
        """Service FQDN -> VIPs, read from RDS virtual-host domains and TCP listener names."""
        if self._host_vips is not None:
            return self._host_vips
        out: dict[str, list[str]] = {}

        def add(host: str, ip: str) -> None:
            ips = out.setdefault(host, [])
            if ip not in ips:
                ips.append(ip)

        for rc in self.route_configs.values():
            for vh in rc.raw.get("virtual_hosts") or ():
                parsed = VirtualHostName.parse(str(vh.get("name", "")))
                host = parsed.host if parsed.kind == "host-port" else None
                if not host:
                    continue
                for domain in vh.get("domains") or ():
                    text = str(domain)
                    name = text.rsplit(":", 1)[0] if not text.startswith("[") else text.split("]", 1)[0] + "]"
                    if is_ip(name):
                        add(host, norm_ip(name))
        for res in self.listeners_by_name.values():
            addr = _socket(res.raw)
            if addr is None or addr[0] in WILDCARDS or not is_ip(addr[0]):
                continue
            for chain in res.raw.get("filter_chains") or ():
                for flt in chain.get("filters") or ():
                    cluster = dig(flt, "typed_config", "cluster")
                    if isinstance(cluster, str):
                        parsed_cluster = ClusterName.parse(cluster)
                        if parsed_cluster.host:
                            add(parsed_cluster.host, norm_ip(addr[0]))
        self._host_vips = out
        return out

    # --- listener lookups -------------------------------------------------------------------------
    def exact(self, ip: str | None, port: int) -> ListenerResource | None:
        """The listener bound to exactly ``ip:port`` (addresses compared in canonical form)."""
        return self.by_address.get((norm_ip(ip), port)) if ip else None

    def wildcard(self, ip: str | None, port: int) -> ListenerResource | None:
        """The wildcard listener Envoy hands ``ip:port`` to.

        ``0.0.0.0`` for IPv4, ``::`` for IPv6; an IPv4 address also reaches ``::`` when that listener
        has ``ipv4_compat``. With no ``ip`` (an address outside what the capture knows) IPv4 is tried
        first, then IPv6.
        """
        version = ip_version(ip)
        if version == 6:
            return self.by_port_wildcard.get((6, port))
        found = self.by_port_wildcard.get((4, port))
        if found is None and (version is None or port in self.v4_compat_ports):
            found = self.by_port_wildcard.get((6, port))
        return found

    def __repr__(self) -> str:
        return (f"ProxyIndex({self.proxy.name!r}, listeners={len(self.listeners_by_name)}, "
                f"clusters={len(self.clusters)}+{len(self.not_serving_clusters)}, "
                f"route_configs={len(self.route_configs)}, assignments={len(self.assignments)})")


INDEX: Fact[EnvoyProxy, ProxyIndex] = Fact("index", ProxyIndex.build)


def index_for(proxy: EnvoyProxy) -> ProxyIndex:
    """The proxy's reference index (built on first use, then kept with the proxy)."""
    return INDEX.of(proxy)
