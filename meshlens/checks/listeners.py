"""ML2xxx: listeners: RDS and TCP proxy references that lead nowhere, services a catch-all blackholes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from meshlens.analysis.trace import trace
from meshlens.analysis.trace.model import Disposition
from meshlens.checks._util import subject
from meshlens.checks.base import Check, CheckContext, Severity
from meshlens.index.proxy import index_for
from meshlens.models.snapshot import EnvoyProxy, Snapshot
from meshlens.results import Finding, Subject


class RdsNotLoaded(Check):
    """A listener's HTTP connection manager asks for a route configuration the proxy does not have.

    ## What it checks
    Every ``rds.route_config_name`` of an HTTP connection manager, in listeners of any state but
    rejected, against the route configurations of the capture (captures without a
    RoutesConfigDump are left out).

    ## Why it matters
    A listener waits (warms) for its RDS resource: until it arrives the listener serves nothing,
    and a listener update stays warming while the old version keeps serving. After
    ``initial_fetch_timeout`` Envoy serves it with no routes: every request gets 404 (NR).

    ## Example
    Listener ``0.0.0.0_8081`` in ``warming_state`` with ``rds.route_config_name: "8081"``; no route
    configuration ``8081`` in the dump.

    ## How to fix
    Find why the control plane does not send it: ``meshlens diff`` against istiod's
    ``/debug/config_dump?proxyID=``, istiod's log, an EnvoyFilter that adds the listener without
    its routes.
    """

    code = "ML2001"
    name = "listeners.rds-not-loaded"
    severity = Severity.ERROR
    title = "RDS route configuration not loaded"
    message = "listener {listener} ({state}), chain {chain}, asks for route configuration {route_config!r}, " \
              "which is not loaded"
    inputs = ("listeners",)

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject]:
        for proxy in snapshot.proxies:
            if "routes" not in proxy.sections:
                continue
            loaded = {rc.name for rc in proxy.route_configs}
            for ref in index_for(proxy).refs.rds_refs:
                subj = subject(proxy, "listener", ref.listener.name or f"@{ref.listener.json_path}")
                yield subj
                if ref.route_config not in loaded:
                    yield self.finding(subj, ref.location, listener=subj.name, state=ref.listener.state,
                                       chain=ref.chain, route_config=ref.route_config)


class TcpClusterNotLoaded(Check):
    """A listener's TCP proxy sends to a cluster the proxy does not have.

    ## What it checks
    ``tcp_proxy`` ``cluster`` and ``weighted_clusters`` names in listeners (any state but
    rejected) against the clusters Envoy holds (static, active, warming).

    ## Why it matters
    Envoy closes every connection that reaches that filter chain at once (``UF``/``NC``).

    ## Example
    Listener ``10.96.0.10_53`` with ``tcp_proxy.cluster: outbound|53||kube-dns...`` while CDS
    lacks that cluster.

    ## How to fix
    Check why CDS lacks the cluster (rejected: ML5001; not sent: ``meshlens diff``).
    """

    code = "ML2002"
    name = "listeners.tcp-cluster-not-loaded"
    severity = Severity.ERROR
    title = "TCP proxy cluster not loaded"
    message = "listener {listener} sends TCP traffic to cluster {cluster}, which is not loaded"
    inputs = ("listeners",)

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject]:
        for proxy in snapshot.proxies:
            if "clusters" not in proxy.sections:
                continue
            clusters = index_for(proxy).loaded_clusters
            for ref in index_for(proxy).refs.tcp_refs:
                subj = subject(proxy, "listener", ref.name)
                yield subj
                if ref.cluster not in clusters:
                    yield self.finding(subj, ref.location, listener=ref.name, cluster=ref.cluster)


@dataclass(frozen=True)
class KnownService:
    """A service the mesh knows (host, port, where it was seen) and, when known, its VIP."""

    host: str
    port: int
    origin: str
    vip: str | None = None  # known up front for ztunnel services
    source: EnvoyProxy | None = None  # the Envoy whose route domains / listener names give the VIP

    def address(self) -> str | None:
        if self.vip is None and self.source is not None:
            ips = index_for(self.source).host_vips().get(self.host)
            return f"{ips[0]}:{self.port}" if ips else None
        return f"{self.vip}:{self.port}" if self.vip else None


def _outbound_services(proxy: EnvoyProxy) -> set[tuple[str, int]]:
    return index_for(proxy).outbound_services()


def known_services(snapshot: Snapshot) -> dict[tuple[str, int], KnownService]:
    """Services some proxy of the snapshot knows: outbound clusters of Envoys, ztunnel services."""
    out: dict[tuple[str, int], KnownService] = {}
    for proxy in snapshot.proxies:
        for host, port in _outbound_services(proxy):
            out.setdefault((host, port), KnownService(host, port, f"a cluster of {proxy.name}", source=proxy))
    for z in snapshot.ztunnels:
        for svc in z.services:
            ips = svc.vip_ips
            for port_text in svc.ports:
                if port_text.isdigit():
                    out.setdefault((svc.hostname, int(port_text)), KnownService(
                        svc.hostname, int(port_text), f"a service of ztunnel {z.name}", vip=ips[0] if ips else None))
    return out


PROBE_HOST = "meshlens-probe.invalid"
PROBE_DST = "240.0.0.1:1"  # reserved address, port with no listener: only a catch-all takes it


def blackholes_unknown(proxy: EnvoyProxy) -> bool:
    """True when the proxy's outbound catch-all drops unknown destinations (REGISTRY_ONLY)."""
    if not any(r.raw.get("use_original_dst") for r in proxy.valid_listeners):
        return False
    probe = trace(proxy, to=f"{PROBE_HOST}:1", dst=PROBE_DST)
    return probe.disposition == Disposition.BLACKHOLE


