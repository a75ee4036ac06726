"""The mesh index: who is behind an IP, a VIP or an identity, across every proxy of a snapshot.

``mesh_index(snapshot)`` (the :data:`MESH` fact of the snapshot, built once on first use) answers the
cross-proxy questions from what the snapshot holds, never by walking raw resources more than once:

- endpoint IP -> :class:`Placement` records: each Envoy's own IPs (node id, ``INSTANCE_IPS``) with its
  node metadata (pod, namespace, workload, service account); the EDS metadata every sidecar holds
  for its upstream endpoints (``filter_metadata.istio.workload``); the ztunnels' workloads
  (addresses, workload, identity, HBONE or TCP, waypoint). Several sources may claim one IP: all
  claims are kept, the strongest first (a captured proxy, then a ztunnel workload, then EDS), and
  claims that disagree on the pod or workload are listed in :attr:`MeshIndex.conflicts`;
- service VIP -> service hosts: each Envoy's ``ProxyIndex.host_vips()`` inverted, plus ztunnel services;
- identity (SPIFFE URI) -> placements: from each proxy's ``/certs`` leaf and the ztunnel workloads;
- proxies istiod's syncz reports (``pod.namespace``) that the snapshot holds no dump of.

An IP the index cannot place is outside the archive (:meth:`MeshIndex.place` returns None).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from meshlens.index.addresses import is_ip, norm_ip
from meshlens.index.proxy import index_for
from meshlens.models.derived import Fact
from meshlens.models.names import NetworkAddress, SpiffeId, WorkloadMetadata
from meshlens.models.snapshot import EnvoyProxy, Snapshot

if TYPE_CHECKING:
    from meshlens.models.ztunnel import Ztunnel
    from meshlens.models.ztunnel.records import Workload

__all__ = ["MESH", "MeshIndex", "Placement", "mesh_index"]

# Claim strength: a captured proxy knows its own IP; a ztunnel's workload table comes from istiod;
# EDS metadata is what another proxy was told about an upstream.
_RANK = {"sidecar": 0, "ztunnel": 1, "eds": 2}


@dataclass(frozen=True)
class Placement:
    """What one source says is behind an IP.

    Attributes:
        ip: canonical IP.
        source: ``sidecar`` (a captured Envoy's own IP), ``ztunnel`` (a ztunnel's workload table) or
            ``eds`` (the endpoint metadata another proxy holds).
        pod / namespace / workload: what the source names (None when it does not say).
        proxy: the captured Envoy at this IP (source ``sidecar``).
        ztunnel: the captured ztunnel whose workload table holds the IP (source ``ztunnel``).
        ztunnel_workload: that workload record (protocol HBONE/TCP, waypoint, node).
        identity: the SPIFFE URI of the workload, when the source gives it.
        said_by: which proxy / ztunnel / member holds the claim (for reports).
    """

    ip: str
    source: str
    pod: str | None = None
    namespace: str | None = None
    workload: str | None = None
    proxy: EnvoyProxy | None = field(default=None, compare=False, repr=False)
    ztunnel: Ztunnel | None = field(default=None, compare=False, repr=False)
    ztunnel_workload: Workload | None = field(default=None, compare=False, repr=False)
    identity: str | None = None
    said_by: str = ""

    @property
    def proxy_name(self) -> str | None:
        """The captured proxy's name (``pod.namespace``), when the IP is a captured Envoy's."""
        return self.proxy.name if self.proxy is not None else None

    def label(self) -> str:
        """``pod.namespace`` when known, else ``workload (namespace)``, else the IP."""
        if self.pod:
            return f"{self.pod}.{self.namespace}" if self.namespace else self.pod
        if self.workload:
            return f"workload {self.workload}" + (f" ({self.namespace})" if self.namespace else "")
        return self.ip

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (the proxy and ztunnel by name)."""
        return {"ip": self.ip, "source": self.source, "pod": self.pod, "namespace": self.namespace,
                "workload": self.workload, "proxy": self.proxy_name,
                "ztunnel": self.ztunnel.name if self.ztunnel is not None else None,
                "identity": self.identity, "said_by": self.said_by}


