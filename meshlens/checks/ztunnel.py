"""ML6xxx: ztunnel: references to workloads, services and waypoints it does not know."""

from __future__ import annotations

from collections.abc import Iterator

from meshlens.checks.base import Check, CheckContext, Severity
from meshlens.models.base import Location
from meshlens.models.names import GatewayDestination, NetworkAddress
from meshlens.models.snapshot import Snapshot
from meshlens.models.ztunnel import GatewayAddress, Ztunnel
from meshlens.results import Finding, Subject


class EndpointWorkloadUnknown(Check):
    """A service endpoint names a workload ztunnel does not have.

    ## What it checks
    Every ``services[].endpoints`` entry's ``workloadUid`` against ``workloads[].uid``.

    ## Why it matters
    ztunnel cannot send to an endpoint without its workload (no address, no identity): the
    endpoint is skipped, and ``istioctl zc service`` counts it unhealthy without saying why. WDS
    updates arriving out of order, or a workload filtered out by discovery selectors, cause it.

    ## Example
    ``bookinfo/reviews.bookinfo.svc.cluster.local`` endpoint
    ``Kubernetes//Pod/bookinfo/reviews-v2-5b667bcbf8-q5pn2`` with no such workload.

    ## How to fix
    Check the pod exists and is selected by istiod (``discoverySelectors``); compare with
    istiod's ``/debug/config_dump?proxyID=<ztunnel>&types=WDS``.
    """

    code = "ML6001"
    name = "ztunnel.endpoint-workload-unknown"
    severity = Severity.WARNING
    title = "Service endpoint without a workload"
    message = "endpoint {uid} of service {service} names a workload ztunnel does not have"
    inputs = ("ztunnel",)

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject]:
        for z in snapshot.ztunnels:
            uids = {w.uid for w in z.workloads if w.uid}
            for svc in z.services:
                for key, ep in svc.endpoints.items():
                    uid = ep.workload_uid or key
                    subj = Subject(z.name, "endpoint", f"{svc.key}/{uid}")
                    yield subj
                    if uid not in uids:
                        yield self.finding(subj, svc.location, uid=uid, service=svc.key)


class StagedServices(Check):
    """ztunnel holds endpoints for a service it has not received (``stagedServices``).

    ## What it checks
    Entries of ``stagedServices``: endpoints (from workloads) waiting for their Service.

    ## Why it matters
    Traffic to that service's VIP is not load-balanced to those endpoints: ztunnel does not know
    the service yet. Transient during start-up; lasting, it means the Service was filtered out or
    istiod does not send it.

    ## Example
    ``"stagedServices": {"default/reviews.default.svc.cluster.local": {"Kubernetes//Pod/...": {...}}}``

    ## How to fix
    Check the Service exists in that namespace and is not excluded by ``discoverySelectors``.
    """

    code = "ML6002"
    name = "ztunnel.staged-services"
    severity = Severity.WARNING
    title = "ztunnel has endpoints for an unknown service"
    message = "{count} endpoint(s) staged for service {service}, which ztunnel has not received"
    inputs = ("ztunnel",)
    supersedes = ("ML0014",)

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject]:
        for z in snapshot.ztunnels:
            if not z.staged_services:
                yield Subject(z.name, "ztunnel", "stagedServices")
            for staged in z.staged_services:
                subj = Subject(z.name, "staged_service", staged.service)
                yield subj
                yield self.finding(subj, staged.location, count=len(staged.endpoints), service=staged.service)


def _resolves(z: Ztunnel, gateway: GatewayAddress) -> bool:
    """istioctl's rule: a service whose ``ns/hostname`` or a VIP equals the destination (a workload IP
    also counts, for waypoints addressed by pod IP).
    """
    dest = GatewayDestination.parse(gateway.destination)
    if dest.kind == "hostname":
        return z.service(gateway.destination) is not None
    if dest.kind != "address" or dest.address is None:
        return False
    ip, network = dest.address.ip, dest.address.network or ""
    for svc in z.services:
        for vip in svc.vips:
            parsed = NetworkAddress.parse(vip)
            if parsed.ip == ip and (parsed.network or "") in (network, ""):
                return True
    return any(ip is not None and str(ip) in w.workload_ips for w in z.workloads)


