"""ML4xxx: clusters and endpoints: EDS health, runtime health flags, empty and missing assignments.

Two sources tell an endpoint's health, and findings say which one they come from:

* ``/clusters`` keeps the control plane's ``eds_health_status`` beside Envoy's runtime flags
  (``failed_active_health_check``, ``failed_outlier_check``, ...). When it was captured with the
  dump, EDS health findings for the clusters it lists come from it.
* ``/config_dump?include_eds`` shows Envoy's *effective* health: a host ejected at runtime appears
  ``UNHEALTHY``, and a ``DRAINING`` one always appears ``UNHEALTHY``. It is used for clusters
  ``/clusters`` does not cover, and the message says the status may be a runtime verdict.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from meshlens.analysis.trace.endpoints import DEGRADED, HEALTHY, endpoint_verdict
from meshlens.checks._hosts import Host, host_table
from meshlens.checks._util import proxy_name, subject
from meshlens.checks.base import Check, CheckContext, Severity
from meshlens.index.proxy import index_for
from meshlens.models.envoy.resources import ClusterResource
from meshlens.models.names import SPECIAL_CLUSTERS
from meshlens.models.snapshot import EnvoyProxy, Snapshot
from meshlens.results import Finding, Subject

HOST_TYPES = ("EDS", "STATIC", "STRICT_DNS", "LOGICAL_DNS")


def _host_subject(proxy: EnvoyProxy, host: Host) -> Subject:
    return host.subject or subject(proxy, "endpoint", f"{host.cluster}/{host.address}")


class _EdsHealth(Check, abstract=True):
    statuses: tuple[str, ...] = ()

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject | list[Subject]]:
        for proxy in snapshot.proxies:
            table = host_table(proxy)
            yield table.subjects
            statuses = self.statuses
            for i, status in enumerate(table.health):
                if status in statuses:
                    host = table.host(i)
                    yield self.finding(_host_subject(proxy, host), host.location, address=host.address,
                                       cluster=host.cluster, status=host.health, source=host.source)


class EndpointUnhealthy(_EdsHealth):
    """An endpoint's EDS health status is UNHEALTHY or TIMEOUT.

    ## What it checks
    Each host's EDS ``health_status``: from ``/clusters`` ``eds_health_status`` when it was
    captured with the dump (what the control plane sent), else from
    ``config_dump?include_eds`` (Envoy's effective health, which also reflects runtime ejections:
    the message says which source it is).

    ## Why it matters
    Envoy sends no traffic to the host (unless the cluster is in panic mode). istiod sends
    UNHEALTHY only for services that opted in (``PILOT_SEND_UNHEALTHY_ENDPOINTS``,
    ``trafficDistribution``); otherwise not-ready pods are simply absent.

    ## Example
    ``outbound|9080||ratings.default.svc.cluster.local`` host ``10.244.0.24:9080`` with
    ``eds_health_status: UNHEALTHY``.

    ## How to fix
    Find why the pod is not ready (``kubectl describe pod``: readiness probe, crash loop).
    """

    code = "ML4001"
    name = "endpoints.unhealthy"
    severity = Severity.WARNING
    title = "Endpoint unhealthy in EDS"
    message = "{address} of {cluster} is {status} (source: {source})"
    inputs = ("endpoints",)
    statuses = ("UNHEALTHY", "TIMEOUT")


class EndpointDrainingOrDegraded(_EdsHealth):
    """An endpoint's EDS health status is DRAINING or DEGRADED.

    ## What it checks
    As ML4001, for ``DRAINING`` (Istio sends it for terminating endpoints of services with
    persistent sessions) and ``DEGRADED`` (used only when no healthy host is left). Only
    ``/clusters`` shows DRAINING: the config dump shows it as UNHEALTHY (ML4001).

    ## Why it matters
    Draining hosts receive no new requests; degraded ones only as a fallback. Expected during a
    rollout, suspicious when it lasts.

    ## Example
    ``outbound|9080||ratings.default.svc.cluster.local`` host ``10.244.0.25:9080`` with
    ``eds_health_status: DRAINING``.

    ## How to fix
    Usually nothing; if it lasts, check the pod's termination (stuck finalizers, long drain).
    """

    code = "ML4002"
    name = "endpoints.draining-or-degraded"
    severity = Severity.INFO
    title = "Endpoint draining or degraded in EDS"
    message = "{address} of {cluster} is {status} (source: {source})"
    inputs = ("endpoints",)
    statuses = ("DRAINING", "DEGRADED")


def _configured(proxy: EnvoyProxy, key: str) -> set[str] | None:
    """Clusters with ``key`` (health_checks, outlier_detection) configured; None without CDS."""
    if "clusters" not in proxy.sections:
        return None
    return {c.name for c in proxy.valid_clusters if c.raw.get(key)}


class _RuntimeFlag(Check, abstract=True):
    config_key = ""

    def flagged(self, flags: Any) -> str | None:
        raise NotImplementedError

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject]:
        for proxy in snapshot.proxies:
            if not proxy.cluster_statuses:
                continue
            configured = _configured(proxy, self.config_key)
            table = host_table(proxy)
            for i, flags in enumerate(table.flags):
                if flags is None or (configured is not None and table.clusters[i] not in configured):
                    continue
                host = table.host(i)
                subj = _host_subject(proxy, host)
                yield subj
                what = self.flagged(host.flags)
                if what:
                    yield self.finding(subj, host.location, address=host.address, cluster=host.cluster, what=what,
                                       flags="/".join(host.flags.flags), eds_status=host.health)


class ActiveHealthCheckFailed(_RuntimeFlag):
    """A host fails the cluster's active health checks (``/clusters`` runtime flags).

    ## What it checks
    ``/clusters`` hosts with ``failed_active_health_check`` or ``active_hc_timeout``, in clusters
    with ``health_checks`` configured. The EDS status may still say HEALTHY: health is the union
    of the flags.

    ## Why it matters
    Envoy stops sending to the host until a check passes again.

    ## Example
    ``outbound|9080||reviews.default.svc.cluster.local`` host ``127.0.1.3:9080``:
    ``/failed_active_hc/failed_outlier_check``.

    ## How to fix
    Check the backend (is it listening, does the health path answer 200?) and the health check's
    path, host and timeouts.
    """

    code = "ML4003"
    name = "endpoints.active-hc-failed"
    severity = Severity.WARNING
    title = "Endpoint fails active health checks"
    message = "{address} of {cluster} {what} (flags {flags}; EDS status {eds_status})"
    inputs = ("clusters_status",)
    config_key = "health_checks"

    def flagged(self, flags: Any) -> str | None:
        if flags.failed_active_health_check:
            return "fails its active health check"
        if flags.active_hc_timeout:
            return "times out on its active health check"
        return None


class OutlierEjected(_RuntimeFlag):
    """Outlier detection ejected a host (``/clusters`` ``failed_outlier_check``).

    ## What it checks
    ``/clusters`` hosts with ``failed_outlier_check``, in clusters with ``outlier_detection``
    (a DestinationRule ``trafficPolicy.outlierDetection``). Ejection is per cluster: a host can be
    ejected from the service cluster and from a subset cluster separately.

    ## Why it matters
    The host gets no traffic for the ejection time; if every host of a cluster is ejected and the
    panic threshold is 0 (Istio's default), requests fail with 503 UH.

    ## Example
    ``outbound|9080|v3|reviews.default.svc.cluster.local`` host ``127.0.1.3:9080``:
    ``/failed_outlier_check`` after 3 consecutive connection failures.

    ## How to fix
    Look at the host: its errors (``cx_connect_fail``, 5xx) caused the ejection.
    """

    code = "ML4004"
    name = "endpoints.outlier-ejected"
    severity = Severity.WARNING
    title = "Endpoint ejected by outlier detection"
    message = "{address} of {cluster} {what} (flags {flags}; EDS status {eds_status})"
    inputs = ("clusters_status",)
    config_key = "outlier_detection"

    def flagged(self, flags: Any) -> str | None:
        return "is ejected by outlier detection" if flags.failed_outlier_check else None


USABLE = frozenset((*HEALTHY, *DEGRADED))


def _usable(host: Host) -> bool:
    """Envoy may send to the host: EDS healthy/unknown/degraded and no runtime failure flag."""
    if host.health not in USABLE:
        return False
    flags = host.flags
    return flags is None or not (flags.failed_active_health_check or flags.failed_outlier_check
                                 or flags.active_hc_timeout or flags.excluded_via_immediate_hc_fail)


class NoHealthyEndpoint(Check):
    """Every endpoint of a cluster is unhealthy.

    ## What it checks
    Clusters with at least one endpoint and none healthy or degraded, after combining the EDS
    status with the ``/clusters`` runtime flags (the endpoint verdict ``meshlens trace`` shows,
    which also reports the panic threshold).

    ## Why it matters
    With Istio's panic threshold of 0, Envoy answers ``503 UH`` (no healthy upstream); with a
    panic threshold above 0 it balances over the unhealthy hosts anyway and requests likely fail.

    ## Example
    ``outbound|9080|v3|reviews.default.svc.cluster.local``: its one host ``127.0.1.3:9080`` is
    ejected by outlier detection; ``end-user: jason`` requests routed to v3 get 503 UH.

    ## How to fix
    Fix the hosts (see ML4001, ML4003, ML4004), or route elsewhere while they are down.
    """

    code = "ML4005"
    name = "clusters.no-healthy-endpoint"
    severity = Severity.ERROR
    title = "No healthy endpoint in the cluster"
    message = "none of the {total} endpoint(s) of {cluster} is healthy ({health}); {note}"
    inputs = ("endpoints",)

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject | list[Subject]]:
        for proxy in snapshot.proxies:
            pname = proxy_name(proxy)
            clusters = index_for(proxy).loaded_clusters
            examined: list[Subject] = []
            table = host_table(proxy)
            for name, indices in table.by_cluster.items():
                res = clusters.get(name)
                if res is None:
                    continue
                subj = Subject(pname, "cluster", name)
                examined.append(subj)
                first = indices[0]
                if table.flags[first] is None and table.health[first] in USABLE:
                    continue
                members = [table.host(i) for i in indices]
                if any(_usable(h) for h in members):
                    continue
                note = "no request can succeed"
                if "endpoints" in proxy.sections and res.raw.get("type") in HOST_TYPES:
                    verdict = endpoint_verdict(proxy, index_for(proxy), res)
                    note = verdict.notes[-1] if verdict.notes else note
                health = ", ".join(f"{h.address} {h.health}" + (f"/{'/'.join(h.flags.flags)}" if h.flags is not None
                                                                 and h.flags.flags else "") for h in members[:5])
                yield self.finding(subj, res.location, total=len(members), cluster=name, health=health, note=note)
            yield examined


def _endpoint_count(proxy: EnvoyProxy, res: ClusterResource, assignments: dict[str, Any]) -> int | None:
    """Hosts Envoy has for the cluster; None when the capture cannot tell."""
    raw = res.raw
    kind = raw.get("type", "STATIC" if "cluster_type" not in raw else "CUSTOM")
    if kind not in HOST_TYPES or res.name in SPECIAL_CLUSTERS:
        return None
    if "endpoints" in proxy.sections:
        eds = raw.get("eds_cluster_config") if kind == "EDS" else None
        service = (eds.get("service_name") if isinstance(eds, dict) else None) or res.name
        cla = assignments.get(service)
        if cla is not None:
            return int(cla.lb_endpoint_count)
        if kind == "EDS":
            return None  # no assignment: ML4007
    elif proxy.cluster_statuses:
        status = index_for(proxy).cluster_status(res.name)
        return len(status.host_statuses) if status is not None else None
    elif kind == "EDS":
        return None
    la = raw.get("load_assignment") or {}
    return sum(len(loc.get("lb_endpoints") or ()) for loc in la.get("endpoints") or ())


class RoutedClusterEmpty(Check):
    """A route or TCP proxy sends traffic to a cluster that has no endpoint at all.

    ## What it checks
    EDS clusters whose assignment has no endpoint, and STATIC / DNS clusters without hosts, that
    some route (``cluster``, ``weighted_clusters``) or listener TCP proxy refers to. Special
    clusters without hosts by design (``BlackHoleCluster``, passthrough) are left out.

    ## Why it matters
    Every request routed there fails with ``503 UH`` (no healthy upstream). A DestinationRule
    subset that no pod matches is the usual cause (istioctl analyze IST0173).

    ## Example
    ``outbound|9080|v4|reviews.default.svc.cluster.local`` has an empty ClusterLoadAssignment;
    route ``9080/reviews.default.svc.cluster.local:9080/reviews-kylo`` sends ``end-user: kylo``
    there.

    ## How to fix
    Deploy pods with the subset's labels, fix the subset's labels, or stop routing to it.
    """

    code = "ML4006"
    name = "clusters.routed-without-endpoints"
    severity = Severity.ERROR
    title = "Routed cluster has no endpoints"
    message = "{cluster} has no endpoint but {count} referrer(s) send to it: {referrers}"
    inputs = ("endpoints",)

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject | list[Subject]]:
        for proxy in snapshot.proxies:
            pname = proxy_name(proxy)
            referrers = index_for(proxy).referenced_clusters()
            assignments = index_for(proxy).assignments
            clusters = index_for(proxy).loaded_clusters
            examined: list[Subject] = []
            for name, refs in referrers.items():
                res = clusters.get(name)
                if res is None:
                    continue  # not loaded: ML3001 / ML2002
                count = _endpoint_count(proxy, res, assignments)
                if count is None:
                    continue
                subj = Subject(pname, "cluster", name)
                examined.append(subj)
                if count == 0:
                    shown = ", ".join(sorted({f"{r.kind} {r.name}" for r in refs})[:5])
                    yield self.finding(subj, res.location, cluster=name, count=len({(r.kind, r.name) for r in refs}),
                                       referrers=shown)
            yield examined


class EdsAssignmentMissing(Check):
    """An EDS cluster has no ClusterLoadAssignment in a capture that has EDS.

    ## What it checks
    EDS clusters (any state but rejected) whose ``eds_cluster_config.service_name`` (or name)
    matches no entry of the EndpointsConfigDump.

    ## Why it matters
    Envoy keeps the cluster warming until the assignment comes (and the listeners that need it
    warming too), or, after ``initial_fetch_timeout``, serves it with no host: 503 UH.

    ## Example
    ``outbound|8080||ghost.default.svc.cluster.local`` in ``dynamic_warming_clusters`` with no
    assignment (istiod pushed the cluster, never its endpoints).

    ## How to fix
    Check istiod's ``/debug/edsz`` and the service's endpoints; an EnvoyFilter that adds an EDS
    cluster must come with endpoints.
    """

    code = "ML4007"
    name = "clusters.eds-assignment-missing"
    severity = Severity.ERROR
    title = "EDS cluster without endpoint assignment"
    message = "EDS cluster {cluster} ({state}) has no ClusterLoadAssignment {service}"
    inputs = ("eds",)

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject | list[Subject]]:
        for proxy in snapshot.proxies:
            if "endpoints" not in proxy.sections:
                continue
            assignments = index_for(proxy).assignments
            pname = proxy_name(proxy)
            examined: list[Subject] = []
            for name, res in index_for(proxy).loaded_clusters.items():
                raw = res.raw
                if raw.get("type") != "EDS":
                    continue
                subj = Subject(pname, "cluster", name)
                examined.append(subj)
                eds = raw.get("eds_cluster_config")
                service = str((eds.get("service_name") if isinstance(eds, dict) else None) or name)
                if service not in assignments:
                    yield self.finding(subj, res.location, cluster=name, state=res.state, service=service)
            yield examined


CHECKS: tuple[type[Check], ...] = (
    EndpointUnhealthy, EndpointDrainingOrDegraded, ActiveHealthCheckFailed, OutlierEjected, NoHealthyEndpoint,
    RoutedClusterEmpty, EdsAssignmentMissing,
)
