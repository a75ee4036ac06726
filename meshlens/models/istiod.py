"""istiod's view of its proxies: per-proxy, per-xDS-type sync status (syncz), one model for both forms.

* The XDS form (``istioctl proxy-status -o json|yaml``): a DiscoveryResponse whose resources are
  ``envoy.service.status.v3.ClientConfig`` with ``genericXdsConfigs[].configStatus`` already
  decided by istiod, and ``controlPlane.identifier`` naming the istiod.
* The HTTP form (``/debug/syncz``, bug-report ``istio/<ns>/<istiod>/debug/syncz``): an array of rows
  with nonces sent/acked and the last NACK error per type; the status is derived here with istiod's
  own rule (:func:`derive_status`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from meshlens.models.base import Location, MeshModel

TYPE_PREFIX = "type.googleapis.com/"
CDS = TYPE_PREFIX + "envoy.config.cluster.v3.Cluster"
LDS = TYPE_PREFIX + "envoy.config.listener.v3.Listener"
RDS = TYPE_PREFIX + "envoy.config.route.v3.RouteConfiguration"
EDS = TYPE_PREFIX + "envoy.config.endpoint.v3.ClusterLoadAssignment"
SDS = TYPE_PREFIX + "envoy.extensions.transport_sockets.tls.v3.Secret"
ECDS = TYPE_PREFIX + "envoy.config.core.v3.TypedExtensionConfig"

# istio pkg/model/xds.go short names.
SHORT_TYPES: dict[str, str] = {
    CDS: "CDS", LDS: "LDS", RDS: "RDS", EDS: "EDS", SDS: "SDS", ECDS: "ECDS",
    TYPE_PREFIX + "istio.networking.nds.v1.NameTable": "NDS",
    TYPE_PREFIX + "istio.mesh.v1alpha1.ProxyConfig": "PCDS",
    TYPE_PREFIX + "istio.workload.Address": "WDS",
    TYPE_PREFIX + "istio.workload.Workload": "WDS",
    TYPE_PREFIX + "istio.security.Authorization": "WADS",
}
_BY_SHORT: dict[str, str] = {}
for _url, _short in SHORT_TYPES.items():
    _BY_SHORT.setdefault(_short, _url)
# proxy-status lists these first, in this order, then the other subscribed types by URL.
CORE_TYPES: tuple[str, ...] = (CDS, LDS, EDS, RDS)


def short_type(type_url: str) -> str:
    """``CDS`` for the Cluster type URL; unknown types keep their URL (as istioctl prints them)."""
    return SHORT_TYPES.get(type_url, type_url)


def type_url(name: str) -> str:
    """The type URL for a short name (``cds`` / ``CDS``) or a URL (returned as given)."""
    return _BY_SHORT.get(name.upper(), name)


class SyncStatus(str, Enum):
    """One xDS type's sync state for one proxy; ``IGNORED`` = the proxy never subscribed to it."""

    SYNCED = "SYNCED"
    STALE = "STALE"
    NOT_SENT = "NOT_SENT"
    ERROR = "ERROR"
    IGNORED = "IGNORED"

    @property
    def label(self) -> str:
        """How istioctl prints it (``NOT SENT``)."""
        return "NOT SENT" if self is SyncStatus.NOT_SENT else self.value

    @property
    def rank(self) -> int:
        """Badness, for folding several entries of one type: ERROR > STALE > NOT_SENT > SYNCED > IGNORED."""
        return _RANK[self]

    @classmethod
    def from_config_status(cls, value: Any) -> SyncStatus:
        """From a ClientConfig ``configStatus`` (``UNKNOWN``/absent -> ``IGNORED``, as istioctl shows it)."""
        text = str(value or "").upper()
        try:
            status = cls(text)
        except ValueError:
            return cls.IGNORED
        return status


_RANK = {SyncStatus.IGNORED: 0, SyncStatus.SYNCED: 1, SyncStatus.NOT_SENT: 2, SyncStatus.STALE: 3,
         SyncStatus.ERROR: 4}


def derive_status(sent: str | None, acked: str | None, last_error: str | None = None) -> SyncStatus:
    """istiod's rule (``statusgen.debugSyncStatus``): a NACK error first, then the nonces.

    ``ERROR`` if the last response was NACKed; else ``NOT_SENT`` if nothing was sent; else
    ``SYNCED`` if the last nonce sent was ACKed; else ``STALE``.
    """
    if last_error:
        return SyncStatus.ERROR
    if not sent:
        return SyncStatus.NOT_SENT
    if acked == sent:
        return SyncStatus.SYNCED
    return SyncStatus.STALE


