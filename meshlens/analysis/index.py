"""O(1) lookups over one proxy, built once and cached on it: what trace and the graph walk through.

Built from the resources' raw dicts where that avoids validating thousands of typed models up
front (a 5,000-service sidecar has 6,000 clusters); typed models are validated only for what a
trace actually touches.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from meshlens.models.envoy.resources import ClusterResource, EndpointResource, ListenerResource, RouteConfigResource
from meshlens.models.envoy.route import RouteConfiguration, VirtualHost
from meshlens.models.names import ClusterName, VirtualHostName
from meshlens.models.snapshot import EnvoyProxy

SERVING = ("static", "active")
WILDCARDS = ("0.0.0.0", "::", "[::]", "")


def is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return False
    return True


def _socket(raw: dict[str, Any]) -> tuple[str, int] | None:
    sa = (raw.get("address") or {}).get("socket_address")
    if not isinstance(sa, dict):
        return None
    return str(sa.get("address", "")), int(sa.get("port_value", 0) or 0)


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
    by_address: dict[tuple[str, int], ListenerResource] = field(default_factory=dict)
    by_port_wildcard: dict[int, ListenerResource] = field(default_factory=dict)
    original_dst: list[ListenerResource] = field(default_factory=list)
    listeners_by_name: dict[str, ListenerResource] = field(default_factory=dict)
    route_configs: dict[str, RouteConfigResource] = field(default_factory=dict)
    clusters: dict[str, ClusterResource] = field(default_factory=dict)
    not_serving_clusters: dict[str, ClusterResource] = field(default_factory=dict)
    assignments: dict[str, EndpointResource] = field(default_factory=dict)
    _vhosts: dict[int, VhostIndex] = field(default_factory=dict)
    _host_vips: dict[str, list[str]] | None = None

    @classmethod
    def build(cls, proxy: EnvoyProxy) -> ProxyIndex:
        idx = cls(proxy)
        for res in proxy.listeners:
            if res.state not in SERVING:
                continue
            if res.name:
                idx.listeners_by_name.setdefault(res.name, res)
            addresses = [_socket(res.raw)]
            for extra in res.raw.get("additional_addresses") or ():
                addresses.append(_socket(extra) if isinstance(extra, dict) else None)
            for addr in addresses:
                if addr is None:
                    continue
                ip, port = addr
                if ip in WILDCARDS:
                    idx.by_port_wildcard.setdefault(port, res)
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
                    name = str(domain).rsplit(":", 1)[0] if not str(domain).startswith("[") else str(domain)
                    if is_ip(name):
                        add(host, name.strip("[]"))
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
                            add(parsed_cluster.host, addr[0])
        self._host_vips = out
        return out


def index_for(proxy: EnvoyProxy) -> ProxyIndex:
    """The proxy's lookup index (built on first use, then cached on the proxy)."""
    found = proxy.cache.get("index")
    if found is None:
        found = ProxyIndex.build(proxy)
        proxy.cache["index"] = found
    return found
