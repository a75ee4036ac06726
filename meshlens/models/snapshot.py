"""The unit users hold: a Snapshot of proxies (Envoy and ztunnel), istiod state and load findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from meshlens._gc import gc_held
from meshlens.errors import UsageError
from meshlens.models import hooks
from meshlens.models.base import LoadFinding, Location
from meshlens.models.derived import DerivedFacts
from meshlens.models.guard import KINDS, VALID

if TYPE_CHECKING:  # istiod and ztunnel models are imported by whoever loads them, not by Envoy-only work
    from meshlens.index.graph import MeshGraph
    from meshlens.models.envoy.bootstrap import Bootstrap
    from meshlens.models.envoy.resources import (
        ClusterResource,
        EcdsResource,
        EndpointResource,
        ListenerResource,
        RouteConfigResource,
        SecretResource,
    )
    from meshlens.models.istiod import IstiodState
    from meshlens.models.ztunnel import Ztunnel
    from meshlens.views.base import Table


@dataclass
class SourceInfo:
    """One input document and what it was recognised as."""

    location: Location
    kind: str
    group: str = ""
    mtime: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "file": self.location.file, "member": self.location.member,
                "group": self.group}


@dataclass
class EnvoyProxy:
    """One Envoy (sidecar, gateway or waypoint), from a config dump and its companion captures.

    Resource lists hold static and dynamic resources alike (active, warming, draining, rejected);
    each resource has ``.name``, ``.state`` and ``.raw``.
    """

    group: str
    node_id: str | None = None
    bootstrap: Bootstrap | None = None
    listeners: list[ListenerResource] = field(default_factory=list)
    clusters: list[ClusterResource] = field(default_factory=list)
    route_configs: list[RouteConfigResource] = field(default_factory=list)
    endpoints: list[EndpointResource] = field(default_factory=list)
    secrets: list[SecretResource] = field(default_factory=list)
    ecds: list[EcdsResource] = field(default_factory=list)
    # Which config-dump sections the capture had (``clusters``, ``endpoints``, ...): a view or check
    # must tell "no EDS in this capture" from "no endpoints".
    sections: set[str] = field(default_factory=set)
    section_versions: dict[str, str] = field(default_factory=dict)
    unknown_sections: list[dict[str, Any]] = field(default_factory=list)
    config_dump_style: str | None = None  # "snake" (Envoy) or "camel" (istiod / istioctl)
    config_dump_location: Location | None = None
    config_dump_raw: dict[str, Any] | None = None
    # Companion captures by slot (``clusters``, ``certs``, ``server_info``, ``listeners``, ``stats``,
    # ``memory``, ...), filled by the capture kinds registered in meshlens.sources.admin: a new kind needs
    # no new field here. The usual ones also read as attributes (``proxy.cluster_statuses``, ...).
    captures: dict[str, Any] = field(default_factory=dict)
    logs: list[Any] = field(default_factory=list)
    captured_at: datetime | None = None
    sources: list[SourceInfo] = field(default_factory=list)
    # The load findings (ML0xxx) about this proxy, so that a proxy handed on its own keeps them;
    # the snapshot's ``findings`` holds them too.
    load_findings: list[LoadFinding] = field(default_factory=list, repr=False)
    # Facts derived from the resources (reference index, graph, ...), each built once on first use
    # by the layer that declares it (see meshlens.models.derived); never part of equality or repr.
    derived: DerivedFacts = field(default_factory=DerivedFacts, repr=False, compare=False)

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickled (e.g. from a worker process): re-attach the resources for bulk validation."""
        import weakref

        from meshlens.models.envoy.resources import owner_resources

        self.__dict__.update(state)
        owner = weakref.ref(self)
        for resource in owner_resources(self):
            resource.attach(owner)

    # --- companion captures ---------------------------------------------------------------------
    def capture(self, slot: str) -> Any:
        """The companion capture loaded into ``slot`` (``clusters``, ``memory``, ...), or None."""
        return self.captures.get(slot)

    @property
    def cluster_statuses(self) -> list[Any] | None:
        """``/clusters`` (JSON or text form): ClusterStatus records, or None when not captured."""
        return self.captures.get("clusters")

    @cluster_statuses.setter
    def cluster_statuses(self, value: list[Any] | None) -> None:
        self._set_capture("clusters", value)

    @property
    def certs(self) -> list[Any] | None:
        """``/certs``: CertificateEntry records, or None when not captured."""
        return self.captures.get("certs")

    @certs.setter
    def certs(self, value: list[Any] | None) -> None:
        self._set_capture("certs", value)

    @property
    def server_info(self) -> Any:
        """``/server_info`` (a ServerInfo), or None when not captured."""
        return self.captures.get("server_info")

    @server_info.setter
    def server_info(self, value: Any) -> None:
        self._set_capture("server_info", value)

    @property
    def listener_statuses(self) -> list[Any] | None:
        """``/listeners`` (JSON or text form): ListenerStatus records, or None when not captured."""
        return self.captures.get("listeners")

    @listener_statuses.setter
    def listener_statuses(self, value: list[Any] | None) -> None:
        self._set_capture("listeners", value)

    @property
    def stats(self) -> Any:
        """``/stats`` (JSON, Prometheus or text form: an EnvoyStats), or None when not captured."""
        return self.captures.get("stats")

    @stats.setter
    def stats(self, value: Any) -> None:
        self._set_capture("stats", value)

    def _set_capture(self, slot: str, value: Any) -> None:
        if value is None:
            self.captures.pop(slot, None)
        else:
            self.captures[slot] = value

    # --- identity -----------------------------------------------------------------------------
    @property
    def node(self) -> Any:
        return self.bootstrap.node if self.bootstrap is not None else None

    @property
    def parsed_id(self) -> Any:
        from meshlens.models.names import NodeId

        return NodeId.parse(self.node_id) if self.node_id else None

    @property
    def name(self) -> str:
        """``pod.namespace`` when the node id says so, else the node id, else the source group."""
        parsed = self.parsed_id
        if parsed is not None and parsed.pod_namespace:
            return parsed.pod_namespace
        return self.node_id or self.group

    @property
    def pod(self) -> str | None:
        parsed = self.parsed_id
        return parsed.pod if parsed is not None else None

    @property
    def namespace(self) -> str | None:
        parsed = self.parsed_id
        return parsed.namespace if parsed is not None else None

    def matches(self, name: str) -> bool:
        """True when ``name`` is this proxy's node id, ``pod.namespace``, pod name or group."""
        candidates = {self.node_id, self.name, self.pod, self.group, self.group or "."}
        if self.group:
            candidates.add(self.group.rstrip("/").rsplit("/", 1)[-1])
        return name in candidates

    # --- the guarded boundary (see meshlens.models.guard) ---------------------------------------
    def valid(self, kind: str) -> list[Any]:
        """The resources of ``kind`` (``"listeners"``, ``"clusters"`` ...) that the typed model accepts.

        Views, trace, the index, the graph and checks read resources through here; each refused
        resource is skipped and recorded once in :attr:`refused` as a located ML0007 finding.
        """
        return VALID.of(self).of(kind)

    @property
    def valid_listeners(self) -> list[ListenerResource]:
        """Listeners the typed model accepts (see :meth:`valid`)."""
        return self.valid("listeners")

    @property
    def valid_clusters(self) -> list[ClusterResource]:
        """Clusters the typed model accepts (see :meth:`valid`)."""
        return self.valid("clusters")

    @property
    def valid_route_configs(self) -> list[RouteConfigResource]:
        """Route configurations the typed model accepts (see :meth:`valid`)."""
        return self.valid("route_configs")

    @property
    def valid_endpoints(self) -> list[EndpointResource]:
        """Endpoint assignments the typed model accepts (see :meth:`valid`)."""
        return self.valid("endpoints")

    @property
    def valid_secrets(self) -> list[SecretResource]:
        """Secrets the typed model accepts (see :meth:`valid`)."""
        return self.valid("secrets")

    @property
    def valid_ecds(self) -> list[EcdsResource]:
        """ECDS extension configs the typed model accepts (see :meth:`valid`)."""
        return self.valid("ecds")

    @property
    def refused(self) -> list[LoadFinding]:
        """ML0007 findings for the resources the typed model refused, among the kinds asked so far."""
        return list(VALID.of(self).findings)

    def validate_all(self) -> list[LoadFinding]:
        """Validate every resource now; the ML0007 findings of those the typed model refuses."""
        with gc_held():  # one hold (and at most one settling pass) for all kinds, not one per kind
            for kind in KINDS:
                self.valid(kind)
        return self.refused

    # --- lookups ------------------------------------------------------------------------------
    @property
    def ips(self) -> list[str]:
        """The proxy's own addresses: the node id's IP and ``INSTANCE_IPS`` metadata."""
        found: list[str] = []
        parsed = self.parsed_id
        if parsed is not None and parsed.ip:
            found.append(parsed.ip)
        node = self.node
        extra = node.metadata.get("INSTANCE_IPS") if node is not None else None
        if isinstance(extra, str):
            found.extend(ip.strip() for ip in extra.split(",") if ip.strip() and ip.strip() not in found)
        return found

    def has_section(self, section: str) -> bool:
        return section in self.sections

    def graph(self) -> MeshGraph:
        """The request graph (listener → … → endpoint) as a :class:`meshlens.index.graph.MeshGraph`."""
        return hooks.graph(self)  # the graph is built on models: provided from above, see models/hooks.py

    def view(self, name: str, /, **filters: Any) -> Table:
        """An istioctl-style table of this proxy (``"cluster"``, ``"listener"``, ``"route"``, ...)."""
        return hooks.envoy_view(self, name, **filters)  # views are built on models: see models/hooks.py

    def _repr_html_(self) -> str:
        """The notebook summary card (rendered by the registered renderer)."""
        return hooks.render(self, "html")

    def __repr__(self) -> str:
        return (f"EnvoyProxy({self.name!r}, listeners={len(self.listeners)}, clusters={len(self.clusters)}, "
                f"route_configs={len(self.route_configs)}, endpoints={len(self.endpoints)}, "
                f"secrets={len(self.secrets)})")


