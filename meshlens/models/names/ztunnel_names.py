"""ztunnel config-dump string encodings: network addresses, namespaced hosts, gateway destinations, uids."""

from __future__ import annotations

from dataclasses import dataclass, field

from meshlens.models.names._base import IPAddress, NameValue, _ip, _text


@dataclass(frozen=True, slots=True)
class NetworkAddress(NameValue):
    """ztunnel ``<network>/<ip>`` (network may be empty: ``/10.96.0.1``); kind ``address`` or ``opaque``."""

    network: str | None = field(default=None, compare=False)
    address: str | None = field(default=None, compare=False)

    @classmethod
    def parse(cls, s: str | None) -> NetworkAddress:
        raw = _text(s)
        network, sep, address = raw.partition("/")  # the FIRST "/": IPv6 keeps its colons
        if sep and _ip(address) is not None:
            return cls(raw, "address", network, address)
        return cls(raw)

    @property
    def ip(self) -> IPAddress | None:
        return _ip(self.address) if self.address else None


@dataclass(frozen=True, slots=True)
class NamespacedHostname(NameValue):
    """ztunnel ``<namespace>/<hostname>`` (also ``ns/name`` policy refs); kind ``hostname`` or ``opaque``."""

    namespace: str | None = field(default=None, compare=False)
    hostname: str | None = field(default=None, compare=False)

    @classmethod
    def parse(cls, s: str | None) -> NamespacedHostname:
        raw = _text(s)
        namespace, sep, hostname = raw.partition("/")
        if sep and namespace and hostname and "/" not in hostname:
            return cls(raw, "hostname", namespace, hostname)
        return cls(raw)


@dataclass(frozen=True, slots=True)
class GatewayDestination(NameValue):
    """ztunnel ``GatewayAddress.destination``, an untagged enum: kind ``address`` when the part after
    ``/`` is an IP, else ``hostname``; ``opaque`` when it is neither.
    """

    address: NetworkAddress | None = field(default=None, compare=False)
    hostname: NamespacedHostname | None = field(default=None, compare=False)

    @classmethod
    def parse(cls, s: str | None) -> GatewayDestination:
        raw = _text(s)
        address = NetworkAddress.parse(raw)
        if address.kind == "address":
            return cls(raw, "address", address=address)
        hostname = NamespacedHostname.parse(raw)
        if hostname.kind == "hostname":
            return cls(raw, "hostname", hostname=hostname)
        return cls(raw)


@dataclass(frozen=True, slots=True)
class WorkloadUid(NameValue):
    """ztunnel workload uid ``<cluster>/<group>[/<version>]/<Kind>/<ns>/<name>``
    (``Kubernetes//Pod/default/x``); ``kind`` is the resource kind (``Pod``…) or ``opaque``.

    Also reads the ≤1.23 endpoint map key ``<uid>:<network>/<ip>`` (then ``address`` is set).
    """

    cluster_id: str | None = field(default=None, compare=False)
    api: str | None = field(default=None, compare=False)  # "<group>[/<version>]", "" for core
    namespace: str | None = field(default=None, compare=False)
    name: str | None = field(default=None, compare=False)
    address: NetworkAddress | None = field(default=None, compare=False)

    @classmethod
    def parse(cls, s: str | None) -> WorkloadUid:
        raw = _text(s)
        uid, sep, rest = raw.partition(":")  # Kubernetes names never contain ":"
        address = NetworkAddress.parse(rest) if sep else None
        if address is None or address.kind != "address":
            uid, address = raw, None
        parts = uid.split("/")
        if len(parts) < 5 or not parts[0] or not all(parts[-3:]) or ":" in parts[-1]:
            return cls(raw)
        return cls(raw, parts[-3], parts[0], "/".join(p for p in parts[1:-3] if p), parts[-2], parts[-1], address)

    @property
    def uid(self) -> str:
        """The uid without an endpoint key's ``:<network>/<ip>`` suffix."""
        return self.raw[: self.raw.index(":")] if self.address is not None else self.raw

    @property
    def name_namespace(self) -> str | None:
        return f"{self.name}.{self.namespace}" if self.name is not None else None
