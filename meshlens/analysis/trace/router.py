"""Envoy's router stage, shared by ``trace`` and the route tests (``router-check``, ``test-routes``).

Given a route configuration and the request as the router sees it:

1. :func:`select_vhost`: the virtual host by ``:authority`` (exact, ``*.suffix``, ``prefix.*``, ``*``).
2. :func:`select_route`: the first route that matches (:mod:`.routes`), skipped ones with the reason.
3. :func:`finalize`: what the route does, as Envoy's ``RouteEntry`` computes it: the cluster (for
   ``weighted_clusters``, the one ``random_value`` picks: the value modulo the total weight, walking
   the clusters in order; ``header_name`` supplies the value when the request carries it), the
   upstream request (``finalizeRequestHeaders``: header mutations in Envoy's level order, host
   rewrite, path rewrite with ``x-envoy-original-path``), the response headers
   (``finalizeResponseHeaders``; a direct response's local reply headers first), the redirect
   ``Location`` or the direct response's status and body, the timeout, and the virtual cluster.

Anything meshlens cannot compute offline (``auto_host_rewrite``, a formatter that needs run-time
state, a body read from a file) is named in :attr:`Outcome.unknown`, never guessed.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

from meshlens.analysis.trace.headers import FormatContext, HeaderMap, apply_mutations, mutation_levels
from meshlens.analysis.trace.matchers import header_verdict
from meshlens.analysis.trace.model import ClusterPick
from meshlens.analysis.trace.re2 import regex_sub
from meshlens.analysis.trace.redirects import redirect_location
from meshlens.analysis.trace.request import Request, split_host_port
from meshlens.analysis.trace.routes import MatchOptions, route_match
from meshlens.analysis.trace.uri_template import TemplateError, match_template, rewrite_path, rewrite_template
from meshlens.index.proxy import VhostIndex
from meshlens.models.duration import Duration
from meshlens.models.envoy.route import ClusterWeight, Route, RouteConfiguration, VirtualHost, WeightedCluster

DEFAULT_TIMEOUT_NS = 15 * 10**9  # a route's timeout when it sets none
TIMEOUT_HEADER = "x-envoy-upstream-rq-timeout-ms"


@dataclass
class Selection:
    """The virtual host and route the router picked, and what it skipped."""

    vhost: VirtualHost | None
    vhost_why: str
    route: Route | None = None
    index: int = -1
    why: str = ""
    skipped: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    """What the matched route does to the request (see the module docstring)."""

    kind: str  # route | redirect | direct_response | other
    clusters: list[ClusterPick] = field(default_factory=list)
    cluster: str | None = None  # the cluster this request goes to; None: not determined (no random value)
    cluster_why: str = ""
    request: HeaderMap = field(default_factory=HeaderMap)  # the upstream request's headers (pseudo included)
    response: HeaderMap = field(default_factory=HeaderMap)  # response headers the route config shapes
    response_code: int | None = None
    location: str | None = None
    body: str | None = None
    timeout_ns: int | None = None  # None: no timeout (disabled)
    timeout_why: str = ""
    virtual_cluster: str | None = None  # None: the virtual host declares no virtual clusters
    unknown: dict[str, str] = field(default_factory=dict)  # field -> why meshlens cannot compute it
    steps: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def upstream_path(self) -> str | None:
        """The ``:path`` sent upstream (forwarding routes only)."""
        return self.request.get(":path") if self.kind == "route" else None

    @property
    def upstream_host(self) -> str | None:
        """The ``:authority`` sent upstream (forwarding routes only)."""
        return self.request.get(":authority") if self.kind == "route" else None


class HeaderView:
    """A header map read the way header matchers read a request (``host`` is ``:authority``)."""

    def __init__(self, headers: HeaderMap) -> None:
        self.headers = headers

    def header(self, name: str) -> str | None:
        """A header's value (repeated ones joined by ``,``)."""
        key = name.lower()
        if key == "host":
            key = ":authority"
        return self.headers.get(key)

    def header_values(self, name: str) -> list[str]:
        """Every value of a header, in order."""
        key = name.lower()
        return self.headers.values(":authority" if key == "host" else key)


_VHOST_CACHE: dict[int, tuple[RouteConfiguration, VhostIndex]] = {}


