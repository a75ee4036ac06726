"""ztunnel workloads, services (endpoints, load balancing) and authorization policies.

Field names are ztunnel's camelCase JSON keys in snake_case (both spellings are accepted, as are
unknown keys, kept in ``model_extra``). Defaults are what ztunnel assumes when a key is omitted
(``skip_serializing_if = is_default``). ``ns/host`` and ``network/ip`` strings stay strings (they
compare with what the dump says); their parsed forms are properties built with
:mod:`meshlens.models.names`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import model_validator

from meshlens.models.names import GatewayDestination, NamespacedHostname, NetworkAddress, WorkloadUid
from meshlens.models.ztunnel._base import PortMap, ZModel, ZtunnelRecord

_EXPECT_NAMES = 'a list of "namespace/hostname" strings'


class GatewayAddress(ZModel):
    """A waypoint or network gateway: ``{"destination": "ns/hostname" | "network/ip", "hboneMtlsPort"}``."""

    WHAT: ClassVar[str] = 'a gateway object {"destination", "hboneMtlsPort"}'

    destination: str = ""
    hbone_mtls_port: int | None = None
    hbone_single_tls_port: int | None = None  # <= 1.22 (serialized as null when unset)

    @property
    def parsed(self) -> GatewayDestination:
        """The destination as a hostname (``kind == "hostname"``) or an address (``"address"``)."""
        return GatewayDestination.parse(self.destination)

    @property
    def port(self) -> int | None:
        """The HBONE port; some captures (istioctl test data) spell it ``port``."""
        if self.hbone_mtls_port is not None:
            return self.hbone_mtls_port
        extra = (self.model_extra or {}).get("port")
        return extra if isinstance(extra, int) else None

    def _identity(self) -> Any:
        return self.destination


class Locality(ZModel):
    """A ztunnel workload's or endpoint's locality: region, zone, subzone."""

    WHAT: ClassVar[str] = 'a locality object {"region", "zone", "subzone"}'

    region: str = ""
    zone: str = ""
    subzone: str = ""


class ApplicationTunnel(ZModel):
    """How ztunnel hands inbound traffic to the app (1.22+): ``{"protocol": "NONE"|"PROXY", "port"}``."""

    WHAT: ClassVar[str] = 'an application tunnel object {"protocol", "port"}'

    protocol: str = "NONE"
    port: int | None = None


class Workload(ZtunnelRecord):
    """One ``workloads[]`` entry (ztunnel ``state::workload::Workload``), or a LocalConfig workload.

    In the LocalConfig YAML (``staticConfig`` and ``LOCAL_XDS_PATH`` files) a workload's
    ``services`` is a map ``"ns/host" -> {svcPort: targetPort}``: :attr:`services` then holds its
    keys and :attr:`service_ports` the whole map (empty for workloads of a dump).
    """

    WHAT: ClassVar[str] = "a workload object"
    EXPECT: ClassVar[dict[str, str]] = {
        "workload_ips": "a list of IP strings",
        "workload_ips[]": "an IP string",
        "services[]": 'a "namespace/hostname" string',
        "services": _EXPECT_NAMES + " (or, in a LocalConfig, a map of them to port maps)",
        "authorization_policies": 'a list of "namespace/name" strings',
        "service_ports": 'a map of "namespace/hostname" to port maps {svcPort: targetPort}',
        "service_ports[]": "a port map {svcPort: targetPort}",
    }
    RAW_KEYS: ClassVar[dict[str, str]] = {"servicePorts": "services"}

    workload_ips: tuple[str, ...] = ()
    waypoint: GatewayAddress | None = None
    network_gateway: GatewayAddress | None = None
    protocol: str = "TCP"  # "TCP" | "HBONE"
    network_mode: str = "Standard"  # "Standard" | "HostNetwork" (1.24+)
    uid: str = ""
    name: str = ""
    namespace: str = ""
    trust_domain: str = ""
    service_account: str = ""
    network: str = ""
    workload_name: str = ""
    workload_type: str = ""
    canonical_name: str = ""
    canonical_revision: str = ""
    hostname: str = ""
    node: str = ""
    native_tunnel: bool = False
    application_tunnel: ApplicationTunnel | None = None
    authorization_policies: tuple[str, ...] = ()
    status: str = "Healthy"  # "Healthy" | "Unhealthy"
    cluster_id: str = ""
    locality: Locality | None = None
    services: tuple[str, ...] = ()
    service_ports: dict[str, PortMap] = {}
    capacity: int = 1  # load-balancing weight (1.26+)

    @model_validator(mode="before")
    @classmethod
    def _local_services(cls, data: Any) -> Any:
        if isinstance(data, dict):
            services = data.get("services")
            if isinstance(services, dict):  # LocalWorkload: {"ns/host": {port: targetPort}}
                data = {**data, "services": list(services),
                        "servicePorts": {k: {} if v is None else v for k, v in services.items()}}
        return data

    @property
    def key(self) -> str:
        """The uid (``Kubernetes//Pod/ns/name``), else ``ns/name``."""
        return self.uid or f"{self.namespace}/{self.name}"

    @property
    def parsed_uid(self) -> WorkloadUid:
        return WorkloadUid.parse(self.uid)

    @property
    def parsed_services(self) -> tuple[NamespacedHostname, ...]:
        return tuple(NamespacedHostname.parse(s) for s in self.services)

    @property
    def spiffe_id(self) -> str:
        """``spiffe://{trustDomain}/ns/{namespace}/sa/{serviceAccount}`` with ztunnel's defaults."""
        return (f"spiffe://{self.trust_domain or 'cluster.local'}/ns/{self.namespace}"
                f"/sa/{self.service_account or 'default'}")

    @property
    def is_hbone(self) -> bool:
        return self.protocol == "HBONE"


class CidrVip(ZModel):
    """A ``cidrVips`` entry (1.30+): ``{"network": "", "cidr": "240.240.0.0/16"}``."""

    WHAT: ClassVar[str] = 'a CIDR VIP {"network", "cidr"} or a "network/cidr" string'

    network: str = ""
    cidr: str = ""


class LoadBalancer(ZModel):
    """``services[].loadBalancer``: locality preferences, mode and health policy."""

    WHAT: ClassVar[str] = 'a load balancer object {"routingPreferences", "mode", "healthPolicy"}'

    routing_preferences: tuple[str, ...] = ()  # Region, Zone, Subzone, Node, Cluster, Network
    mode: str | None = None  # Standard (1.24+) | Strict | Failover | Passthrough (1.28+)
    health_policy: str | None = None  # OnlyHealthy | AllowAll (1.24+)


class WeightedWaypoint(ZModel):
    """A waypoint with a weight (ztunnel's weighted waypoint list)."""

    WHAT: ClassVar[str] = 'a weighted waypoint {"destination", "weight"}'

    destination: GatewayAddress
    weight: int = 0


class Endpoint(ZModel):
    """A value of ``services[].endpoints`` / ``stagedServices``; :attr:`key` is its map key.

    1.24+: ``{workloadUid, port, status}`` keyed by uid. Up to 1.23: ``{workloadUid, service,
    address, port}`` keyed ``"<uid>:<network>/<ip>"`` (no status).
    """

    WHAT: ClassVar[str] = "an endpoint object"

    key: str = ""
    workload_uid: str = ""
    port: PortMap = {}
    status: str | None = None  # Healthy | Unhealthy (1.24+)
    service: str | None = None  # "ns/hostname" (<= 1.23)
    address: str | None = None  # "network/ip" or null (<= 1.23)

    @property
    def parsed_address(self) -> NetworkAddress | None:
        return NetworkAddress.parse(self.address) if self.address else None

    @property
    def is_legacy(self) -> bool:
        """True for the <= 1.23 endpoint shape (keyed by ``uid:network/ip``)."""
        return self.status is None and ("service" in self.model_fields_set or "address" in self.model_fields_set)

    def _identity(self) -> Any:
        return self.key


def _endpoint_map(value: Any) -> Any:
    """``{key: endpoint}``: the key is put inside each endpoint so it survives as :attr:`Endpoint.key`."""
    if isinstance(value, dict):
        return {k: {**v, "key": str(k)} if isinstance(v, dict) else v for k, v in value.items()}
    return value


class Service(ZtunnelRecord):
    """One ``services[]`` entry (ztunnel ``state::service::Service``)."""

    WHAT: ClassVar[str] = "a service object"
    EXPECT: ClassVar[dict[str, str]] = {
        "vips": 'a list of "network/ip" strings',
        "vips[]": 'a "network/ip" string',
        "ports": "an object (map) of service port to target port",
        "ports[]": "a target port (an integer)",
        "endpoints": "an object (map) of workload uid to endpoint",
    }

    name: str = ""
    namespace: str = ""
    hostname: str = ""
    vips: tuple[str, ...] = ()
    cidr_vips: tuple[CidrVip | str, ...] = ()
    ports: PortMap = {}
    endpoints: dict[str, Endpoint] = {}
    subject_alt_names: tuple[str, ...] = ()
    waypoint: GatewayAddress | None = None
    weighted_waypoints: tuple[WeightedWaypoint, ...] = ()
    load_balancer: LoadBalancer | None = None
    ip_families: str | None = None  # IPv4 | IPv6 | Dual (1.23+; absent = automatic)
    canonical: bool | None = None  # 1.29+; None when the dump predates it
    visibility: str | None = None  # Public | Namespace (master)

    @model_validator(mode="before")
    @classmethod
    def _keyed_endpoints(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("endpoints"), dict):
            data = {**data, "endpoints": _endpoint_map(data["endpoints"])}
        return data

    @property
    def key(self) -> str:
        """``namespace/hostname``: the same hostname may exist in several namespaces."""
        return f"{self.namespace}/{self.hostname}"

    @property
    def parsed_vips(self) -> tuple[NetworkAddress, ...]:
        return tuple(NetworkAddress.parse(v) for v in self.vips)

    @property
    def vip_ips(self) -> tuple[str, ...]:
        """The VIPs without their network prefix (what istioctl prints)."""
        return tuple(p.address if p.address is not None else p.raw for p in self.parsed_vips)


class StagedService(ZtunnelRecord):
    """A ``stagedServices`` entry: endpoints for a ``ns/hostname`` whose Service has not arrived."""

    WHAT: ClassVar[str] = "an object (map) of endpoint key to endpoint"

    service: str = ""
    endpoints: dict[str, Endpoint] = {}

    @model_validator(mode="before")
    @classmethod
    def _keyed_endpoints(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("endpoints"), dict):
            data = {**data, "endpoints": _endpoint_map(data["endpoints"])}
        return data

    @property
    def key(self) -> str:
        return self.service

    @property
    def parsed_service(self) -> NamespacedHostname:
        return NamespacedHostname.parse(self.service)


# --------------------------------------------------------------------------------------- policies
class StringMatch(ZModel):
    """An RBAC string match, from serde's externally tagged enum: ``{"Exact": "x"}``,
    ``{"Prefix": "x"}``, ``{"Suffix": "x"}``, ``{"Presence": []}``.
    """

    WHAT: ClassVar[str] = 'a string match ({"Exact": "..."}, {"Prefix": "..."}, ...)'

    kind: str  # Exact | Prefix | Suffix | Presence
    value: str = ""

    @model_validator(mode="before")
    @classmethod
    def _tagged(cls, data: Any) -> Any:
        if isinstance(data, dict) and len(data) == 1 and "kind" not in data:
            ((kind, value),) = data.items()
            if kind == "Presence" or value is None or value == []:
                value = ""
            return {"kind": kind, "value": value}
        if isinstance(data, str):  # unit variant written bare
            return {"kind": "Presence"} if data == "Presence" else {"kind": "Exact", "value": data}
        return data

    def matches(self, text: str) -> bool:
        if self.kind == "Exact":
            return text == self.value
        if self.kind == "Prefix":
            return text.startswith(self.value)
        if self.kind == "Suffix":
            return text.endswith(self.value)
        if self.kind == "Presence":
            return bool(text)
        return False

    def __str__(self) -> str:
        return {"Exact": self.value, "Prefix": f"{self.value}*", "Suffix": f"*{self.value}",
                "Presence": "*"}.get(self.kind, f"{self.kind}:{self.value}")

    def _identity(self) -> Any:
        return (self.kind, self.value)


class ServiceAccountMatch(ZModel):
    """An authorization rule's service account match: namespace and service account."""

    WHAT: ClassVar[str] = 'a service account match {"namespace", "serviceAccount"}'

    namespace: str = ""
    service_account: str = ""


class RbacMatch(ZModel):
    """One match of a clause (ztunnel ``RbacMatch``); every list is omitted from the JSON when empty."""

    WHAT: ClassVar[str] = "a match object"

    namespaces: tuple[StringMatch, ...] = ()
    not_namespaces: tuple[StringMatch, ...] = ()
    service_accounts: tuple[ServiceAccountMatch, ...] = ()  # 1.25+
    not_service_accounts: tuple[ServiceAccountMatch, ...] = ()
    principals: tuple[StringMatch, ...] = ()
    not_principals: tuple[StringMatch, ...] = ()
    source_ips: tuple[str, ...] = ()  # CIDR strings
    not_source_ips: tuple[str, ...] = ()
    destination_ips: tuple[str, ...] = ()
    not_destination_ips: tuple[str, ...] = ()
    destination_ports: tuple[int, ...] = ()
    not_destination_ports: tuple[int, ...] = ()


class Policy(ZtunnelRecord):
    """One ``policies[]`` entry (ztunnel ``rbac::Authorization``).

    :attr:`rules` is rules -> clauses -> matches: the policy matches when ANY rule matches; a rule
    when ALL its clauses match; a clause when ANY of its matches does. No rules matches nothing
    (an ALLOW with ``rules: []`` allows nothing).
    """

    WHAT: ClassVar[str] = "a policy object"
    EXPECT: ClassVar[dict[str, str]] = {"rules": "a list of rules (lists of clauses, lists of matches)"}

    name: str = ""
    namespace: str = ""
    scope: str = ""  # Global | Namespace | WorkloadSelector
    action: str = ""  # Allow | Deny
    rules: tuple[tuple[tuple[RbacMatch, ...], ...], ...] = ()
    dry_run: bool = False  # 1.29+

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"
