"""The HTTP part of a trace: connection manager -> route configuration -> virtual host -> route -> action.

The connection manager's own changes come first (:mod:`.hcm_request`), then the route configuration
(RDS by name, or inline), ``require_tls``, and the router stage shared with the route tests
(:mod:`.router`): route selection and what the route does (cluster, rewrites, headers, redirect,
direct response, timeout). The cluster hop is the engine's (:func:`.engine.clusters_hop`, passed in
to keep this module below it).
"""

from __future__ import annotations

from collections.abc import Callable

from meshlens.analysis.trace.hcm_request import Downstream, prepare
from meshlens.analysis.trace.headers import FormatContext, HeaderMap
from meshlens.analysis.trace.model import ClusterPick, Disposition, HeaderField, Trace
from meshlens.analysis.trace.redirects import tls_redirect_location
from meshlens.analysis.trace.request import Request
from meshlens.analysis.trace.router import (
    FinalizeOptions,
    Outcome,
    finalize,
    format_duration,
    select_route,
    select_vhost,
)
from meshlens.analysis.trace.routes import MatchOptions
from meshlens.analysis.trace.walk import Walk
from meshlens.index.proxy import ProxyIndex
from meshlens.models.envoy.listener import HttpConnectionManager
from meshlens.models.envoy.route import Route, RouteConfiguration, VirtualHost

ClustersHop = Callable[..., Trace]


def _route_config(walk: Walk, idx: ProxyIndex, hcm: HttpConnectionManager) -> RouteConfiguration | None:
    if hcm.route_config is not None:
        walk.hop("route_config", hcm.route_config.name or "(inline)", "inline route_config of the connection manager")
        walk.fields["route_config"] = hcm.route_config.name
        return hcm.route_config
    if hcm.rds is not None:
        name = hcm.rds.route_config_name
        walk.fields["route_config"] = name
        found = idx.route_configs.get(name)
        if found is None:
            why = ("the capture has no RoutesConfigDump section" if "routes" not in walk.proxy.sections
                   else f"RDS route configuration {name!r} is not in the capture")
            walk.hop("route_config", name, f"RDS name {name!r}: {why}")
            walk.notes.append(why)
            return None
        walk.hop("route_config", name, f"RDS route_config_name {name!r}")
        return found.route_config
    walk.notes.append("HTTP connection manager with neither RDS nor an inline route_config (scoped routes?)")
    return None


def trace_http(walk: Walk, idx: ProxyIndex, hcm: HttpConnectionManager, raw: Request, down: Downstream,
               random_value: int | None, clusters_hop: ClustersHop) -> Trace:
    """The HTTP walk from the connection manager on."""
    prepared = prepare(walk, hcm, raw, down)
    if isinstance(prepared, Trace):  # the connection manager answered on its own
        return prepared
    req = prepared.request
    config = _route_config(walk, idx, hcm)
    if config is None:
        return walk.done(Disposition.INSUFFICIENT_INFO)
    vhost, why = select_vhost(config, req.authority, idx.vhosts(config))
    if vhost is None:
        walk.hop("virtual_host", "", why)
        return walk.done(Disposition.NO_ROUTE, response_code=404)
    walk.hop("virtual_host", vhost.name, why)
    walk.fields["virtual_host"] = vhost.name
    if (tls := _require_tls(walk, vhost, req, prepared.internal)) is not None:
        return tls
    sel = select_route(vhost, req, MatchOptions(random_value=random_value))
    walk.notes.extend(sel.notes)
    if sel.route is None:
        walk.hop("route", "", sel.why, sel.skipped)
        return walk.done(Disposition.NO_ROUTE, response_code=404)
    walk.hop("route", sel.route.name or str(sel.index), sel.why, sel.skipped)
    walk.fields["route"] = sel.route.name or str(sel.index)
    if sel.route.metadata is not None and sel.route.metadata.filter_metadata:
        walk.fields["route_metadata"] = dict(sel.route.metadata.filter_metadata)
    fmt = FormatContext(protocol=down.protocol, downstream_remote=down.remote, downstream_local=down.local)
    out = finalize(config, vhost, sel.route, req,
                   FinalizeOptions(random_value=random_value, internal=prepared.internal, fmt=fmt))
    return _action(walk, idx, sel.route, req, out, clusters_hop)