def select_vhost(config: RouteConfiguration, authority: str, index: VhostIndex | None = None) -> tuple[
        VirtualHost | None, str]:
    """The virtual host for ``authority`` (lowercased; its port dropped under
    ``ignore_port_in_host_matching``).
    """
    lookup = authority.lower()
    if config.ignore_port_in_host_matching:
        lookup = split_host_port(lookup)[0]
    if index is None:
        cached = _VHOST_CACHE.get(id(config))
        if cached is None or cached[0] is not config:
            if len(_VHOST_CACHE) > 256:
                _VHOST_CACHE.clear()
            cached = _VHOST_CACHE[id(config)] = (config, VhostIndex.build(config))
        index = cached[1]
    return index.find(lookup)


def select_route(vhost: VirtualHost, request: Request, options: MatchOptions | None = None) -> Selection:
    """The first route of ``vhost`` matching ``request`` (Envoy takes the first match, in order)."""
    sel = Selection(vhost=vhost, vhost_why="")
    for i, route in enumerate(vhost.routes):
        verdict = route_match(route, request, options)
        if verdict.matched:
            sel.route, sel.index, sel.why = route, i, verdict.why
            sel.notes.extend(verdict.notes)
            return sel
        if verdict.undetermined:
            sel.notes.extend(verdict.notes)  # a matcher meshlens could not evaluate: say so, don't guess
        sel.skipped.append((route.name or str(i), verdict.why))
    sel.why = f"none of the {len(vhost.routes)} routes matches"
    return sel


def request_headers(request: Request) -> HeaderMap:
    """The request's headers with its pseudo-headers first, as Envoy's header map holds them."""
    out = HeaderMap([(":authority", request.authority), (":path", request.path), (":method", request.method),
                     (":scheme", request.scheme)])
    for name, value in request.headers.items():
        for one in request.repeated.get(name, (value,)):
            out.add(name, one)
    return out


def duration_ns(value: Any) -> int | None:
    """A protobuf Duration in any spelling (``"5s"``, ``{seconds: 30}``, a Duration) in nanoseconds.

    Raises:
        ValueError: not a duration.
    """
    return None if value is None else Duration.parse(value).total_nanos


def format_duration(ns: int | None) -> str:
    """Nanoseconds as protojson writes a Duration (``15s``, ``0.500s``); ``0s`` for none."""
    return str(Duration._from_nanos(ns or 0))


def pick_weighted(wc: WeightedCluster, request: HeaderMap, random_value: int | None) -> tuple[
        ClusterWeight | None, str]:
    """The weighted cluster Envoy picks for ``random_value`` (None: not determined without one)."""
    weights = [max(c.weight or 0, 0) for c in wc.clusters]
    total = sum(weights)
    if wc.header_name:
        raw = request.get(wc.header_name)
        if raw is not None and raw.isdigit():
            random_value = int(raw)
    live = [c for c, w in zip(wc.clusters, weights, strict=True) if w > 0]
    if random_value is None and len(live) == 1:
        return live[0], f"{live[0].name} is the only cluster with a positive weight"
    if random_value is None or total <= 0:
        return None, ""
    selected = random_value % total
    begin = 0
    for cw, weight in zip(wc.clusters, weights, strict=True):
        if begin <= selected < begin + weight:
            return cw, f"random value {random_value} % total weight {total} = {selected}: {cw.name}"
        begin += weight
    return None, ""


def _rewrite_regex(spec: dict[str, Any] | None, subject: str) -> str | None:
    if not spec:
        return None
    pattern = (spec.get("pattern") or {}).get("regex", "")
    return regex_sub(pattern, str(spec.get("substitution", "")), subject)


def _matched_prefix_len(route: Route, path: str) -> int:
    m = route.match
    prefix = m.prefix if m.prefix is not None else m.path_separated_prefix
    return len(prefix) if prefix is not None else len(path)