def _blackholed(proxy: EnvoyProxy, svc: KnownService) -> str | None:
    result = trace(proxy, to=f"{svc.host}:{svc.port}", dst=svc.address())
    if result.disposition == Disposition.BLACKHOLE:
        return "BlackHoleCluster"
    if result.disposition == Disposition.DIRECT_RESPONSE and result.virtual_host == "block_all":
        return f"the block_all virtual host (direct response {result.response_code})"
    return None


class BlackholedService(Check):
    """A service other proxies know is dropped by this proxy's REGISTRY_ONLY catch-all.

    ## What it checks
    For each proxy whose outbound catch-all sends unknown destinations to ``BlackHoleCluster``
    (``outboundTrafficPolicy: REGISTRY_ONLY``, found by tracing a reserved address), every service
    another proxy of the snapshot has an outbound cluster for, or a ztunnel lists, and this proxy
    has no cluster for: the request is traced (as ``meshlens trace`` does) to its VIP and port, and the
    service is flagged when the trace ends in ``BlackHoleCluster`` or the ``block_all`` virtual
    host. Services known only to the proxy itself are not traced.

    ## Why it matters
    The app gets ``502`` (HTTP) or a reset connection (TCP) for a service that exists, usually
    because a ``Sidecar`` resource's ``egress.hosts`` leaves its namespace out.

    ## Example
    ``reviews-v2`` (REGISTRY_ONLY, Sidecar egress ``./*``) has no cluster for
    ``ratings.other.svc.cluster.local:9080``, which ``productpage`` knows: traffic goes to
    BlackHoleCluster.

    ## How to fix
    Add the service's namespace or host to the Sidecar's ``egress.hosts`` (or a ServiceEntry for
    external hosts), or use ALLOW_ANY.
    """

    code = "ML2003"
    name = "listeners.blackholed-service"
    severity = Severity.WARNING
    title = "Known service sent to BlackHoleCluster"
    message = "{service} (known from {origin}) reaches {sink} on {proxy}: REGISTRY_ONLY drops it"
    inputs = ("listeners",)

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject]:
        universe: dict[tuple[str, int], KnownService] | None = None
        if len(snapshot.proxies) + len(snapshot.ztunnels) < 2:
            return  # services are learnt from the other proxies of the snapshot
        for proxy in snapshot.proxies:
            if "listeners" not in proxy.sections:
                continue
            universe = universe if universe is not None else known_services(snapshot)
            mine = _outbound_services(proxy)
            candidates = [svc for key, svc in sorted(universe.items()) if key not in mine]
            if not candidates or not blackholes_unknown(proxy):
                continue
            for svc in candidates:
                subj = subject(proxy, "service", f"{svc.host}:{svc.port}")
                yield subj
                sink = _blackholed(proxy, svc)
                if sink:
                    location = proxy.config_dump_location
                    yield self.finding(subj, location, service=subj.name, origin=svc.origin, sink=sink,
                                       proxy=proxy.name)


CHECKS: tuple[type[Check], ...] = (RdsNotLoaded, TcpClusterNotLoaded, BlackholedService)
