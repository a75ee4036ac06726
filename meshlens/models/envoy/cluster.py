"""``envoy.config.cluster.v3.Cluster`` and ``envoy.config.endpoint.v3.ClusterLoadAssignment``."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from meshlens.models.base import MeshModel
from meshlens.models.duration import Duration
from meshlens.models.envoy.core import Address, ConfigSource, Locality, Metadata, TransportSocket


class LbEndpointDetail(MeshModel):
    """Envoy's ``config.endpoint.v3.Endpoint``: address, hostname, health-check and extra addresses."""

    address: Address | None = None
    hostname: str | None = None
    health_check_config: dict[str, Any] | None = None
    additional_addresses: list[dict[str, Any]] = Field(default_factory=list)


class LbEndpoint(MeshModel):
    """Envoy's ``config.endpoint.v3.LbEndpoint``: an endpoint with health status, metadata and weight."""

    endpoint: LbEndpointDetail | None = None
    endpoint_name: str | None = None
    health_status: str = "UNKNOWN"  # proto3 omits the default
    metadata: Metadata | None = None
    load_balancing_weight: int | None = None

    @property
    def address(self) -> str:
        return str(self.endpoint.address) if self.endpoint and self.endpoint.address else ""


class LocalityLbEndpoints(MeshModel):
    """Envoy's ``config.endpoint.v3.LocalityLbEndpoints``: endpoints of one locality and priority."""

    locality: Locality | None = None
    lb_endpoints: list[LbEndpoint] = Field(default_factory=list)
    load_balancing_weight: int | None = None
    priority: int = 0


class ClusterLoadAssignment(MeshModel):
    """Envoy's ``config.endpoint.v3.ClusterLoadAssignment``: a cluster's endpoints (EDS or inline)."""

    cluster_name: str = ""
    endpoints: list[LocalityLbEndpoints] = Field(default_factory=list)
    named_endpoints: dict[str, Any] = Field(default_factory=dict)
    policy: dict[str, Any] | None = None

    @property
    def lb_endpoints(self) -> list[LbEndpoint]:
        return [lb for loc in self.endpoints for lb in loc.lb_endpoints]


class EdsClusterConfig(MeshModel):
    """Envoy's ``Cluster.EdsClusterConfig``: where EDS comes from and the service name to ask for."""

    eds_config: ConfigSource | None = None
    service_name: str | None = None


class CustomClusterType(MeshModel):
    """Envoy's ``Cluster.CustomClusterType``: an extension cluster type (name and typed config)."""

    name: str = ""
    typed_config: dict[str, Any] | None = None


class TransportSocketMatch(MeshModel):
    """Envoy's ``Cluster.TransportSocketMatch``: a transport socket chosen by endpoint metadata."""

    name: str = ""
    match: dict[str, Any] = Field(default_factory=dict)
    transport_socket: TransportSocket | None = None


class OutlierDetection(MeshModel):
    """Envoy's ``config.cluster.v3.OutlierDetection`` (the ejection settings meshlens reads)."""

    consecutive_5xx: int | None = None
    consecutive_gateway_failure: int | None = None
    consecutive_local_origin_failure: int | None = None
    interval: str | None = None
    base_ejection_time: str | None = None
    max_ejection_percent: int | None = None
    enforcing_consecutive_5xx: int | None = None
    split_external_local_origin_errors: bool | None = None


class Cluster(MeshModel):
    """Envoy's ``config.cluster.v3.Cluster`` (the fields meshlens reads; the rest stays in ``raw``)."""

    name: str = ""
    alt_stat_name: str | None = None
    type: str | None = None
    cluster_type: CustomClusterType | None = None
    eds_cluster_config: EdsClusterConfig | None = None
    connect_timeout: Duration | None = None
    lb_policy: str | None = None
    load_assignment: ClusterLoadAssignment | None = None
    health_checks: list[dict[str, Any]] = Field(default_factory=list)
    circuit_breakers: dict[str, Any] | None = None
    outlier_detection: OutlierDetection | None = None
    transport_socket: TransportSocket | None = None
    transport_socket_matches: list[TransportSocketMatch] = Field(default_factory=list)
    metadata: Metadata | None = None
    common_lb_config: dict[str, Any] | None = None
    lb_subset_config: dict[str, Any] | None = None
    typed_extension_protocol_options: dict[str, Any] = Field(default_factory=dict)
    dns_lookup_family: str | None = None
    upstream_connection_options: dict[str, Any] | None = None
    filters: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def discovery_type(self) -> str:
        """``type`` (STATIC, EDS, ORIGINAL_DST, ...) or the custom ``cluster_type`` name.

        proto3 omits the default ``STATIC`` only when ``cluster_type`` is not set either; Envoy
        prints ``"type": "STATIC"`` because the field sits in a oneof.
        """
        if self.type:
            return self.type
        if self.cluster_type is not None:
            return self.cluster_type.name
        return "STATIC"

    @property
    def eds_service_name(self) -> str | None:
        """The ClusterLoadAssignment name this cluster takes its endpoints from (EDS only)."""
        if self.discovery_type != "EDS":
            return None
        if self.eds_cluster_config is not None and self.eds_cluster_config.service_name:
            return self.eds_cluster_config.service_name
        return self.name

    @property
    def istio_metadata(self) -> dict[str, Any]:
        return self.metadata.istio if self.metadata is not None else {}