def _upstream_path(route: Route, out: Outcome) -> None:
    action = route.route
    assert action is not None
    original = out.request.get(":path") or ""
    cut = min((i for i in (original.find("?"), original.find("#")) if i >= 0), default=len(original))
    path, query = original[:cut], original[cut:]
    new: str | None = None
    how = ""
    if action.prefix_rewrite is not None:
        new = action.prefix_rewrite + path[_matched_prefix_len(route, path):] + query
        how = f"prefix_rewrite {action.prefix_rewrite!r}"
    elif action.regex_rewrite:
        rewritten = _rewrite_regex(action.regex_rewrite, path)
        if rewritten is None:
            out.unknown["path_rewrite"] = "the regex_rewrite pattern is not understood"
            return
        new, how = rewritten + query, "regex_rewrite"
    elif action.path_rewrite_policy is not None:
        rewrite = rewrite_template(action.path_rewrite_policy)
        match = match_template(route.match.path_match_policy)
        if rewrite is None or match is None:
            out.unknown["path_rewrite"] = "path_rewrite_policy is not a URI template rewrite meshlens evaluates"
            return
        try:
            new = rewrite_path(match, rewrite, original)
        except TemplateError as exc:
            out.unknown["path_rewrite"] = str(exc)
            return
        how = f"path template rewrite {rewrite!r}"
    if new is None or new == original and not how:
        return
    out.request.set(":path", new)
    out.request.set("x-envoy-original-path", original)
    out.steps.append(f":path {original!r} -> {new!r} ({how})")


def _upstream_host(route: Route, level: ClusterWeight | None, out: Outcome) -> None:
    action = route.route
    assert action is not None
    old = out.request.get(":authority") or ""
    new: str | None = None
    how = ""
    literal = (level.model_extra or {}).get("host_rewrite_literal") if level is not None else None
    if literal:
        new, how = str(literal), "weighted cluster host_rewrite_literal"
    elif action.host_rewrite_literal:
        new, how = action.host_rewrite_literal, "host_rewrite_literal"
    elif action.auto_host_rewrite:
        out.unknown["host_rewrite"] = ("auto_host_rewrite: the Host becomes the chosen upstream host's hostname, "
                                       "known only when Envoy picks the host")
        return
    elif action.host_rewrite_header:
        value = out.request.get(action.host_rewrite_header)
        if value:
            new, how = value, f"host_rewrite_header {action.host_rewrite_header}"
    elif action.host_rewrite_path_regex:
        path = (out.request.get(":path") or "").split("?", 1)[0]
        rewritten = _rewrite_regex(action.host_rewrite_path_regex, path)
        if rewritten is None:
            out.unknown["host_rewrite"] = "the host_rewrite_path_regex pattern is not understood"
            return
        new, how = rewritten, "host_rewrite_path_regex"
    if new is None:
        return
    out.request.set(":authority", new)
    if action.append_x_forwarded_host:
        out.request.add("x-forwarded-host", old)
    out.steps.append(f":authority {old!r} -> {new!r} ({how})")


def _timeout(route: Route, request: HeaderMap, internal: bool, out: Outcome) -> None:
    action = route.route
    assert action is not None
    configured = duration_ns(action.timeout) if action.timeout is not None else DEFAULT_TIMEOUT_NS
    out.timeout_ns = configured or None
    out.timeout_why = ("route timeout" if action.timeout is not None else "Envoy's default route timeout 15s")
    header = request.get(TIMEOUT_HEADER)
    if header is not None:
        if not internal:
            out.timeout_why += f" ({TIMEOUT_HEADER} is removed from external requests)"
        elif header.isdigit():
            out.timeout_ns = int(header) * 10**6 or None
            out.timeout_why = f"{TIMEOUT_HEADER}: {header} (internal request)"
    if action.max_stream_duration and action.max_stream_duration.get("grpc_timeout_header_max") is not None \
            and (request.get("content-type") or "").startswith("application/grpc"):
        out.unknown["timeout"] = "max_stream_duration.grpc_timeout_header_max: a gRPC request's grpc-timeout decides"


def _virtual_cluster(vhost: VirtualHost, request: HeaderMap) -> str | None:
    if not vhost.virtual_clusters:
        return None
    view = HeaderView(request)
    for vc in vhost.virtual_clusters:
        if all(header_verdict(h, view)[0] is True for h in vc.headers):
            return vc.name
    return "other"


def _body(route: Route, out: Outcome) -> str | None:
    dr = route.direct_response
    if dr is None or dr.body is None:
        return None
    if dr.body.inline_string is not None:
        return dr.body.inline_string
    if dr.body.inline_bytes is not None:
        try:
            return base64.b64decode(dr.body.inline_bytes).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            return dr.body.inline_bytes
    out.unknown["body"] = "the direct response body is read from a file or environment variable"
    return None


