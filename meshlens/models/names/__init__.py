"""THE only parser of Envoy/Istio/ztunnel name strings: clusters, listeners, routes, ids, addresses.

Every type is a frozen value: ``X.parse(s)`` never raises (unknown shapes get kind ``"opaque"``),
``str(x)`` is the original string, and equality/hash use that string only. Pydantic fields may be
typed with these classes: they validate from a string and serialize back to it. Nothing outside
this package splits names (``tests/test_no_name_splitting.py`` enforces it).
"""

from __future__ import annotations

from meshlens.models.names._base import NameValue
from meshlens.models.names.envoy_names import (
    DIRECTIONS,
    INTERNAL_LISTENERS,
    SPECIAL_CLUSTERS,
    ClusterName,
    FilterChainName,
    ListenerName,
    RouteConfigName,
    SecretName,
    VirtualHostName,
    build_srv_subset_key,
    build_subset_key,
)
from meshlens.models.names.istio_names import (
    PROXY_TYPES,
    IstioConfigRef,
    NodeId,
    RbacPolicyName,
    SpiffeId,
    WorkloadMetadata,
)
from meshlens.models.names.ztunnel_names import GatewayDestination, NamespacedHostname, NetworkAddress, WorkloadUid

__all__ = [
    "DIRECTIONS",
    "INTERNAL_LISTENERS",
    "PROXY_TYPES",
    "SPECIAL_CLUSTERS",
    "ClusterName",
    "FilterChainName",
    "GatewayDestination",
    "IstioConfigRef",
    "ListenerName",
    "NameValue",
    "NamespacedHostname",
    "NetworkAddress",
    "NodeId",
    "RbacPolicyName",
    "RouteConfigName",
    "SecretName",
    "SpiffeId",
    "VirtualHostName",
    "WorkloadMetadata",
    "WorkloadUid",
    "build_srv_subset_key",
    "build_subset_key",
]
