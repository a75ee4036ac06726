"""ML7xxx: ztunnel access logs (run whenever ztunnel logs are among the inputs).

The checks read one :func:`~meshlens.analysis.logs.analyze_logs` result per snapshot (cached), with
the snapshot's ztunnel dumps (if any) as the source of expected shares, health and protocols.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from meshlens.analysis.logs import LogAnalysis, analyze_logs
from meshlens.checks.base import Check, CheckContext, Severity, SkipCheck
from meshlens.models.logs import ZtunnelLog
from meshlens.models.snapshot import Snapshot
from meshlens.results import Finding, Subject

_cache: dict[int, tuple[Snapshot, LogAnalysis]] = {}


def analysis(snapshot: Snapshot) -> LogAnalysis:
    """The log analysis of ``snapshot`` (its ztunnel logs against its ztunnel dumps), computed once."""
    hit = _cache.get(id(snapshot))
    if hit is not None and hit[0] is snapshot:
        return hit[1]
    dumps = [z for z in snapshot.ztunnels] or None
    result = analyze_logs(snapshot, dumps)
    _cache.clear()  # one snapshot at a time: a check run holds one
    _cache[id(snapshot)] = (snapshot, result)
    return result


def _proxy(snapshot: Snapshot) -> str:
    """The name findings are attributed to: the ztunnel(s) the logs are from, else the log file."""
    logs = [log for log in snapshot.logs if isinstance(log, ZtunnelLog)]
    names = sorted({n for log in logs for n in ([log.name] if log.name else log.ztunnels)})
    if names:
        return ",".join(names)
    return ",".join(log.file for log in logs)


def _need_dump(snapshot: Snapshot) -> None:
    if not snapshot.ztunnels:
        raise SkipCheck("no ztunnel /config_dump given with the logs: nothing says what is eligible or healthy")


class LogImbalance(Check):
    """Connections to a service spread over its backends unlike ztunnel's weighted random choice.

    ## What it checks
    Per (source workload, service) of ``direction="outbound"`` access lines: a Pearson chi-square
    goodness-of-fit test of the successful connections per backend against the expected shares
    (with a ztunnel dump: the eligible endpoints weighted by capacity; without: equal shares over the
    backends seen). Flagged when p < 0.01. No verdict below 5 expected connections per backend.

    ## Why it matters
    ztunnel picks an upstream at random weighted by ``capacity`` for every new connection. A spread
    that chance cannot explain means some endpoints are not eligible (unhealthy, missing from this
    ztunnel's view, locality preferences), or clients reuse connections (HTTP keep-alive through one
    long connection is one choice).

    ## Example
    ``productpage -> reviews``: v1 80 %, v2 8 %, v3 12 % of 300 connections, p = 1e-65.

    ## How to fix
    Compare the backends with the dump's endpoints (``meshlens zc service``); check
    ``loadBalancer`` routing preferences, endpoint health and workload ``capacity``.
    """

    code = "ML7001"
    name = "logs.imbalance"
    severity = Severity.WARNING
    title = "Load spread does not fit the expected shares"
    message = ("{source} -> {service}: the spread over {backends} backends does not fit the expected shares "
               "(chi-square p={p_value})")
    inputs = ("logs",)

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject]:
        proxy = _proxy(snapshot)
        for flow in analysis(snapshot).flows:
            subj = Subject(proxy, "flow", f"{flow.source} -> {flow.service}")
            if flow.balanced is None:
                continue
            yield subj
            if flow.balanced is False:
                yield self.finding(subj, None, source=flow.source, service=flow.service,
                                   backends=len(flow.expected), p_value=f"{flow.p_value:.3g}")


class LogNeverSelected(Check):
    """An eligible endpoint received no connection although enough were made to expect some.

    ## What it checks
    With a ztunnel dump: each eligible endpoint (healthy, its workload known) of a service that the
    logs show connections to. Flagged when it got none while its expected number of connections
    (connections x its share of capacity) is at least ``min_expected`` (default 10: the chance of
    zero by bad luck is then below 1 in 20,000).

    ## Why it matters
    The endpoint takes no traffic: this ztunnel may not consider it (a stale view, a locality
    preference, a port mismatch), or the logs are from a ztunnel that never sends there.

    ## Example
    ``reviews-v3`` eligible with 1/3 of the capacity, 0 of 300 connections.

    ## How to fix
    Check the endpoint's port map and the service's ``loadBalancer``; compare the ztunnel's dump
    with istiod's (``meshlens diff``).
    """

    code = "ML7002"
    name = "logs.never-selected"
    severity = Severity.WARNING
    title = "Eligible endpoint never selected"
    message = "{workload} of {service} got no connection of {connections} (about {expected} expected)"
    inputs = ("logs",)
    options = {"min_expected": (10.0, "expected connections below which an endpoint with none is not flagged")}

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject]:
        _need_dump(snapshot)
        proxy = _proxy(snapshot)
        minimum = ctx.option("min_expected", 10.0)
        for flow in analysis(snapshot).flows:
            total = sum(e["weight"] for e in flow.expected) or 1
            for e in flow.expected:
                subj = Subject(proxy, "endpoint", f"{flow.service}/{e['workload']}")
                yield subj
                expected = sum(flow.observed) * e["weight"] / total
                if e["workload"] in flow.never_selected and expected >= minimum:
                    yield self.finding(subj, None, workload=e["workload"], service=flow.service,
                                       connections=flow.connections, expected=f"{expected:.0f}")


class LogUnhealthyEndpoint(Check):
    """Connections went to an endpoint the dump says is unhealthy, or does not know at all.

    ## What it checks
    With a ztunnel dump: the backends of outbound connections against the service's endpoints and
    the dump's workloads. Flagged per backend whose workload or endpoint status is ``Unhealthy``, or
    which is absent from the dump.

    ## Why it matters
    ztunnel's default health policy never sends to unhealthy endpoints: connections there mean the
    logs and the dump disagree (captured at different times, another ztunnel's view), a service
    with ``healthPolicy: AllowAll``, or traffic to an endpoint ztunnel no longer knows.

    ## Example
    ``reviews-v3`` is ``Unhealthy`` in the dump and received 90 connections.

    ## How to fix
    Capture the dump and the logs together; check the pod's readiness and the service's
    ``publishNotReadyAddresses`` / health policy.
    """

    code = "ML7003"
    name = "logs.unhealthy-endpoint-traffic"
    severity = Severity.WARNING
    title = "Traffic to an unhealthy or unknown endpoint"
    message = "{backend} ({state}) received {connections} connection(s) for {service}"
    inputs = ("logs",)

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject]:
        _need_dump(snapshot)
        proxy = _proxy(snapshot)
        for flow in analysis(snapshot).flows:
            bad = {**{w: "unhealthy" for w in flow.unhealthy_selected}, **{w: "not in the dump"
                                                                           for w in flow.unknown_selected}}
            for b in flow.backends:
                name = b.workload or b.address or ""
                subj = Subject(proxy, "backend", f"{flow.service}/{name}")
                yield subj
                if name in bad:
                    yield self.finding(subj, None, backend=name, state=bad[name], connections=b.connections,
                                       service=flow.service)


class LogPlaintextToHbone(Check):
    """Outbound connections went out in plain TCP to a destination the dump says speaks HBONE.

    ## What it checks
    With a ztunnel dump: each flow's protocols seen on outbound lines (HBONE when ``dst.hbone_addr``
    is present or ``dst.addr`` is port 15008) against the destination's protocol in the dump (the
    endpoints' workloads, or a waypoint).

    ## Why it matters
    The traffic left the mesh's mTLS: no identity, no authorization policy at the destination,
    possibly refused by a STRICT peer authentication.

    ## Example
    ``sleep -> httpbin``: 40 TCP connections, the dump says ``HBONE``.

    ## How to fix
    Check the destination pod is enrolled (``istio.io/dataplane-mode=ambient``) and that this
    ztunnel has its workload with ``protocol: HBONE``.
    """

    code = "ML7004"
    name = "logs.plaintext-to-hbone"
    severity = Severity.ERROR
    title = "Plaintext where the dump says HBONE"
    message = "{source} -> {service}: {tcp} connection(s) in plain TCP, the dump says HBONE"
    inputs = ("logs",)

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject]:
        _need_dump(snapshot)
        proxy = _proxy(snapshot)
        for flow in analysis(snapshot).flows:
            if flow.expected_protocol != "HBONE":
                continue
            subj = Subject(proxy, "flow", f"{flow.source} -> {flow.service}")
            yield subj
            if flow.protocols.get("TCP"):
                yield self.finding(subj, None, source=flow.source, service=flow.service, tcp=flow.protocols["TCP"])


class LogInboundPlaintext(Check):
    """A workload that speaks HBONE accepted connections from a caller without a mesh identity.

    ## What it checks
    With a ztunnel dump: ``direction="inbound"`` ``connection complete`` lines without
    ``src.identity`` (a plaintext caller) to a workload whose dump protocol is ``HBONE``.

    ## Why it matters
    The connection bypassed mTLS: no peer identity for authorization policies, no encryption. With a
    STRICT PeerAuthentication ztunnel would refuse it.

    ## Example
    ``details-v1`` accepted 12 connections without ``src.identity``.

    ## How to fix
    Enforce STRICT mTLS (PeerAuthentication) for the namespace, and enrol the callers in the mesh.
    """

    code = "ML7005"
    name = "logs.inbound-plaintext"
    severity = Severity.WARNING
    title = "Plaintext inbound to an HBONE workload"
    message = "{workload} accepted {connections} connection(s) without a peer identity"
    inputs = ("logs",)

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject]:
        _need_dump(snapshot)
        proxy = _proxy(snapshot)
        for item in analysis(snapshot).plaintext_inbound:
            name = item["workload"] or item["address"] or ""
            subj = Subject(proxy, "workload", name)
            yield subj
            if item["expected_protocol"] == "HBONE":
                yield self.finding(subj, None, workload=name, connections=item["connections"])


class LogPolicyDenials(Check):
    """Connections were denied by authorization policy.

    ## What it checks
    Access events whose ``error`` is a policy rejection or a close after a policy change (class
    ``DENY`` of ``meshlens logs``).

    ## Why it matters
    Either the policy works as meant (then this is the evidence), or a caller is missing from an
    ALLOW policy / caught by a DENY policy, and requests fail.

    ## Example
    ``connection closed due to policy rejection: allow policies exist, but none allowed`` x 14.

    ## How to fix
    Read the policy the error names (``explicitly denied by: ns/name``); ``meshlens zc policy``
    lists the ztunnel's policies.
    """

    code = "ML7006"
    name = "logs.policy-denials"
    severity = Severity.WARNING
    title = "Connections denied by policy"
    message = "{count} connection(s) denied by policy, e.g. {example}"
    inputs = ("logs",)

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject]:
        proxy = _proxy(snapshot)
        subj = Subject(proxy, "error-class", "DENY")
        yield subj
        for e in analysis(snapshot).errors:
            if e.cls == "DENY":
                yield self.finding(subj, None, count=e.count, example=e.example)


class LogErrorRate(Check):
    """A class of connection errors is above the threshold.

    ## What it checks
    Per error class (``CONNECT``, ``TIMEOUT``, ``TLS_FAILURE``, ``NETWORK_POLICY``, ...; ``DENY`` is
    ML7006): the share of access events (``connection complete`` / ``failed``) carrying it, against
    ``max_rate`` (default 0.05).

    ## Why it matters
    Refused connections, time-outs (often a NetworkPolicy blocking port 15008), TLS and identity
    errors each point at one broken layer; the class says which.

    ## Example
    ``CONNECT`` 33 of 300 events (11 %): ``io error: Connection refused (os error 111)``.

    ## How to fix
    See the failover timeline of ``meshlens logs`` for when and where it happened; for
    ``NETWORK_POLICY`` allow port 15008 between nodes.
    """

    code = "ML7007"
    name = "logs.error-rate"
    severity = Severity.WARNING
    title = "Connection error class above threshold"
    message = "{cls}: {count} of {total} access events ({rate}), e.g. {example}"
    inputs = ("logs",)
    options = {"max_rate": (0.05, "share of access events with one error class above which it is flagged")}

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject]:
        proxy = _proxy(snapshot)
        limit = ctx.option("max_rate", 0.05)
        result = analysis(snapshot)
        total = _access_events(snapshot)
        for e in result.errors:
            if e.cls == "DENY":
                continue
            subj = Subject(proxy, "error-class", e.cls)
            yield subj
            if total and e.count / total > limit:
                yield self.finding(subj, None, cls=e.cls, count=e.count, total=total,
                                   rate=f"{e.count / total:.1%}", example=e.example)


def _access_events(snapshot: Snapshot) -> int:
    tables: list[Any] = [log.access for log in snapshot.logs if isinstance(log, ZtunnelLog)]
    return sum(sum(1 for m in t.message if m in ("connection complete", "connection failed")) for t in tables)


CHECKS = (LogImbalance, LogNeverSelected, LogUnhealthyEndpoint, LogPlaintextToHbone, LogInboundPlaintext,
          LogPolicyDenials, LogErrorRate)
