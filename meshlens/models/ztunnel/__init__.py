"""ztunnel /config_dump records and the :class:`Ztunnel` that holds one ztunnel's captured state.

The records are the same whichever dump shape they came from (<= 1.21 internal stores, 1.22 maps,
1.23+ lists, a LocalConfig YAML): ``sources/ztunnel.py`` finds them in the document, the classes
here read each one. Every top-level record keeps its ``raw`` dict and ``json_path``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from meshlens.models import hooks
from meshlens.models.base import LoadFinding, Location
from meshlens.models.duration import Duration
from meshlens.models.ztunnel._base import (
    ZModel,
    ZtunnelRecord,
    describe_type,
    describe_value,
    explain_validation_error,
    json_path_key,
)
from meshlens.models.ztunnel.records import (
    ApplicationTunnel,
    CidrVip,
    Endpoint,
    GatewayAddress,
    LoadBalancer,
    Locality,
    Policy,
    RbacMatch,
    Service,
    ServiceAccountMatch,
    StagedService,
    StringMatch,
    WeightedWaypoint,
    Workload,
)
from meshlens.models.ztunnel.state import (
    BuildInfo,
    CertDump,
    CertsDump,
    Connection,
    Connections,
    WorkloadInfo,
    WorkloadState,
)

if TYPE_CHECKING:
    from meshlens.views.base import Table

# Dump shapes (``Ztunnel.shape``).
SHAPE_LIST = "list"  # 1.23+: workloads/services/policies are arrays
SHAPE_MAP = "map"  # 1.22: objects keyed "network/ip", "network/vip", "ns/name"
SHAPE_STORES = "stores"  # <= 1.21: snake_case internal stores (by_uid, by_vip, by_host, ...)
SHAPE_LOCAL_CONFIG = "local-config"  # a LocalConfig YAML (LOCAL_XDS_PATH / staticConfig)
SHAPES = (SHAPE_LIST, SHAPE_MAP, SHAPE_STORES, SHAPE_LOCAL_CONFIG)


@dataclass(eq=False)
class StaticConfig:
    """``staticConfig``: ztunnel's LocalConfig (from ``LOCAL_XDS_PATH``), usually three empty lists."""

    workloads: list[Workload] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    policies: list[Policy] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.workloads or self.services or self.policies)


def _duration(value: Any) -> timedelta | None:
    """serde's Duration ``{"secs": 86400, "nanos": 0}`` (or a number of seconds); None when absent or not one."""
    if value is None:
        return None
    try:
        return Duration.parse(value).to_timedelta()
    except ValueError:
        return None


@dataclass(eq=False)
class Ztunnel:
    """One ztunnel's captured state, whichever dump shape it came from.

    Attributes:
        name: the ztunnel pod (bug-report ``proxies/<ns>/<pod>/config_dump``) or the file's stem.
        location: the file / archive member it was read from.
        raw: the whole document as parsed.
        shape: ``list`` (1.23+), ``map`` (1.22), ``stores`` (<= 1.21) or ``local-config``.
        workloads, services, policies, certificates, workload_state, staged_services: typed
            records (for a LocalConfig: its workloads, services and policies).
        static_config: ``staticConfig`` (for a LocalConfig document: the same records again).
        version: ``version`` (build info), None when the dump has none.
        config: ``config``, ztunnel's runtime settings, as an open-ended dict; the fields an
            analysis needs are properties (:attr:`local_node`, :attr:`cluster_id`, ...).
        captured_at: when the capture was taken, if the source says (archive member time).
        load_findings: what the loader found about this ztunnel (also in ``Snapshot.findings``), so
            that a ztunnel handed on its own keeps them.
    """

    location: Location
    raw: dict[str, Any]
    name: str = ""
    shape: str = SHAPE_LIST
    workloads: list[Workload] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    policies: list[Policy] = field(default_factory=list)
    certificates: list[CertsDump] = field(default_factory=list)
    workload_state: list[WorkloadState] = field(default_factory=list)
    staged_services: list[StagedService] = field(default_factory=list)
    static_config: StaticConfig | None = None
    version: BuildInfo | None = None
    config: dict[str, Any] = field(default_factory=dict)
    # The load findings (ML0xxx) about this ztunnel; the snapshot's ``findings`` holds them too.
    load_findings: list[LoadFinding] = field(default_factory=list, repr=False)
    captured_at: datetime | None = None

    # --- config ---------------------------------------------------------------------------------
    def _config(self, camel: str, snake: str) -> Any:
        return self.config.get(camel, self.config.get(snake))

    @property
    def local_node(self) -> str | None:
        """The Kubernetes node this ztunnel runs on (``config.localNode``)."""
        return self._config("localNode", "local_node")

    @property
    def cluster_id(self) -> str | None:
        return self._config("clusterId", "cluster_id")

    @property
    def network(self) -> str | None:
        return self._config("network", "network")

    @property
    def proxy_mode(self) -> str | None:
        """``Shared`` (node proxy) or ``Dedicated``."""
        return self._config("proxyMode", "proxy_mode")

    @property
    def secret_ttl(self) -> timedelta | None:
        return _duration(self._config("secretTtl", "secret_ttl"))

    @property
    def ca_address(self) -> str | None:
        return self._config("caAddress", "ca_address")

    @property
    def istio_version(self) -> str | None:
        return self.version.release if self.version else None

    # --- lookups --------------------------------------------------------------------------------
    @cached_property
    def _workloads_by_uid(self) -> dict[str, Workload]:
        return {w.uid: w for w in self.workloads if w.uid}

    @cached_property
    def _services_by_key(self) -> dict[str, Service]:
        return {s.key: s for s in self.services}

    def workload(self, uid: str) -> Workload | None:
        """The workload with this uid (O(1); built on first use, so load the lists first)."""
        return self._workloads_by_uid.get(uid)

    def service(self, key: str) -> Service | None:
        """The service ``namespace/hostname``."""
        return self._services_by_key.get(key)

    def view(self, name: str, /, **filters: Any) -> Table:
        """An istioctl ``ztunnel-config`` table of this ztunnel (``"workload"``, ``"service"``, ...)."""
        return hooks.ztunnel_view(self, name, **filters)  # views are built on models: see models/hooks.py

    def counts(self) -> dict[str, int]:
        return {"workloads": len(self.workloads), "services": len(self.services),
                "policies": len(self.policies), "certificates": len(self.certificates),
                "workload_state": len(self.workload_state), "staged_services": len(self.staged_services)}

    def _repr_html_(self) -> str:
        """The notebook summary card (rendered by the registered renderer)."""
        return hooks.render(self, "html")

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v}" for k, v in self.counts().items())
        return f"Ztunnel({self.name!r}, shape={self.shape!r}, {inner})"


__all__ = [
    "SHAPES",
    "SHAPE_LIST",
    "SHAPE_LOCAL_CONFIG",
    "SHAPE_MAP",
    "SHAPE_STORES",
    "ApplicationTunnel",
    "BuildInfo",
    "CertDump",
    "CertsDump",
    "CidrVip",
    "Connection",
    "Connections",
    "Endpoint",
    "GatewayAddress",
    "LoadBalancer",
    "Locality",
    "Policy",
    "RbacMatch",
    "Service",
    "ServiceAccountMatch",
    "StagedService",
    "StaticConfig",
    "StringMatch",
    "WeightedWaypoint",
    "Workload",
    "WorkloadInfo",
    "WorkloadState",
    "ZModel",
    "Ztunnel",
    "ZtunnelRecord",
    "describe_type",
    "describe_value",
    "explain_validation_error",
    "json_path_key",
]
