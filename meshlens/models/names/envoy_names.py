"""Envoy resource names as Istio generates them: clusters, listeners, chains, routes, vhosts, secrets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from meshlens.models.names._base import IPAddress, NameValue, _ip, _port, _svc_host, _text

DIRECTIONS: tuple[str, ...] = ("outbound", "inbound", "inbound-vip")

# Clusters Istio creates under fixed names (pilot networking + the istio-agent bootstrap template).
SPECIAL_CLUSTERS: Mapping[str, str] = {
    "BlackHoleCluster": "drops traffic (no endpoints): REGISTRY_ONLY misses, blackhole chains",
    "PassthroughCluster": "ORIGINAL_DST to the requested address (outbound ALLOW_ANY)",
    "InboundPassthroughCluster": "ORIGINAL_DST to the local app for unmatched inbound ports (Istio >= 1.23)",
    "InboundPassthroughClusterIpv4": "inbound passthrough, IPv4 (before Istio 1.23)",
    "InboundPassthroughClusterIpv6": "inbound passthrough, IPv6 (before Istio 1.23)",
    "AllowAnyDynamicDNSCluster": "dynamic forward proxy for outboundTrafficPolicy ALLOW_ANY_DYNAMIC_DNS",
    "local_cluster": "the proxy's own service (Envoy local cluster, self-discovery)",
    "prometheus_stats": "bootstrap: Envoy admin stats behind the 15090 listener",
    "agent": "bootstrap: istio-agent health/stats on 127.0.0.1:15020",
    "sds-grpc": "bootstrap: SDS from istio-agent over a unix socket",
    "xds-grpc": "bootstrap: xDS from istiod (proxied by istio-agent)",
    "zipkin": "bootstrap: tracing collector",
    "encap": "ambient waypoint: HBONE encapsulation (to connect_originate)",
    "main_internal": "ambient waypoint: hands traffic to the main_internal listener",
    "connect_originate": "ambient: originates HBONE CONNECT tunnels on port 15008",
}
INTERNAL_LISTENERS: frozenset[str] = frozenset({"main_internal", "connect_originate", "connect_terminate"})


def build_subset_key(direction: str, port: int, subset: str = "", host: str = "") -> str:
    """Istio's cluster name ``direction|port|subset|host`` (e.g. ``inbound|9080||``)."""
    return f"{direction}|{port}|{subset}|{host}"


def build_srv_subset_key(direction: str, port: int, subset: str = "", host: str = "") -> str:
    """The DNS-SRV form ``direction_.port_.subset_.host``, also Istio's default mTLS SNI."""
    return f"{direction}_.{port}_.{subset}_.{host}"


