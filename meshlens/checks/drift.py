"""ML5xxx: drift and sync: rejected and warming resources, drift against an intended capture,
istiod's sync status, Envoy's rejected-update counters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from meshlens.checks._evidence import analyze_messages, envoy_logs, log_quote
from meshlens.checks._util import dig, proxy_name, source_location, subject
from meshlens.checks.base import Check, CheckContext, Severity, SkipCheck
from meshlens.index.proxy import index_for
from meshlens.models.base import Location
from meshlens.models.derived import Fact
from meshlens.models.envoy.log import FETCH_TIMEOUT, REJECTED, WARMING
from meshlens.models.envoy.resources import Resource
from meshlens.models.snapshot import EnvoyProxy, Snapshot
from meshlens.results import Finding, Subject

RESOURCE_LISTS = ("listeners", "clusters", "route_configs", "secrets", "ecds")


def _resources(proxy: EnvoyProxy) -> Iterator[Resource[Any]]:
    for attr in RESOURCE_LISTS:
        yield from getattr(proxy, attr)


def _res_subject(pname: str, res: Resource[Any]) -> Subject:
    return Subject(pname, res.KIND, res.name or f"@{res.json_path}")


class Rejected(Check):
    """Envoy rejected (NACKed) a resource: its ``error_state`` is in the dump.

    ## What it checks
    Listeners, clusters, route configurations, secrets and ECDS filters with an
    ``error_state``, in the config dump: a resource rejected outright (only its failed
    configuration is known), or an update rejected while the previous version keeps serving.
    Rejected clusters never appear in the dump (see ML5007).

    ## Why it matters
    What the control plane sent is not in effect. The proxy reports the NACK to istiod, which
    shows it in ``proxy-status`` as ERROR (or STALE).

    ## Example
    ``{"name": "0.0.0.0_8082", "error_state": {"details": "error adding listener '0.0.0.0:8082':
    filter chain ... has the same matching rules defined as ..."}}``

    ## How to fix
    The details give Envoy's reason. Usually an EnvoyFilter patch, or two Services/Gateways that
    produce conflicting filter chains; fix that configuration.
    """

    code = "ML5001"
    name = "sync.rejected"
    severity = Severity.ERROR
    title = "Resource rejected by Envoy"
    message = "{kind} {resource} {what}: {details}"
    inputs = ("envoy",)
    supersedes = ("ML0004",)

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject]:
        for proxy in snapshot.proxies:
            pname = proxy_name(proxy)
            for res in _resources(proxy):
                if not res.is_dynamic and res.error is None:
                    continue
                subj = _res_subject(pname, res)
                yield subj
                if res.state == "rejected" or res.error is not None:
                    what = ("was rejected" if res.state == "rejected"
                            else f"has a rejected update (the previous version stays {res.state})")
                    details = (res.error.details if res.error is not None else "") or "no details"
                    quote = log_quote(proxy, res.KIND, res.name) if res.name else None
                    yield self.finding(subj, res.location, kind=res.KIND, resource=subj.name, what=what,
                                       details=f"{details}; {quote}" if quote else details)


def _warming_reason(proxy: EnvoyProxy, res: Resource[Any]) -> str:
    if res.KIND == "cluster":
        if res.raw.get("type") == "EDS":
            service = dig(res.raw, "eds_cluster_config", "service_name") or res.name
            have = any(e.name == service for e in proxy.endpoints)
            if "endpoints" in proxy.sections and not have:
                return f"waiting for its EDS assignment {service}, which the capture does not have (ML4007)"
            return f"waiting for its EDS assignment {service}"
        return "waiting for its initialization (DNS resolution, health checks)"
    if res.KIND == "listener":
        loaded = {rc.name for rc in proxy.route_configs}
        missing = sorted({r.route_config for r in index_for(proxy).refs.rds_refs
                          if r.listener is res and r.route_config not in loaded})
        if missing and "routes" in proxy.sections:
            return f"waiting for RDS {', '.join(missing)}, not in the capture (ML2001)"
        return "waiting for its dependencies (RDS, SDS secrets, ECDS filters)"
    if res.KIND == "secret":
        return "SDS has not delivered it" + (" (version_info uninitialized)" if res.version_info == "uninitialized"
                                             else "")
    return "not yet initialized"


class Warming(Check):
    """A resource (or an update of it) is warming: Envoy waits for what it depends on.

    ## What it checks
    Clusters in ``dynamic_warming_clusters``, listeners with a ``warming_state`` (new, or an
    update beside the active version) and secrets in ``dynamic_warming_secrets``; the message
    says what each one waits for when the capture tells (a missing EDS assignment or RDS
    configuration).

    ## Why it matters
    A warming resource serves nothing yet. Envoy does not ACK a CDS update while a cluster of it
    is warming, so istiod shows the proxy STALE; a warming listener update keeps the old version
    serving.

    ## Example
    Listener ``0.0.0.0_8081`` in ``warming_state``, waiting for RDS ``8081``; cluster
    ``outbound|8080||ghost.default.svc.cluster.local`` waiting for its EDS assignment.

    ## How to fix
    Find why the control plane does not send the dependency (``meshlens diff`` against istiod's
    intended configuration, istiod's log). A capture taken during a push can show transient warming.
    """

    code = "ML5002"
    name = "sync.warming"
    severity = Severity.WARNING
    title = "Resource is warming"
    message = "{kind} {resource} {what} warming: {reason}"
    inputs = ("envoy",)
    supersedes = ("ML0005",)

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject]:
        for proxy in snapshot.proxies:
            pname = proxy_name(proxy)
            for res in _resources(proxy):
                if not res.is_dynamic:
                    continue
                subj = _res_subject(pname, res)
                yield subj
                if res.state == "warming":
                    what = "is"
                elif "warming" in res.other_states:
                    what = f"has an update ({res.state} version still serving)"
                else:
                    continue
                reason = _warming_reason(proxy, res)
                quote = log_quote(proxy, res.KIND, res.name, kinds=(WARMING, FETCH_TIMEOUT)) if res.name else None
                yield self.finding(subj, res.location, kind=res.KIND, resource=subj.name, what=what,
                                   reason=f"{reason}; {quote}" if quote else reason)


# ----------------------------------------------------------------------------- intended vs loaded
XDS_KINDS = {"CDS": "cluster", "LDS": "listener", "RDS": "route_config", "EDS": "endpoint", "SDS": "secret",
             "ECDS": "ecds"}
_KIND_LISTS = {"cluster": "clusters", "listener": "listeners", "route_config": "route_configs",
               "endpoint": "endpoints", "secret": "secrets", "ecds": "ecds"}


def _diff_function() -> Callable[..., Any]:
    try:
        from meshlens.analysis.diff import diff
    except ImportError as exc:
        raise SkipCheck(f"meshlens.diff is not available in this build ({exc})") from None
    return diff


def pairs(snapshot: Snapshot, intended: Snapshot) -> list[tuple[EnvoyProxy, EnvoyProxy]]:
    """(intended, loaded) proxies: the only one of each, else matched by node id or name."""
    if len(intended.proxies) == 1 and len(snapshot.proxies) == 1:
        return [(intended.proxies[0], snapshot.proxies[0])]
    out = []
    for want in intended.proxies:
        found = [p for p in snapshot.proxies
                 if (want.node_id and p.node_id == want.node_id) or p.matches(want.name)]
        if len(found) == 1:
            out.append((want, found[0]))
    return out


def _find(proxy: EnvoyProxy, kind: str, name: str) -> Resource[Any] | None:
    return next((r for r in getattr(proxy, _KIND_LISTS.get(kind, "clusters"), []) if r.name == name), None)


# The drift of a loaded proxy against each intended proxy (by id), as ``Drift.to_dict()``: one diff
# per pair however many drift checks read it.
DRIFT_DOCS: Fact[EnvoyProxy, dict[int, dict[str, Any]]] = Fact("checks.drift", lambda _proxy: {})


def drift_entries(snapshot: Snapshot, ctx: CheckContext) -> list[tuple[EnvoyProxy, EnvoyProxy, dict[str, Any]]]:
    """``meshlens.diff(intended, loaded)`` as a dict (``to_dict()``) for each pair of proxies."""
    if ctx.intended is None:
        raise SkipCheck("no intended capture given (--intended FILE)")
    diff = _diff_function()
    matched = pairs(snapshot, ctx.intended)
    if not matched:
        raise SkipCheck("no proxy of the intended capture matches a proxy of the snapshot (by node id or name)")
    out = []
    for want, have in matched:
        docs = DRIFT_DOCS.of(have)
        doc = docs.get(id(want))
        if doc is None:
            result = diff(want, have)
            doc = result.to_dict() if hasattr(result, "to_dict") else dict(result)
            docs[id(want)] = doc
        out.append((want, have, doc))
    return out


def _names(proxy: EnvoyProxy, kind: str) -> set[str]:
    return {r.name for r in getattr(proxy, _KIND_LISTS[kind]) if r.name and r.state != "static"}


class _DriftCheck(Check, abstract=True):
    status = ""

    def describe(self, entry: dict[str, Any]) -> str:
        return ""

    def examined(self, want: EnvoyProxy, have: EnvoyProxy, kind: str) -> set[str]:
        """Names this check judges for one compared type (the passing ones are the rest)."""
        return _names(have, kind) | _names(want, kind)

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject]:
        for want, have, doc in drift_entries(snapshot, ctx):
            pname = proxy_name(have)
            for xds, verdict in (doc.get("summary") or {}).items():
                if verdict != "NOT_COMPARED" and xds in XDS_KINDS:
                    kind = XDS_KINDS[xds]
                    for name in sorted(self.examined(want, have, kind)):
                        yield Subject(pname, kind, name)
            for entry in doc.get("resources") or ():
                if entry.get("status") != self.status:
                    continue
                xds = str(entry.get("type", ""))
                kind = XDS_KINDS.get(xds, xds.lower() or "resource")
                name = str(entry.get("name", ""))
                subj = Subject(pname, kind, name)
                res = _find(want if self.status == "missing" else have, kind, name)
                location = res.location if res is not None else None
                yield self.finding(subj, location, kind=kind, resource=name, xds=xds, detail=self.describe(entry))


class DriftMissing(_DriftCheck):
    """A resource the control plane intends for the proxy is not in the proxy's configuration.

    ## What it checks
    ``meshlens diff`` of the intended capture (``--intended``: istiod's
    ``/debug/config_dump?proxyID=``, or what your control plane sent) against the loaded one;
    resources with status ``missing``. Rejected and warming ones are ML5001/ML5002.

    ## Why it matters
    The proxy lacks a listener, cluster or route istiod computed for it: traffic that needs it
    goes elsewhere or fails.

    ## Example
    Intended CDS has ``outbound|8080||broken.default.svc.cluster.local``; the proxy rejected it and
    the dump does not list it.

    ## How to fix
    Check ``proxy-status`` (NACKs), Envoy's log for ``rejected``, and whether the capture and the
    intended dump are of the same moment.
    """

    code = "ML5003"
    name = "drift.missing"
    severity = Severity.ERROR
    title = "Intended resource missing from the proxy"
    message = "{xds} {kind} {resource} is intended for the proxy but not loaded{detail}"
    inputs = ("intended",)
    status = "missing"

    def examined(self, want: EnvoyProxy, have: EnvoyProxy, kind: str) -> set[str]:
        return _names(want, kind)


class DriftChanged(_DriftCheck):
    """A resource differs between the intended capture and the proxy.

    ## What it checks
    ``meshlens diff`` entries with status ``changed`` (volatile fields such as ``version_info``
    and ``last_updated`` are not compared); the message lists the first differing paths.

    ## Why it matters
    The proxy runs another version of the resource than the control plane computed: a push that
    did not arrive, or a capture of another moment.

    ## Example
    Route config ``9080``: ``virtual_hosts[2].routes[0].route.cluster`` intended
    ``outbound|9080|v1|reviews...``, loaded ``outbound|9080|v3|reviews...``.

    ## How to fix
    Check ``proxy-status`` for STALE/ERROR, push again (restart istiod or touch the config), and
    recapture both sides at the same time.
    """

    code = "ML5004"
    name = "drift.changed"
    severity = Severity.WARNING
    title = "Resource differs from the intended one"
    message = "{xds} {kind} {resource} differs from the intended one{detail}"
    inputs = ("intended",)
    status = "changed"

    def examined(self, want: EnvoyProxy, have: EnvoyProxy, kind: str) -> set[str]:
        return _names(want, kind) & _names(have, kind)

    def describe(self, entry: dict[str, Any]) -> str:
        changes = entry.get("changes") or []
        paths = [str(c.get("path", "")) for c in changes[:3] if isinstance(c, dict)]
        more = f" and {len(changes) - 3} more" if len(changes) > 3 else ""
        return f" at {', '.join(paths)}{more}" if paths else ""


class DriftUnexpected(_DriftCheck):
    """The proxy holds a resource the intended capture does not have.

    ## What it checks
    ``meshlens diff`` entries with status ``added``.

    ## Why it matters
    A leftover the control plane removed but the proxy kept (a delete that did not arrive), or a
    resource from another source (bootstrap, EnvoyFilter applied elsewhere).

    ## Example
    Listener ``0.0.0.0_8082`` loaded, absent from istiod's intended configuration.

    ## How to fix
    Usually nothing if the capture and the intended dump are of different moments; otherwise see
    ML5004.
    """

    code = "ML5005"
    name = "drift.unexpected"
    severity = Severity.INFO
    title = "Resource not in the intended configuration"
    message = "{xds} {kind} {resource} is loaded but not intended{detail}"
    inputs = ("intended",)
    status = "added"

    def examined(self, want: EnvoyProxy, have: EnvoyProxy, kind: str) -> set[str]:
        return _names(have, kind)


class IstiodNotSynced(Check):
    """istiod reports a proxy's xDS type as not acknowledged (STALE) or NACKed (ERROR).

    ## What it checks
    istiod's sync status (``debug/syncz`` in a bug-report, ``proxy-status`` XDS output): each
    proxy's CDS, LDS, EDS, RDS, ECDS... with status ``STALE`` (the last push is not ACKed) or
    ``ERROR`` (the proxy NACKed it; the message gives the error).

    ## Why it matters
    The proxy does not run what istiod last sent: new routes, endpoints or policies are missing.
    A STALE CDS often means a cluster of the push is still warming (Envoy ACKs only then).

    ## Example
    ``productpage-v1-6c886ff494-7vxhs.default``: CDS STALE (sent ``/24``, acked ``/23``), LDS ERROR
    ``Error adding/updating listener(s) 0.0.0.0_8082: ...``.

    ## How to fix
    For ERROR, read the NACK and fix the configuration (see ML5001); for STALE, look for warming
    clusters (ML5002) and the proxy's connection to istiod.
    """

    code = "ML5006"
    name = "sync.istiod-not-synced"
    severity = Severity.WARNING
    title = "istiod reports the proxy out of sync"
    message = "istiod {istiod} reports {xds} {status} for {proxy}: {detail}"
    inputs = ("istiod",)

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject]:
        assert snapshot.istiod is not None
        for row in snapshot.istiod.sync:
            for sync in row.subscribed_types():
                subj = Subject(row.name, "xds", sync.short_name)
                yield subj
                status = sync.status.value
                if status not in ("STALE", "ERROR"):
                    continue
                if sync.last_error:
                    detail = sync.last_error
                elif sync.nonce_sent or sync.nonce_acked:
                    detail = f"sent nonce {sync.nonce_sent or '-'}, acked {sync.nonce_acked or '-'}"
                else:
                    detail = "the last push is not acknowledged"
                yield self.finding(subj, row.location, istiod=row.istiod or "-", xds=sync.short_name,
                                   status=status, proxy=row.name, detail=detail)


_UPDATE_REJECTED = (("CDS", "cluster_manager.cds.update_rejected", "envoy_cluster_manager_cds_update_rejected",
                     "rejected clusters do not appear in the config dump; the proxy's log says why"),
                    ("LDS", "listener_manager.lds.update_rejected", "envoy_listener_manager_lds_update_rejected",
                     "a rejected listener shows an error_state in the dump (ML5001)"))


class UpdatesRejected(Check):
    """Envoy's statistics count rejected CDS or LDS updates.

    ## What it checks
    ``cluster_manager.cds.update_rejected`` and ``listener_manager.lds.update_rejected`` in a
    ``/stats`` capture (JSON, text or Prometheus) given with the dump.

    ## Why it matters
    A rejected cluster is not in the config dump at all: these counters (and the log) are the
    only trace of it in a capture. They count since Envoy started, so an old rejection that was
    fixed later still shows.

    ## Example
    ``cluster_manager.cds.update_rejected: 1`` while the dump shows no rejected cluster (a STATIC
    cluster with ``CLUSTER_PROVIDED`` load balancing was refused).

    ## How to fix
    Look for ``gRPC config for type.googleapis.com/envoy.config.cluster.v3.Cluster rejected`` in
    the proxy's log; fix that resource (often an EnvoyFilter patch).
    """

    code = "ML5007"
    name = "sync.updates-rejected"
    severity = Severity.WARNING
    title = "Envoy counted rejected xDS updates"
    message = "Envoy rejected {count} {xds} update(s) since it started: {note}"
    inputs = ("envoy",)

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject]:
        for proxy in snapshot.proxies:
            stats = proxy.stats
            if stats is None:
                continue
            for xds, name, prom, note in _UPDATE_REJECTED:
                value = stats.get(name)
                if value is None:
                    value = stats.get(prom)
                if not isinstance(value, (int, float)):
                    continue
                subj = subject(proxy, "xds", xds)
                yield subj
                if value > 0:
                    location = source_location(proxy, ("envoy-stats", "envoy-stats-prometheus", "envoy-stats-text"))
                    quote = log_quote(proxy, xds)
                    yield self.finding(subj, location, count=int(value), xds=xds,
                                       note=f"{quote}" if quote else note)


class LogRejected(Check):
    """Envoy's log records a rejected xDS resource.

    ## What it checks
    The Envoy / istio-proxy logs of the capture (a bug-report's ``istio-proxy.log``, or an
    ``envoy.log`` given on the command line): every resource named by a ``config rejected`` or
    ``gRPC config for ... rejected`` line, with Envoy's reason, quoted.

    ## Why it matters
    A rejected cluster is absent from the config dump: the log line is the only place that names it
    and says why. The rest of that push may be applied or not, depending on the xDS type.

    ## Example
    ``cds: cluster 'outbound|8080||broken.default.svc.cluster.local' config rejected: cluster
    manager: cluster provided LB specified but cluster ... did not provide one``.

    ## How to fix
    Fix the resource as the reason says; it usually comes from an EnvoyFilter patch (see the IST
    messages of ``istioctl analyze``, ML5009).
    """

    code = "ML5008"
    name = "sync.log-rejected"
    severity = Severity.ERROR
    title = "Envoy's log records a rejected resource"
    message = "Envoy rejected {xds} resource {resource}: {reason} (the proxy's log says {quote})"
    inputs = ("envoy_logs",)

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject]:
        for proxy, log in envoy_logs(snapshot):
            owner = proxy_name(proxy) if proxy is not None else (log.location.member or log.location.file or "log")
            seen: set[tuple[str | None, str]] = set()
            for event in sorted(log.of_kind(REJECTED), key=lambda e: e.logger == "config"):  # named lines first
                for name in event.resources:
                    if (event.xds, name) in seen:
                        continue
                    seen.add((event.xds, name))
                    subj = Subject(owner, XDS_KINDS.get(event.xds or "", event.xds or "xds"), name)
                    yield subj
                    yield self.finding(subj, log.where(event), xds=event.xds or "xDS", resource=name,
                                       reason=event.reason or "no reason given", quote=log.quote(event))


_ANALYZE_SEVERITY = {"Error": Severity.ERROR, "Warning": Severity.WARNING, "Info": Severity.INFO}


class IstioctlAnalyze(Check):
    """``istioctl analyze`` reported a message (its IST code is kept).

    ## What it checks
    The ``analyze/allNamespaces`` output of a bug-report: each ``Level [ISTnnnn] (Kind ns/name)
    text`` line becomes a finding with istioctl's level as severity and the IST code in the
    message and in ``data.ist_code``.

    ## Why it matters
    istiod's analyzers see the Kubernetes configuration behind the proxies' state: an EnvoyFilter
    without priority (IST0151) often explains a rejected push seen in a proxy (ML5001, ML5008).

    ## Example
    ``Warning [IST0151] (EnvoyFilter default/productpage-debug-patch) This EnvoyFilter does not
    have a priority ...``.

    ## How to fix
    See the IST code's page (https://istio.io/latest/docs/reference/config/analysis/).
    """

    code = "ML5009"
    name = "sync.istioctl-analyze"
    severity = Severity.WARNING
    title = "istioctl analyze reported a message"
    message = "[{ist_code}] ({resource}) {text}"
    inputs = ("analyze",)

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject]:
        messages, location, unparsed = analyze_messages(snapshot)
        if not messages and unparsed:
            raise SkipCheck(f"istioctl analyze output has no message meshlens can read (lines {unparsed[:5]})")
        for msg in messages:
            subj = Subject("istioctl analyze", msg.kind or "config", msg.resource)
            yield subj
            where = Location(file=location.file, member=location.member, json_path=f"line {msg.line}")
            yield self.finding(subj, where, severity=_ANALYZE_SEVERITY[msg.level], ist_code=msg.code,
                               resource=msg.resource, text=msg.text)


CHECKS: tuple[type[Check], ...] = (Rejected, Warming, DriftMissing, DriftChanged, DriftUnexpected, IstiodNotSynced,
                                   UpdatesRejected, LogRejected, IstioctlAnalyze)