def _require_tls(walk: Walk, vhost: VirtualHost, req: Request, internal: bool) -> Trace | None:
    """Envoy's answer for a virtual host that requires TLS (before route matching), or None."""
    mode = vhost.require_tls
    if mode not in ("ALL", "EXTERNAL_ONLY"):
        return None
    proto = req.header("x-forwarded-proto")
    if proto == "https":
        return None
    if mode == "EXTERNAL_ONLY" and internal:
        walk.notes.append("require_tls EXTERNAL_ONLY: the request is internal (x-envoy-internal), so it is not "
                          "redirected")
        return None
    location = tls_redirect_location(req)
    who = "every request" if mode == "ALL" else "external requests"
    walk.hop("action", "require_tls", f"the virtual host requires TLS for {who} ({mode}) and x-forwarded-proto is "
             f"{proto!r}: 301 to {location} before route matching")
    return walk.done(Disposition.REDIRECT, response_code=301, redirect_location=location,
                     response_headers=[HeaderField(name="location", value=location)])


def _fields(headers: HeaderMap, pseudo: bool = False) -> list[HeaderField]:
    return [HeaderField(name=k, value=v) for k, v in headers if pseudo or not k.startswith(":")]


def _result_fields(walk: Walk, out: Outcome) -> None:
    walk.fields["response_headers"] = _fields(out.response)
    if out.unknown:
        walk.fields["unknown"] = dict(out.unknown)
        for what, why in out.unknown.items():
            walk.notes.append(f"{what} cannot be computed offline: {why}")
    unknown_headers = sorted(out.request.unknown_names | out.response.unknown_names)
    if unknown_headers:
        walk.notes.append("header values with formatters meshlens cannot resolve offline: "
                          + ", ".join(unknown_headers))
    if out.kind == "route":
        walk.fields["upstream_path"] = out.upstream_path
        walk.fields["upstream_host"] = out.upstream_host
        walk.fields["request_headers"] = _fields(out.request)
        walk.fields["timeout"] = format_duration(out.timeout_ns)
        walk.fields["virtual_cluster"] = out.virtual_cluster


def _action(walk: Walk, idx: ProxyIndex, route: Route, req: Request, out: Outcome, clusters_hop: ClustersHop) -> Trace:
    _result_fields(walk, out)
    if out.kind == "direct_response":
        walk.hop("action", "direct_response", f"direct response {out.response_code}")
        return walk.done(Disposition.DIRECT_RESPONSE, response_code=out.response_code, response_body=out.body)
    if out.kind == "redirect":
        walk.hop("action", "redirect", f"redirect {out.response_code} to {out.location}")
        return walk.done(Disposition.REDIRECT, response_code=out.response_code, redirect_location=out.location)
    action = route.route
    if out.kind != "route" or action is None:
        walk.hop("action", route.action_kind, f"{route.action_kind} does not forward the request")
        walk.notes.append(f"route action {route.action_kind} is not a forwarding action")
        return walk.done(Disposition.INSUFFICIENT_INFO)
    if out.steps:
        walk.hop("request", out.upstream_path or "", "the route changes the upstream request: " + "; ".join(out.steps))
    if action.cluster:
        walk.hop("action", "cluster", f"route to cluster {action.cluster}")
        return clusters_hop(walk, idx, out.clusters, http=True)
    if action.weighted_clusters is not None:
        total = sum(p.weight or 0 for p in out.clusters)
        why = "weighted: " + ", ".join(f"{p.name} {p.weight or 0}/{total}" for p in out.clusters)
        if out.cluster is not None:
            why += f"; {out.cluster_why}"
            walk.hop("action", "weighted_clusters", why)
            return clusters_hop(walk, idx, [p for p in out.clusters if p.name == out.cluster][:1] or
                                [ClusterPick(name=out.cluster)], http=True)
        walk.hop("action", "weighted_clusters", why)
        return clusters_hop(walk, idx, out.clusters, http=True)
    if action.cluster_header:
        if not out.cluster:
            walk.hop("action", "cluster_header", f"header {action.cluster_header} is missing")
            code = not_found_code(action.cluster_not_found_response_code)
            return walk.done(Disposition.NO_CLUSTER, response_code=code)
        walk.hop("action", "cluster_header", f"cluster from header {action.cluster_header}: {out.cluster}")
        return clusters_hop(walk, idx, [ClusterPick(name=out.cluster)], http=True,
                            not_found=action.cluster_not_found_response_code)
    walk.notes.append("route action chooses its cluster by a plugin meshlens does not evaluate")
    return walk.done(Disposition.INSUFFICIENT_INFO)


def not_found_code(code: str | None) -> int:
    """The status of ``cluster_not_found_response_code`` (503 by default)."""
    return 404 if code == "NOT_FOUND" else 500 if code == "INTERNAL_SERVER_ERROR" else 503