@dataclass(frozen=True, slots=True)
class ClusterName(NameValue):
    """An Envoy cluster name; ``kind`` is a direction, ``special`` or ``opaque``."""

    direction: str | None = field(default=None, compare=False)
    port: int | None = field(default=None, compare=False)
    subset: str = field(default="", compare=False)
    host: str = field(default="", compare=False)
    form: str = field(default="opaque", compare=False)  # pipe | srv | special | opaque

    @classmethod
    def parse(cls, s: str | None) -> ClusterName:
        raw = _text(s)
        if raw in SPECIAL_CLUSTERS:
            return cls(raw, "special", form="special")
        if "|" in raw:
            parts, form = raw.split("|"), "pipe"
        elif any(raw.startswith(d + "_.") for d in DIRECTIONS):
            parts, form = raw.split("_.", 3), "srv"  # subsets are DNS labels: never contain "_."
        else:
            return cls(raw)
        if len(parts) != 4 or parts[0] not in DIRECTIONS:
            return cls(raw)
        port = _port(parts[1])
        if port is None:
            return cls(raw)
        return cls(raw, parts[0], parts[0], port, parts[2], parts[3], form)

    @property
    def is_special(self) -> bool:
        return self.kind == "special"

    @property
    def is_subset_key(self) -> bool:
        """True for Istio's generated ``direction|port|subset|host`` names (either form)."""
        return self.direction is not None

    @property
    def protocol(self) -> str | None:
        """Waypoint ``inbound-vip`` keys hold ``<proto>[/<subset>]`` (http, tcp, internal) as "subset"."""
        if self.kind != "inbound-vip" or not self.subset:
            return None
        return self.subset.partition("/")[0]

    @property
    def dr_subset(self) -> str:
        """The DestinationRule subset this cluster is for ("" if none)."""
        if self.kind == "inbound-vip":
            return self.subset.partition("/")[2]
        return self.subset

    @property
    def is_subset(self) -> bool:
        return bool(self.dr_subset)

    @property
    def namespace(self) -> str | None:
        parts = _svc_host(self.host)
        return parts[1] if parts else None

    @property
    def short_name(self) -> str:
        """``reviews`` for ``reviews.default.svc.cluster.local``; other hosts whole; else the raw name."""
        parts = _svc_host(self.host)
        return parts[0] if parts else (self.host or self.raw)

    @property
    def pipe_key(self) -> str | None:
        """The ``|`` form of a subset key (maps an SNI to its cluster name)."""
        if self.direction is None or self.port is None:
            return None
        return build_subset_key(self.direction, self.port, self.subset, self.host)

    @property
    def srv_key(self) -> str | None:
        """The DNS-SRV form of a subset key (Istio's default upstream SNI)."""
        if self.direction is None or self.port is None:
            return None
        return build_srv_subset_key(self.direction, self.port, self.subset, self.host)

    def _istioctl_split(self) -> tuple[str, int, str, str] | None:
        # `pc cluster` splits only names with at least three "|" and then cuts three times: a
        # direction/port it does not check (a bad port reads 0), and an empty host if "|" remains.
        if self.raw.count("|") < 3:
            return None
        direction, _, rest = self.raw.partition("|")
        port_text, _, rest = rest.partition("|")
        subset, _, host = rest.partition("|")
        digits = port_text[1:] if port_text[:1] in ("+", "-") else port_text  # Go's Atoi takes a sign
        port = int(port_text) if digits.isascii() and digits.isdigit() else 0
        return direction, port, subset, ("" if "|" in host else host)

    def istioctl_columns(self, name_prefix: str = "") -> tuple[str, str, str, str]:
        """``SERVICE FQDN, PORT, SUBSET, DIRECTION`` exactly as ``istioctl pc cluster`` prints them.

        Names istioctl does not split show whole (``name_prefix`` + name, ``pc all`` passes
        ``"cluster/"``) with ``-`` in the other three columns.
        """
        split = self._istioctl_split()
        if split is None:
            return name_prefix + self.raw, "-", "-", "-"
        direction, port, subset, host = split
        return host, str(port), subset or "-", direction

    def istioctl_sort_key(self) -> tuple[str, str, int, str]:
        """istioctl's cluster order: host (the whole name if unsplit), subset, port, direction."""
        split = self._istioctl_split()
        if split is None:
            return self.raw, "", 0, ""
        direction, port, subset, host = split
        return host, subset, port, direction


# -------------------------------------------------------------------------------------- listeners
@dataclass(frozen=True, slots=True)
class ListenerName(NameValue):
    """A listener name: ``address`` (``<ip>_<port>``), ``virtual-outbound``/``-inbound``,
    ``internal``, ``unnamed`` or ``opaque``.
    """

    address: str | None = field(default=None, compare=False)
    port: int | None = field(default=None, compare=False)
    transport: str | None = field(default=None, compare=False)  # tcp, or udp for QUIC "udp_" names

    @classmethod
    def parse(cls, s: str | None) -> ListenerName:
        raw = _text(s)
        if not raw:
            return cls(raw, "unnamed")  # static 15090/15021 listeners are unnamed in some dumps
        if raw == "virtualOutbound":
            return cls(raw, "virtual-outbound")
        if raw == "virtualInbound":
            return cls(raw, "virtual-inbound")
        if raw in INTERNAL_LISTENERS:
            return cls(raw, "internal")
        # Istio names socket listeners "<bind>_<port>" ("::_9080" for IPv6), "udp_" + that for QUIC.
        transport, body = ("udp", raw[4:]) if raw.startswith("udp_") else ("tcp", raw)
        address, sep, port_text = body.rpartition("_")
        address = address[1:-1] if address.startswith("[") and address.endswith("]") else address
        port = _port(port_text)
        if sep and port is not None and _ip(address) is not None:
            return cls(raw, "address", address, port, transport)
        return cls(raw)

    @property
    def ip(self) -> IPAddress | None:
        return _ip(self.address) if self.address else None

    @property
    def is_wildcard(self) -> bool:
        """``0.0.0.0_<port>`` / ``::_<port>``: bound to all addresses."""
        ip = self.ip
        return ip is not None and ip.is_unspecified

    @property
    def is_virtual(self) -> bool:
        return self.kind in ("virtual-outbound", "virtual-inbound")