@dataclass
class MeshIndex:
    """Lookups across a snapshot: IP -> placements, VIP -> services, identity -> placements."""

    snapshot: Snapshot
    by_ip: dict[str, list[Placement]] = field(default_factory=dict)
    vips: dict[str, list[str]] = field(default_factory=dict)
    identities: dict[str, list[Placement]] = field(default_factory=dict)
    syncz_only: list[str] = field(default_factory=list)  # pod.namespace in syncz, no dump in the snapshot

    @classmethod
    def build(cls, snapshot: Snapshot) -> MeshIndex:
        """Index ``snapshot`` (use :func:`mesh_index`, which builds it once per snapshot)."""
        idx = cls(snapshot)
        for proxy in snapshot.proxies:
            idx._add_proxy(proxy)
        for ztunnel in snapshot.ztunnels:
            for wl in ztunnel.workloads:
                idx._add_ztunnel_workload(ztunnel, wl)
            for svc in ztunnel.services:
                for vip in svc.vips:
                    addr = NetworkAddress.parse(vip)
                    if addr.kind == "address" and addr.address:
                        idx._add_vip(addr.address, svc.hostname or svc.name)
        for proxy in snapshot.proxies:
            idx._add_eds(proxy)
        for placements in idx.by_ip.values():
            placements.sort(key=lambda p: _RANK.get(p.source, 9))
        idx._syncz_rows()
        return idx

    # --- building -----------------------------------------------------------------------------
    def _claim(self, placement: Placement) -> None:
        found = self.by_ip.setdefault(placement.ip, [])
        if placement not in found:
            found.append(placement)
        if placement.identity:
            ids = self.identities.setdefault(placement.identity, [])
            if placement not in ids:
                ids.append(placement)

    def _add_vip(self, ip: str, host: str) -> None:
        if not is_ip(ip) or not host:
            return
        hosts = self.vips.setdefault(norm_ip(ip), [])
        if host not in hosts:
            hosts.append(host)

    def _add_proxy(self, proxy: EnvoyProxy) -> None:
        node = proxy.node
        meta: dict[str, Any] = node.metadata if node is not None else {}
        workload = meta.get("WORKLOAD_NAME")
        identity = _proxy_identity(proxy)
        for ip in index_for(proxy).own_ips:
            self._claim(Placement(ip, "sidecar", proxy.pod or _str(meta.get("NAME")),
                                  proxy.namespace or _str(meta.get("NAMESPACE")), _str(workload),
                                  proxy=proxy, identity=identity, said_by=proxy.name))
        for host, ips in index_for(proxy).host_vips().items():
            for ip in ips:
                self._add_vip(ip, host)

    def _add_ztunnel_workload(self, ztunnel: Ztunnel, wl: Workload) -> None:
        identity = None
        if wl.trust_domain and wl.namespace and wl.service_account:
            identity = SpiffeId.parse(f"spiffe://{wl.trust_domain}/ns/{wl.namespace}/sa/{wl.service_account}").uri
        for raw in wl.workload_ips:
            ip = NetworkAddress.parse(raw).address if "/" in raw else raw
            if not ip or not is_ip(ip):
                continue
            self._claim(Placement(norm_ip(ip), "ztunnel", wl.name or None, wl.namespace or None,
                                  wl.workload_name or None, ztunnel=ztunnel, ztunnel_workload=wl,
                                  identity=identity, said_by=f"ztunnel {ztunnel.name}"))

    def _add_eds(self, proxy: EnvoyProxy) -> None:
        for res in proxy.endpoints:
            for group in res.raw.get("endpoints") or ():
                for lb in group.get("lb_endpoints") or ():
                    sock = ((lb.get("endpoint") or {}).get("address") or {}).get("socket_address") or {}
                    ip = sock.get("address")
                    if not isinstance(ip, str) or not is_ip(ip):
                        continue
                    ip = norm_ip(ip)
                    istio = ((lb.get("metadata") or {}).get("filter_metadata") or {}).get("istio") or {}
                    meta = WorkloadMetadata.parse(istio.get("workload"))
                    if meta.kind != "workload":
                        continue
                    if any(p.source == "eds" and p.workload == meta.workload and p.namespace == meta.namespace
                           for p in self.by_ip.get(ip, ())):
                        continue  # every sidecar holds the same EDS: one claim per (ip, workload)
                    self._claim(Placement(ip, "eds", None, meta.namespace or None, meta.workload or None,
                                          said_by=f"EDS of {proxy.name} ({res.name})"))

    def _syncz_rows(self) -> None:
        istiod = self.snapshot.istiod
        rows = getattr(istiod, "sync", None) or getattr(istiod, "syncz", None) or ()
        held = {p.name for p in self.snapshot.proxies} | {z.name for z in self.snapshot.ztunnels}
        for row in rows:
            name = getattr(row, "proxy", None) or getattr(row, "name", None)
            if isinstance(name, str) and name and name not in held and name.split(".", 1)[0] not in held:
                self.syncz_only.append(name)

    # --- lookups --------------------------------------------------------------------------------
    def placements(self, ip: str) -> list[Placement]:
        """Every claim on ``ip``, the strongest first (captured proxy, ztunnel workload, EDS)."""
        return self.by_ip.get(norm_ip(ip), []) if is_ip(ip) else []

    def place(self, ip: str) -> Placement | None:
        """The strongest claim on ``ip``, or None: the IP is outside the archive."""
        found = self.placements(ip)
        return found[0] if found else None

    def proxy_at(self, ip: str) -> EnvoyProxy | None:
        """The captured Envoy whose own IP is ``ip``."""
        return next((p.proxy for p in self.placements(ip) if p.proxy is not None), None)

    def ztunnel_for(self, ip: str) -> Placement | None:
        """The ztunnel workload claim on ``ip`` (an ambient or ztunnel-known workload)."""
        return next((p for p in self.placements(ip) if p.source == "ztunnel"), None)

    def services_at(self, vip: str) -> list[str]:
        """The service hosts whose VIP is ``vip``."""
        return self.vips.get(norm_ip(vip), []) if is_ip(vip) else []

    def workloads_of(self, identity: str) -> list[Placement]:
        """The placements that run as ``identity`` (a SPIFFE URI or a bare principal)."""
        uri = SpiffeId.parse(identity).uri or identity
        return self.identities.get(uri, [])

    @property
    def conflicts(self) -> dict[str, list[Placement]]:
        """IPs that two sources place on different pods or workloads (kept, not overwritten)."""
        out: dict[str, list[Placement]] = {}
        for ip, found in self.by_ip.items():
            names = {(p.namespace, p.workload) for p in found if p.workload}
            pods = {(p.namespace, p.pod) for p in found if p.pod}
            if len(names) > 1 or len(pods) > 1:
                out[ip] = found
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form: every IP's claims, VIPs, identities, syncz-only proxies, conflicts."""
        return {"ips": {ip: [p.to_dict() for p in found] for ip, found in sorted(self.by_ip.items())},
                "vips": dict(sorted(self.vips.items())),
                "identities": {i: sorted({p.label() for p in found}) for i, found in sorted(self.identities.items())},
                "syncz_only": list(self.syncz_only), "conflicts": sorted(self.conflicts)}

    def __repr__(self) -> str:
        return (f"MeshIndex(ips={len(self.by_ip)}, vips={len(self.vips)}, identities={len(self.identities)}, "
                f"conflicts={len(self.conflicts)})")


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _proxy_identity(proxy: EnvoyProxy) -> str | None:
    """The SPIFFE URI of the proxy's workload certificate (``/certs`` leaf), when captured."""
    ids: Iterable[str | None] = (entry.leaf.spiffe_id for entry in proxy.certs or () if entry.leaf is not None)
    return next((i for i in ids if i), None)


MESH: Fact[Snapshot, MeshIndex] = Fact("mesh", MeshIndex.build)


def mesh_index(snapshot: Snapshot) -> MeshIndex:
    """The snapshot's mesh index (built on first use, then kept with the snapshot)."""
    return MESH.of(snapshot)