class TypeSync(MeshModel):
    """The sync state of one xDS type for one proxy."""

    type_url: str
    status: SyncStatus
    nonce_sent: str | None = None  # HTTP form
    nonce_acked: str | None = None  # HTTP form
    last_error: str | None = None  # NACK text (HTTP lastError, XDS errorState.details)
    sent_at: datetime | None = None  # HTTP sentTime
    last_updated: datetime | None = None  # XDS lastUpdated
    version_info: str | None = None  # XDS versionInfo

    @property
    def short_name(self) -> str:
        return short_type(self.type_url)

    @property
    def subscribed(self) -> bool:
        return self.status is not SyncStatus.IGNORED

    @property
    def time(self) -> datetime | None:
        """When istiod last changed this type's state (XDS lastUpdated, else HTTP sentTime)."""
        return self.last_updated or self.sent_at


class ControlPlane(MeshModel):
    """One istiod instance that reported sync status."""

    id: str
    component: str | None = None
    namespace: str | None = None
    info: dict[str, Any] = {}  # version, revision, golang_version, status, tag
    location: Location | None = None

    @property
    def version(self) -> str | None:
        return self.info.get("version") or None

    @property
    def revision(self) -> str | None:
        return self.info.get("revision") or None


class ProxySync(MeshModel):
    """One row of proxy-status: a proxy as one istiod sees it, with a status per xDS type."""

    proxy: str  # istiod's proxy id: ``pod.namespace`` for Kubernetes pods (XDS node.id)
    cluster_id: str | None = None
    proxy_type: str | None = None  # sidecar, router, waypoint, ztunnel (HTTP form)
    istio_version: str | None = None
    proxy_version: str | None = None
    namespace: str | None = None
    istiod: str | None = None  # the istiod pod / controlPlane ID the row came from
    metadata: dict[str, Any] = {}  # XDS node.metadata
    types: dict[str, TypeSync] = {}  # by type URL
    form: str = "http"  # "xds" (ClientConfig) or "http" (/debug/syncz)
    location: Location = Location()

    @property
    def name(self) -> str:
        """``pod.namespace`` (a full node id ``sidecar~ip~pod.ns~...`` is reduced to it)."""
        if "~" in self.proxy:
            from meshlens.models.names import NodeId

            parsed = NodeId.parse(self.proxy)
            return parsed.pod_namespace or self.proxy
        return self.proxy

    @property
    def pod(self) -> str:
        name = self.name
        if self.namespace and name.endswith("." + self.namespace):
            return name[: -len(self.namespace) - 1]
        return name.rpartition(".")[0] or name

    def sync(self, type_: str) -> TypeSync | None:
        """The entry for ``type_`` (a short name like ``CDS`` or a type URL), or None."""
        return self.types.get(type_url(type_))

    def status(self, type_: str) -> SyncStatus:
        """The status of ``type_`` (``CDS`` or a type URL); ``IGNORED`` when not subscribed."""
        entry = self.sync(type_)
        return entry.status if entry is not None else SyncStatus.IGNORED

    @property
    def cds(self) -> SyncStatus:
        return self.status(CDS)

    @property
    def lds(self) -> SyncStatus:
        return self.status(LDS)

    @property
    def eds(self) -> SyncStatus:
        return self.status(EDS)

    @property
    def rds(self) -> SyncStatus:
        return self.status(RDS)

    @property
    def ecds(self) -> SyncStatus:
        return self.status(ECDS)

    def subscribed_types(self) -> list[TypeSync]:
        """Non-IGNORED types: CDS, LDS, EDS, RDS first, then the rest by type URL (proxy-status order)."""
        subscribed = [t for t in self.types.values() if t.subscribed]
        core = {url: i for i, url in enumerate(CORE_TYPES)}
        return sorted(subscribed, key=lambda t: (core.get(t.type_url, len(core)), t.type_url))

    @property
    def errors(self) -> dict[str, str]:
        """NACK text per short type name."""
        return {t.short_name: t.last_error for t in self.types.values() if t.last_error}

    def matches(self, name: str) -> bool:
        return name in (self.proxy, self.name, self.pod)


@dataclass
class IstiodState:
    """What a capture holds of the control plane: proxy sync rows (syncz) from one or more istiods."""

    sync: list[ProxySync] = field(default_factory=list)
    control_planes: list[ControlPlane] = field(default_factory=list)

    def add_control_plane(self, plane: ControlPlane) -> ControlPlane:
        for known in self.control_planes:
            if known.id == plane.id:
                return known
        self.control_planes.append(plane)
        return plane

    def rows_for(self, name: str) -> list[ProxySync]:
        """Every sync row of the proxy named ``name`` (node id, ``pod.namespace`` or pod name)."""
        return [row for row in self.sync if row.matches(name)]

    def proxy_sync(self, name: str) -> ProxySync | None:
        """The first sync row of the proxy named ``name``, or None."""
        rows = self.rows_for(name)
        return rows[0] if rows else None

    @property
    def istiods(self) -> list[str]:
        """Ids of the istiods that reported (control-plane ids and pods from the capture layout)."""
        ids = [p.id for p in self.control_planes]
        ids += [r.istiod for r in self.sync if r.istiod and r.istiod not in ids]
        return list(dict.fromkeys(ids))

    def __repr__(self) -> str:
        return f"IstiodState(sync={len(self.sync)} rows, istiods={self.istiods})"