@dataclass(frozen=True, slots=True)
class FilterChainName(NameValue):
    """A filter-chain name: ``address`` (``0.0.0.0_9080[-suffix]``), ``virtual`` (``virtualInbound-…``),
    ``service`` (waypoint ``inbound-vip|port||host-<proto>``), ``passthrough``, ``direct``,
    ``unnamed`` or ``opaque``.
    """

    address: str | None = field(default=None, compare=False)
    port: int | None = field(default=None, compare=False)
    cluster: ClusterName | None = field(default=None, compare=False)
    qualifier: str = field(default="", compare=False)  # blackhole, catchall-tcp, http, raw, …

    @classmethod
    def parse(cls, s: str | None) -> FilterChainName:
        raw = _text(s)
        if not raw:
            return cls(raw, "unnamed")
        if raw == "PassthroughFilterChain":
            return cls(raw, "passthrough")
        if raw in ("direct-tcp", "direct-http"):  # waypoint chains for workload-addressed traffic
            return cls(raw, "direct", qualifier=raw[7:])
        for prefix in ("virtualInbound", "virtualOutbound"):
            if raw == prefix or raw.startswith(prefix + "-"):
                return cls(raw, "virtual", qualifier=raw[len(prefix) + 1 :])
        # Waypoints name per-service chains after the inbound-vip key, plus "-tcp"/"-http".
        head, _, suffix = raw.rpartition("-")
        for key, qualifier in ((head, suffix), (raw, "")):
            cluster = ClusterName.parse(key)
            if cluster.is_subset_key and qualifier in ("", "tcp", "http"):
                return cls(raw, "service", port=cluster.port, cluster=cluster, qualifier=qualifier)
        head, _, suffix = raw.partition("-")  # "-" never occurs in "<ip>_<port>"
        listener = ListenerName.parse(head)
        if listener.kind == "address":
            return cls(raw, "address", listener.address, listener.port, qualifier=suffix)
        return cls(raw)


# ----------------------------------------------------------------------------------------- routes
@dataclass(frozen=True, slots=True)
class RouteConfigName(NameValue):
    """A RouteConfiguration name: ``port`` (``9080``), ``host-port`` (sniffed ``host:9080``),
    ``gateway-http`` (``http.<port>[.<bind>]``), ``gateway-https``
    (``https.<port>.<portName>.<gwName>.<gwNs>[.<bind>]``), ``cluster`` (inline ``inbound|9080||``),
    ``unnamed`` or ``opaque``.
    """

    port: int | None = field(default=None, compare=False)
    host: str | None = field(default=None, compare=False)
    bind: str | None = field(default=None, compare=False)
    port_name: str | None = field(default=None, compare=False)
    gateway_name: str | None = field(default=None, compare=False)
    gateway_namespace: str | None = field(default=None, compare=False)
    cluster: ClusterName | None = field(default=None, compare=False)

    @classmethod
    def parse(cls, s: str | None) -> RouteConfigName:
        raw = _text(s)
        if not raw:
            return cls(raw, "unnamed")
        port = _port(raw)
        if port is not None:
            return cls(raw, "port", port)
        cluster = ClusterName.parse(raw)
        if cluster.is_subset_key:
            return cls(raw, "cluster", cluster.port, cluster=cluster)
        if raw.startswith("http."):
            port_text, _, bind = raw[5:].partition(".")
            port = _port(port_text)
            if port is not None:
                return cls(raw, "gateway-http", port, bind=bind or None)
        if raw.startswith("https."):
            gateway = cls._parse_https(raw)
            if gateway is not None:
                return gateway
        host, sep, port_text = raw.rpartition(":")
        port = _port(port_text)
        if sep and host and port is not None:
            return cls(raw, "host-port", port, host=host)
        return cls(raw)

    @classmethod
    def _parse_https(cls, raw: str) -> RouteConfigName | None:
        port_text, _, rest = raw[6:].partition(".")
        port, parts, bind = _port(port_text), rest.split("."), None
        # An optional bind is an IP: four trailing labels for IPv4, one (with ":") for IPv6.
        if len(parts) >= 7 and _ip(".".join(parts[-4:])) is not None:
            parts, bind = parts[:-4], ".".join(parts[-4:])
        elif len(parts) >= 4 and ":" in parts[-1] and _ip(parts[-1]) is not None:
            parts, bind = parts[:-1], parts[-1]
        # Port names and namespaces have no dots; a Gateway name may.
        if port is None or len(parts) < 3 or not all(parts):
            return None
        return cls(
            raw,
            "gateway-https",
            port,
            bind=bind,
            port_name=parts[0],
            gateway_name=".".join(parts[1:-1]),
            gateway_namespace=parts[-1],
        )