@dataclass(frozen=True)
class FinalizeOptions:
    """How to finalize: the stream's random value, whether the request is internal (trusted
    ``x-envoy-*`` headers), the formatter context, and router_check_tool's conventions
    (``check_tool``: a direct response's ``path_redirect`` is the request URI, a redirect's response
    headers carry no ``location``).
    """

    random_value: int | None = None
    internal: bool = False
    fmt: FormatContext = FormatContext()
    check_tool: bool = False
    response: HeaderMap | None = None  # response headers to start from (router_check_tool's input)


def finalize(config: RouteConfiguration | None, vhost: VirtualHost, route: Route, request: Request,
             opts: FinalizeOptions) -> Outcome:
    """What ``route`` does to ``request`` (see the module docstring)."""
    headers = request_headers(request)
    response = opts.response.copy() if opts.response is not None else HeaderMap()
    fmt = FormatContext(request=headers, protocol=opts.fmt.protocol, downstream_remote=opts.fmt.downstream_remote,
                        downstream_local=opts.fmt.downstream_local, response=response)
    if route.redirect is not None:
        out = Outcome(kind="redirect", request=headers, response=response)
        out.response_code = route.redirect.status
        out.location = redirect_location(route.redirect, route, request)
        if not opts.check_tool:
            out.response.set("location", out.location)
        _respond(config, vhost, route, out, fmt)
        return out
    if route.direct_response is not None:
        out = Outcome(kind="direct_response", request=headers, response=response)
        out.response_code = route.direct_response.status
        out.body = _body(route, out)
        if out.body:
            out.response.set("content-length", str(len(out.body.encode())))
            out.response.set("content-type", "text/plain")
        if opts.check_tool:
            out.location = f"{request.scheme}://{request.authority}{request.path}"
        _respond(config, vhost, route, out, fmt)
        return out
    action = route.route
    if action is None:
        return Outcome(kind="other", request=headers, response=response)
    out = Outcome(kind="route", request=headers, response=response)
    level: ClusterWeight | None = None
    if action.cluster:
        out.clusters = [ClusterPick(name=action.cluster)]
        out.cluster, out.cluster_why = action.cluster, f"route to cluster {action.cluster}"
    elif action.weighted_clusters is not None:
        wc = action.weighted_clusters
        out.clusters = [ClusterPick(name=c.name, weight=c.weight) for c in wc.clusters]
        level, why = pick_weighted(wc, headers, opts.random_value)
        if level is not None:
            out.cluster = level.name or (headers.get(level.cluster_header or "") or "")
            out.cluster_why = why
    elif action.cluster_header:
        value = headers.get(action.cluster_header) or ""
        out.cluster = value
        out.clusters = [ClusterPick(name=value)] if value else []
        out.cluster_why = f"cluster from header {action.cluster_header}: {value or '(missing)'}"
    else:
        out.unknown["cluster_name"] = "the route picks its cluster with a cluster specifier plugin"
    if opts.check_tool:  # the tool matches virtual clusters on the finalized headers
        _finalize_request(config, vhost, route, level, out, fmt)
        out.virtual_cluster = _virtual_cluster(vhost, out.request)
    else:  # Envoy's router picks the virtual cluster before it finalizes the request
        out.virtual_cluster = _virtual_cluster(vhost, out.request)
        _finalize_request(config, vhost, route, level, out, fmt)
    _timeout(route, headers, opts.internal, out)
    _respond(config, vhost, route, out, fmt, level)
    return out


def _finalize_request(config: RouteConfiguration | None, vhost: VirtualHost, route: Route,
                      level: ClusterWeight | None, out: Outcome, fmt: FormatContext) -> None:
    for lv in mutation_levels(config, level, route, vhost):
        out.steps.extend(f"request {step}" for step in
                         apply_mutations(out.request, lv.request_headers_to_add, lv.request_headers_to_remove, fmt))
    _upstream_host(route, level, out)
    _upstream_path(route, out)


def _respond(config: RouteConfiguration | None, vhost: VirtualHost, route: Route, out: Outcome,
             fmt: FormatContext, level: ClusterWeight | None = None) -> None:
    for lv in mutation_levels(config, level, route, vhost):
        out.steps.extend(f"response {step}" for step in
                         apply_mutations(out.response, lv.response_headers_to_add, lv.response_headers_to_remove, fmt))