class WaypointUnresolved(Check):
    """A workload's or service's waypoint resolves to no service ztunnel knows.

    ## What it checks
    ``waypoint`` of every workload and service (and ``weightedWaypoints``): a
    ``namespace/hostname`` destination must be a service, a ``network/ip`` one a service VIP (or
    a workload IP). ``istioctl zc workload`` shows ``NA`` for these.

    ## Why it matters
    Traffic that must go through the waypoint cannot be sent: connections to the workload or
    service fail.

    ## Example
    Workload ``bookinfo/ratings-v1`` with ``waypoint.destination: /10.96.65.117`` and no service
    with that VIP.

    ## How to fix
    Check the waypoint Gateway and its Service exist (``istioctl waypoint list``) and that the
    ``istio.io/use-waypoint`` label names it.
    """

    code = "ML6003"
    name = "ztunnel.waypoint-unresolved"
    severity = Severity.ERROR
    title = "Waypoint resolves to nothing"
    message = "{what} {owner} uses waypoint {destination}, which resolves to no service or workload"
    inputs = ("ztunnel",)

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject]:
        for z in snapshot.ztunnels:
            for w in z.workloads:
                if w.waypoint is not None and w.waypoint.destination:
                    yield from self._judge(z, Subject(z.name, "workload", w.key), "workload", w.key, w.waypoint,
                                           w.location)
            for svc in z.services:
                gateways = [g for g in (svc.waypoint, *(ww.destination for ww in svc.weighted_waypoints))
                            if g is not None and g.destination]
                for gateway in gateways:
                    yield from self._judge(z, Subject(z.name, "service", svc.key), "service", svc.key, gateway,
                                           svc.location)

    def _judge(self, z: Ztunnel, subj: Subject, what: str, owner: str, gateway: GatewayAddress,
               location: Location) -> Iterator[Finding | Subject]:
        yield subj
        if not _resolves(z, gateway):
            yield self.finding(subj, location, what=what, owner=owner,
                               destination=gateway.destination)


class PodWithoutWorkload(Check):
    """ztunnel proxies a pod (``workloadState``) for which it has no workload.

    ## What it checks
    Each ``workloadState`` entry (in-pod mode) against ``workloads[]`` by namespace and pod name.

    ## Why it matters
    ztunnel captures the pod's traffic but has no WDS record for it: no identity, policies or
    waypoint, so its connections fail (``unknown source``) until the workload arrives.

    ## Example
    ``workloadState`` pod ``bookinfo/productpage-v1-796f87b58-97bjk`` while the workloads list
    only ``bookinfo/productpage-v1-675fc69cf-jscn2``.

    ## How to fix
    Check istiod sees the pod (not filtered by ``discoverySelectors``, namespace enrolled) and
    that ztunnel's xDS connection is healthy; restart the pod if it outlived its workload.
    """

    code = "ML6004"
    name = "ztunnel.pod-without-workload"
    severity = Severity.WARNING
    title = "Proxied pod without a workload"
    message = "pod {pod} ({state}) is proxied by ztunnel, which has no workload for it"
    inputs = ("ztunnel",)

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject]:
        for z in snapshot.ztunnels:
            known = {(w.namespace, w.name) for w in z.workloads}
            for ws in z.workload_state:
                pod = f"{ws.info.namespace}/{ws.info.name}"
                subj = Subject(z.name, "pod", pod)
                yield subj
                if (ws.info.namespace, ws.info.name) not in known:
                    yield self.finding(subj, ws.location, pod=pod, state=ws.state or "unknown state")


class WorkloadServiceUnknown(Check):
    """A workload says it backs a service ztunnel does not have.

    ## What it checks
    ``workloads[].services`` (1.24+) entries against ``services[]`` (``namespace/hostname``).

    ## Why it matters
    The workload's traffic for that service cannot be matched to it (no VIP, ports or waypoint);
    usually the same cause as ML6002.

    ## Example
    Workload ``bookinfo/details-v1`` with ``services: ["bookinfo/details.bookinfo.svc.cluster.local"]``
    and no such service.

    ## How to fix
    As ML6002: check the Service exists and is sent to ztunnel.
    """

    code = "ML6005"
    name = "ztunnel.workload-service-unknown"
    severity = Severity.WARNING
    title = "Workload backs an unknown service"
    message = "workload {workload} backs service {service}, which ztunnel does not have"
    inputs = ("ztunnel",)

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject]:
        for z in snapshot.ztunnels:
            for w in z.workloads:
                for service in w.services:
                    subj = Subject(z.name, "workload", f"{w.key} -> {service}")
                    yield subj
                    if z.service(service) is None:
                        yield self.finding(subj, w.location, workload=w.key, service=service)


CHECKS: tuple[type[Check], ...] = (
    EndpointWorkloadUnknown, StagedServices, WaypointUnresolved, PodWithoutWorkload, WorkloadServiceUnknown,
)