@dataclass(frozen=True, slots=True)
class VirtualHostName(NameValue):
    """A virtual-host name: ``host-port`` (``reviews…:9080``, ``*:80``), ``inbound``
    (``inbound|http|9080``), ``allow-any``, ``block-all``, ``unnamed`` or ``opaque``.
    """

    host: str | None = field(default=None, compare=False)
    port: int | None = field(default=None, compare=False)
    protocol: str | None = field(default=None, compare=False)

    @classmethod
    def parse(cls, s: str | None) -> VirtualHostName:
        raw = _text(s)
        if not raw:
            return cls(raw, "unnamed")
        if raw in ("allow_any", "block_all"):  # outboundTrafficPolicy ALLOW_ANY / REGISTRY_ONLY vhosts
            return cls(raw, raw.replace("_", "-"))
        parts = raw.split("|")
        if len(parts) == 3 and parts[0] == "inbound" and _port(parts[2]) is not None:
            return cls(raw, "inbound", port=_port(parts[2]), protocol=parts[1])
        host, sep, port_text = raw.rpartition(":")
        port = _port(port_text)
        if sep and host and port is not None:
            return cls(raw, "host-port", host, port)
        return cls(raw)


# ---------------------------------------------------------------------------------------- secrets
_SECRET_SCHEMES = ("kubernetes", "kubernetes-gateway", "configmap", "builtin", "invalid")


@dataclass(frozen=True, slots=True)
class SecretName(NameValue):
    """An SDS resource name: ``workload-cert`` (``default``), ``root-ca`` (``ROOTCA``), a credential
    URI scheme (``kubernetes``, ``kubernetes-gateway``, ``configmap``, ``builtin``, ``invalid``),
    ``file-cert``/``file-root``, ``unnamed`` or ``opaque``.
    """

    name: str | None = field(default=None, compare=False)
    namespace: str | None = field(default=None, compare=False)
    paths: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def parse(cls, s: str | None) -> SecretName:
        raw = _text(s)
        if not raw:
            return cls(raw, "unnamed")
        if raw == "default":
            return cls(raw, "workload-cert")
        if raw == "ROOTCA":
            return cls(raw, "root-ca")
        scheme, sep, rest = raw.partition("://")
        if sep and scheme in _SECRET_SCHEMES:
            # kubernetes://[ns/]name; the others are scheme://ns/name (builtin:// has no name).
            namespace, _, name = rest.rpartition("/")
            return cls(raw, scheme, name or None, namespace or None)
        # istio-agent file credentials: "file-cert:<chain>~<key>", "file-root:<root>".
        for kind in ("file-cert", "file-root"):
            if raw.startswith(kind + ":"):
                return cls(raw, kind, paths=tuple(raw[len(kind) + 1 :].split("~")))
        return cls(raw)

    @property
    def is_ca(self) -> bool:
        """A trust bundle rather than a key pair (``ROOTCA``, ``…-cacert``, ``file-root:``, configmap)."""
        return self.kind in ("root-ca", "file-root", "configmap") or bool(self.name and self.name.endswith("-cacert"))
