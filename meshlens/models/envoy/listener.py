"""``envoy.config.listener.v3`` and the network filters meshlens reads (HCM, tcp_proxy).

A filter's ``typed_config`` is a tagged union on its ``@type``: the HTTP connection manager and the
TCP proxy are typed; anything else is an :class:`UnknownTypedConfig` that keeps its raw dict, so a
new or Istio-only filter type never fails validation.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Discriminator, Field, Tag

from meshlens.models.base import MeshModel
from meshlens.models.duration import Duration
from meshlens.models.envoy.core import (
    Address,
    CidrRange,
    ConfigSource,
    Metadata,
    TransportSocket,
    TypedExtensionConfig,
    short_type,
)
from meshlens.models.envoy.route import RouteConfiguration, WeightedCluster

HCM_TYPE = "HttpConnectionManager"
TCP_PROXY_TYPE = "TcpProxy"


class Rds(MeshModel):
    """The HTTP connection manager's ``rds``: the route configuration to fetch by name."""

    route_config_name: str = ""
    config_source: ConfigSource | None = None


class HttpFilter(MeshModel):
    """One HTTP filter of an HTTP connection manager (name and typed config)."""

    name: str = ""
    typed_config: dict[str, Any] | None = None
    config_discovery: dict[str, Any] | None = None
    is_optional: bool | None = None
    disabled: bool | None = None


class HttpConnectionManager(MeshModel):
    """Envoy's HTTP connection manager filter config (the fields routing depends on)."""

    type_url: str = Field("", alias="@type")
    stat_prefix: str = ""
    codec_type: str = "AUTO"
    rds: Rds | None = None
    route_config: RouteConfiguration | None = None
    scoped_routes: dict[str, Any] | None = None
    http_filters: list[HttpFilter] = Field(default_factory=list)
    server_name: str | None = None
    use_remote_address: bool | None = None
    normalize_path: bool | None = None
    merge_slashes: bool | None = None
    path_with_escaped_slashes_action: str | None = None
    strip_matching_host_port: bool | None = None
    strip_any_host_port: bool | None = None
    upgrade_configs: list[dict[str, Any]] = Field(default_factory=list)
    access_log: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def route_config_name(self) -> str | None:
        if self.rds is not None:
            return self.rds.route_config_name
        if self.route_config is not None:
            return self.route_config.name
        return None


class TcpProxy(MeshModel):
    """Envoy's TCP proxy filter config: the cluster (or weighted clusters) a connection goes to."""

    type_url: str = Field("", alias="@type")
    stat_prefix: str = ""
    cluster: str | None = None
    weighted_clusters: WeightedCluster | None = None
    idle_timeout: Duration | None = None
    access_log: list[dict[str, Any]] = Field(default_factory=list)


class UnknownTypedConfig(MeshModel):
    """A typed config meshlens does not model: its ``@type`` and every field, kept as given."""

    type_url: str = Field("", alias="@type")


def _typed_config_tag(value: Any) -> str:
    type_url = value.get("@type") if isinstance(value, dict) else getattr(value, "type_url", None)
    kind = short_type(type_url)
    if kind == HCM_TYPE:
        return "hcm"
    if kind == TCP_PROXY_TYPE:
        return "tcp_proxy"
    return "unknown"


TypedConfig = Annotated[
    Annotated[HttpConnectionManager, Tag("hcm")]
    | Annotated[TcpProxy, Tag("tcp_proxy")]
    | Annotated[UnknownTypedConfig, Tag("unknown")],
    Discriminator(_typed_config_tag),
]


class Filter(MeshModel):
    """Envoy's ``config.listener.v3.Filter``: a network filter (name and typed config)."""

    name: str = ""
    typed_config: TypedConfig | None = None
    config_discovery: dict[str, Any] | None = None

    @property
    def hcm(self) -> HttpConnectionManager | None:
        return self.typed_config if isinstance(self.typed_config, HttpConnectionManager) else None

    @property
    def tcp_proxy(self) -> TcpProxy | None:
        return self.typed_config if isinstance(self.typed_config, TcpProxy) else None


class FilterChainMatch(MeshModel):
    """Envoy's ``config.listener.v3.FilterChainMatch``: the criteria that select a filter chain."""

    destination_port: int | None = None
    prefix_ranges: list[CidrRange] = Field(default_factory=list)
    address_suffix: str | None = None
    suffix_len: int | None = None
    direct_source_prefix_ranges: list[CidrRange] = Field(default_factory=list)
    source_type: str = "ANY"
    source_prefix_ranges: list[CidrRange] = Field(default_factory=list)
    source_ports: list[int] = Field(default_factory=list)
    server_names: list[str] = Field(default_factory=list)
    transport_protocol: str = ""
    application_protocols: list[str] = Field(default_factory=list)


class FilterChain(MeshModel):
    """Envoy's ``config.listener.v3.FilterChain``: match criteria, network filters and transport socket."""

    name: str = ""
    filter_chain_match: FilterChainMatch | None = None
    filters: list[Filter] = Field(default_factory=list)
    transport_socket: TransportSocket | None = None
    metadata: Metadata | None = None
    transport_socket_connect_timeout: Duration | None = None

    @property
    def hcm(self) -> HttpConnectionManager | None:
        return next((f.hcm for f in self.filters if f.hcm is not None), None)

    @property
    def tcp_proxy(self) -> TcpProxy | None:
        return next((f.tcp_proxy for f in self.filters if f.tcp_proxy is not None), None)


def chain_label(chain: FilterChain, index: int | None) -> str:
    """How meshlens names a filter chain: its ``name``, else ``#index`` (``default_filter_chain`` for None)."""
    if chain.name:
        return chain.name
    return "default_filter_chain" if index is None else f"#{index}"


class ListenerFilter(TypedExtensionConfig):
    """Envoy's ``config.listener.v3.ListenerFilter`` (TLS inspector, original destination ...)."""

    filter_disabled: dict[str, Any] | None = None


class Listener(MeshModel):
    """Envoy's ``config.listener.v3.Listener`` (the fields meshlens reads; the rest stays in ``raw``)."""

    name: str = ""
    address: Address | None = None
    additional_addresses: list[dict[str, Any]] = Field(default_factory=list)
    stat_prefix: str | None = None
    filter_chains: list[FilterChain] = Field(default_factory=list)
    default_filter_chain: FilterChain | None = None
    filter_chain_matcher: dict[str, Any] | None = None  # xds matcher tree, walked by trace
    listener_filters: list[ListenerFilter] = Field(default_factory=list)
    listener_filters_timeout: Duration | None = None
    continue_on_listener_filters_timeout: bool | None = None
    use_original_dst: bool | None = None
    bind_to_port: bool | None = None
    traffic_direction: str | None = None
    internal_listener: dict[str, Any] | None = None
    metadata: Metadata | None = None
    access_log: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def ip(self) -> str | None:
        return self.address.ip if self.address else None

    @property
    def port(self) -> int | None:
        return self.address.port if self.address else None

    @property
    def all_filter_chains(self) -> list[FilterChain]:
        """The filter chains followed by the default chain, if any."""
        chains = list(self.filter_chains)
        if self.default_filter_chain is not None:
            chains.append(self.default_filter_chain)
        return chains