@dataclass
class Snapshot:
    """Everything loaded from one source: Envoy proxies, ztunnels, istiod state, load findings."""

    proxies: list[EnvoyProxy] = field(default_factory=list)
    ztunnels: list[Ztunnel] = field(default_factory=list)
    istiod: IstiodState | None = None
    findings: list[LoadFinding] = field(default_factory=list)
    sources: list[SourceInfo] = field(default_factory=list)
    logs: list[Any] = field(default_factory=list)
    captured_at: datetime | None = None
    origin: str = ""
    extras: dict[str, Any] = field(default_factory=dict)  # e.g. bug-report ``versions`` text
    # Facts derived across the snapshot's proxies (the mesh index), built once on first use.
    derived: DerivedFacts = field(default_factory=DerivedFacts, repr=False, compare=False)

    @property
    def kind(self) -> str:
        """The kind of capture: one source's kind, or ``bug-report`` / ``directory`` / ``mixed``."""
        kinds = {s.kind for s in self.sources if s.kind != "unrecognized"}
        if self.extras.get("collection"):
            return str(self.extras["collection"])
        if len(kinds) == 1:
            return kinds.pop()
        return "mixed" if kinds else "empty"

    def proxy(self, name: str | None = None) -> EnvoyProxy:
        """The Envoy proxy whose node id, ``pod.namespace`` or pod name is ``name``.

        With no name, the only proxy of the snapshot.

        Raises:
            UsageError: no proxy (or more than one) matches.
        """
        if name is None:
            if len(self.proxies) == 1:
                return self.proxies[0]
            if not self.proxies:
                raise UsageError("the capture holds no Envoy proxy")
            names = ", ".join(p.name for p in self.proxies)
            raise UsageError(f"the capture holds {len(self.proxies)} proxies; name one of: {names}")
        found = [p for p in self.proxies if p.matches(name)]
        if len(found) == 1:
            return found[0]
        if not found:
            names = ", ".join(p.name for p in self.proxies) or "none"
            raise UsageError(f"no proxy named {name!r} (proxies: {names})")
        groups = ", ".join(repr(p.group or ".") for p in found)
        raise UsageError(f"{name!r} names {len(found)} captures of the same proxy (folders {groups}); "
                         "pass the folder name instead, or load one of them")

    def ztunnel(self, name: str | None = None) -> Ztunnel:
        """The ztunnel named ``name`` (its pod name or source group), or the only one."""
        if name is None:
            if len(self.ztunnels) == 1:
                return self.ztunnels[0]
            raise UsageError(f"the capture holds {len(self.ztunnels)} ztunnels; name one")
        for z in self.ztunnels:
            if name in (z.name, z.location.file, z.location.member):
                return z
        raise UsageError(f"no ztunnel named {name!r}")

    def absorb(self, part: Snapshot) -> None:
        """Add what ``part`` holds (proxies, ztunnels, findings, sources, logs, istiod state) to this snapshot.

        Used to join the snapshots of several inputs or of an archive's parts; ``part`` is left unchanged.
        """
        self.proxies.extend(part.proxies)
        self.ztunnels.extend(part.ztunnels)
        self.findings.extend(part.findings)
        self.sources.extend(part.sources)
        self.logs.extend(part.logs)
        for key, value in part.extras.items():
            self.extras.setdefault(key, value)
        if part.istiod is not None:
            if self.istiod is None:
                self.istiod = type(part.istiod)()
            self.istiod.sync.extend(part.istiod.sync)
            for plane in part.istiod.control_planes:
                self.istiod.add_control_plane(plane)
        if part.captured_at is not None and (self.captured_at is None or part.captured_at > self.captured_at):
            self.captured_at = part.captured_at

    def _repr_html_(self) -> str:
        """The notebook summary card (rendered by the registered renderer)."""
        return hooks.render(self, "html")

    def __repr__(self) -> str:
        return (f"Snapshot(kind={self.kind!r}, proxies={len(self.proxies)}, ztunnels={len(self.ztunnels)}, "
                f"istiod={'yes' if self.istiod else 'no'}, findings={len(self.findings)})")
