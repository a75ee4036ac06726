"""O(1) lookups over one proxy, built once and cached on it: what trace and the graph walk through.

Built from the resources' raw dicts where that avoids validating thousands of typed models up
front (a 5,000-service sidecar has 6,000 clusters); typed models are validated only for what a
trace actually touches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from meshlens.models.addresses import parse_ip
from meshlens.models.envoy.resources import ClusterResource, EndpointResource, ListenerResource, RouteConfigResource
from meshlens.models.envoy.route import RouteConfiguration, VirtualHost
from meshlens.models.names import ClusterName, VirtualHostName
from meshlens.models.snapshot import EnvoyProxy

SERVING = ("static", "active")
WILDCARDS = ("0.0.0.0", "::", "[::]", "")
ANY_ADDRESS = {4: "0.0.0.0", 6: "::"}


def is_ip(value: str) -> bool:
    return parse_ip(value) is not None


def norm_ip(value: str) -> str:
    """``value`` in canonical form (``[FD00:0::5]`` -> ``fd00::5``) when it is an IP, else unchanged."""
    addr = parse_ip(value)
    return addr.compressed if addr is not None else value


def ip_version(value: str | None) -> int | None:
    """4 or 6 for an IP address, None otherwise."""
    addr = parse_ip(value)
    return addr.version if addr is not None else None


def _socket(raw: dict[str, Any]) -> tuple[str, int] | None:
    sa = (raw.get("address") or {}).get("socket_address")
    if not isinstance(sa, dict):
        return None
    return str(sa.get("address", "")), int(sa.get("port_value", 0) or 0)


def _ipv4_compat(raw: dict[str, Any]) -> bool:
    sa = (raw.get("address") or {}).get("socket_address")
    return isinstance(sa, dict) and bool(sa.get("ipv4_compat"))


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
    proxy: EnvoyProxy
    by_address: dict[tuple[str, int], ListenerResource] = field(default_factory=dict)  # (norm_ip, port)
    by_port_wildcard: dict[tuple[int, int], ListenerResource] = field(default_factory=dict)  # (4|6, port)
    v4_compat_ports: set[int] = field(default_factory=set)  # ports whose "::" listener has ipv4_compat
    original_dst: list[ListenerResource] = field(default_factory=list)
    internal: list[ListenerResource] = field(default_factory=list)  # internal_listener: no socket address
    listeners_by_name: dict[str, ListenerResource] = field(default_factory=dict)
    route_configs: dict[str, RouteConfigResource] = field(default_factory=dict)
    clusters: dict[str, ClusterResource] = field(default_factory=dict)
    not_serving_clusters: dict[str, ClusterResource] = field(default_factory=dict)
    assignments: dict[str, EndpointResource] = field(default_factory=dict)
    _vhosts: dict[int, VhostIndex] = field(default_factory=dict)
    _host_vips: dict[str, list[str]] | None = None
    own_ips: tuple[str, ...] = ()  # the proxy's own IPs (from its node id), canonical form

    @classmethod
    def build(cls, proxy: EnvoyProxy) -> ProxyIndex:
        idx = cls(proxy)
        idx.own_ips = tuple(norm_ip(ip) for ip in proxy.ips)
        for res in proxy.listeners:
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
        for rc in proxy.route_configs:
            # Dynamic (RDS) first: inline route configs are reached through their listener.
            if rc.state != "static":
                idx.route_configs[rc.name] = rc
        for rc in proxy.route_configs:
            idx.route_configs.setdefault(rc.name, rc)
        for cl in proxy.clusters:
            if cl.state in SERVING:
                idx.clusters.setdefault(cl.name, cl)
            else:
                idx.not_serving_clusters.setdefault(cl.name, cl)
        for ep in proxy.endpoints:
            idx.assignments.setdefault(ep.name, ep)
        return idx

    def vhosts(self, config: RouteConfiguration) -> VhostIndex:
        key = id(config)
        found = self._vhosts.get(key)
        if found is None:
            found = VhostIndex.build(config)
            self._vhosts[key] = found
        return found

    # --- service name resolution (what a sidecar's DNS would answer) ---------------------------
    def host_vips(self) -> dict[str, list[str]]:
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
                    cluster = (flt.get("typed_config") or {}).get("cluster")
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
        """The wildcard listener Envoy hands ``ip:port`` to: ``0.0.0.0`` for IPv4, ``::`` for IPv6; an
        IPv4 address also reaches ``::`` when that listener has ``ipv4_compat``. With no ``ip`` (an
        address outside what the capture knows) IPv4 is tried first, then IPv6."""
        version = ip_version(ip)
        if version == 6:
            return self.by_port_wildcard.get((6, port))
        found = self.by_port_wildcard.get((4, port))
        if found is None and (version is None or port in self.v4_compat_ports):
            found = self.by_port_wildcard.get((6, port))
        return found


def index_for(proxy: EnvoyProxy) -> ProxyIndex:
    """The proxy's lookup index (built on first use, then cached on the proxy)."""
    found = proxy.cache.get("index")
    if found is None:
        found = ProxyIndex.build(proxy)
        proxy.cache["index"] = found
    return found
