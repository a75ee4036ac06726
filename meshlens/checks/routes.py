"""ML3xxx: routes: clusters that do not exist, routes that can never match, duplicate domains."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from meshlens.checks._util import dig, proxy_name, subject
from meshlens.checks.base import Check, CheckContext, Severity
from meshlens.index.proxy import index_for
from meshlens.index.refs import RouteEntry
from meshlens.models.snapshot import Snapshot
from meshlens.results import Finding, Subject


class RouteClusterNotLoaded(Check):
    """A route sends to a cluster the proxy does not have.

    ## What it checks
    Every ``route.cluster`` and ``route.weighted_clusters`` name of every route (RDS and inline
    route configurations) against the clusters Envoy holds (static, active or warming).
    ``cluster_header`` routes name their cluster at request time and are not judged.

    ## Why it matters
    Requests that match the route get ``503 NC`` (cluster not found); with weighted clusters, that
    share of the requests.

    ## Example
    Route config ``9080``, vhost ``reviews.default.svc.cluster.local:9080``: a route to
    ``outbound|9080||missing.default.svc.cluster.local``, a cluster CDS never delivered.

    ## How to fix
    Check the VirtualService destination (host, subset, port) and the DestinationRule subsets;
    ``istioctl analyze`` reports unknown hosts and subsets (IST0101).
    """

    code = "ML3001"
    name = "routes.cluster-not-loaded"
    severity = Severity.ERROR
    title = "Route sends to a cluster that is not loaded"
    message = "route {route} sends to cluster {cluster} ({via}), which is not loaded: requests get 503 NC"
    inputs = ("routes",)

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject]:
        for proxy in snapshot.proxies:
            if "clusters" not in proxy.sections:
                continue
            clusters = index_for(proxy).loaded_clusters
            by_route: dict[str, list[Any]] = {}
            for ref in index_for(proxy).refs.cluster_refs:
                if ref.kind == "route":
                    by_route.setdefault(ref.name, []).append(ref)
            for route, refs in by_route.items():
                subj = subject(proxy, "route", route)
                yield subj
                for ref in refs:
                    if ref.cluster not in clusters:
                        yield self.finding(subj, ref.location, route=route, cluster=ref.cluster, via=ref.via)


# ------------------------------------------------------------------------------------ shadowing
_PATH_SPECS = ("prefix", "path", "path_separated_prefix", "safe_regex")
_NEUTRAL = {*_PATH_SPECS, "case_sensitive"}
# Empty messages whose mere presence is a condition: ``grpc: {}`` takes only gRPC requests,
# ``connect_matcher: {}`` only CONNECT ones.
_PRESENCE = frozenset({"grpc", "connect_matcher"})
_MATCH_ALL_REGEX = (".*", "/.*")


def _path_spec(match: dict[str, Any]) -> tuple[str, str] | None:
    for key in _PATH_SPECS:
        if key in match:
            value = dig(match, key, "regex") if key == "safe_regex" else match[key]
            return (key, value) if isinstance(value, str) else None
    return None


def _case_sensitive(match: dict[str, Any]) -> bool:
    value = match.get("case_sensitive", True)
    if isinstance(value, dict):
        value = value.get("value", False)  # BoolValue wrapper with the default omitted
    return bool(value)


def unconditional(match: dict[str, Any]) -> bool:
    """True when nothing but the path decides (no headers, query, runtime fraction, gRPC, TLS...)."""
    return all(k in _NEUTRAL or (v in (None, [], {}) and k not in _PRESENCE) for k, v in match.items())


def covers(first: dict[str, Any], later: dict[str, Any]) -> bool:
    """True when every request ``later``'s path matcher accepts is accepted by ``first``'s.

    ``first`` must be :func:`unconditional` for this to mean that ``later`` can never be reached.
    Envoy semantics: ``prefix`` and ``path`` compare the path (``case_sensitive``, default true);
    ``path_separated_prefix`` P accepts P and P/...; ``safe_regex`` must match the whole path,
    so only ``.*`` and ``/.*`` are known to accept everything.
    """
    a, b = _path_spec(first), _path_spec(later)
    if a is None or b is None:
        return False
    (ka, va), (kb, vb) = a, b
    if ka == "safe_regex":
        return va in _MATCH_ALL_REGEX
    a_cs, b_cs = _case_sensitive(first), _case_sensitive(later)
    if kb == "safe_regex":
        return ka == "prefix" and va in ("", "/")  # every request path starts with "/"
    if a_cs and not b_cs and va.lower() != va.upper():
        return False  # later also accepts case variants that first does not
    if not a_cs:
        va, vb = va.lower(), vb.lower()
    if ka == "prefix":
        return vb.startswith(va)
    if ka == "path":
        return kb == "path" and va == vb
    # path_separated_prefix
    if kb in ("path", "path_separated_prefix"):
        return vb == va or vb.startswith(va + "/")
    return vb.startswith(va + "/")


def _describe(match: dict[str, Any]) -> str:
    spec = _path_spec(match)
    text = f"{spec[0]} {spec[1]!r}" if spec else "a match"
    extra = sorted(k for k, v in match.items() if k not in _NEUTRAL and (v not in (None, [], {}) or k in _PRESENCE))
    return text + (f" and {', '.join(extra)}" if extra else "")


class UnreachableRoute(Check):
    """A route can never match: an earlier route of its virtual host takes every request it would.

    ## What it checks
    In each virtual host, Envoy takes the first route that matches. A route is flagged when an
    earlier one has no condition besides its path (no headers, query parameters, runtime
    fraction, gRPC or TLS conditions) and its path matcher accepts every path the later one does:
    a catch-all ``prefix: /`` before anything, ``prefix: /api`` before ``path: /api/v1``,
    ``path_separated_prefix`` or a ``.*`` regex likewise, with ``case_sensitive`` taken into account.

    ## Why it matters
    The later route (a canary split, a header-based route, a redirect) is dead configuration:
    traffic you expect it to take goes to the earlier route's destination.

    ## Example
    VirtualService ``http`` rules ``[{route: reviews-v1}, {match: [{headers: {end-user: ...}}],
    route: reviews-v3}]``: the first rule has no match, becomes ``prefix: /`` and shadows the second.

    ## How to fix
    Order VirtualService ``http`` rules from most to least specific; put the catch-all last.
    """

    code = "ML3002"
    name = "routes.unreachable-route"
    severity = Severity.WARNING
    title = "Route shadowed by an earlier route"
    message = "route {route} ({spec}) can never match: route {earlier} ({earlier_spec}) before it takes every " \
              "request it would"
    inputs = ("routes",)

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject | list[Subject]]:
        for proxy in snapshot.proxies:
            pname = proxy_name(proxy)
            vhost_routes: dict[tuple[int, int], list[RouteEntry]] = {}
            for route in index_for(proxy).refs.routes:
                vhost_routes.setdefault((id(route.config), route.vhost_index), []).append(route)
            examined: list[Subject] = []
            for routes in vhost_routes.values():
                catch: list[RouteEntry] = []
                for route in routes:
                    match = route.raw.get("match")
                    match = match if isinstance(match, dict) else {}
                    subj = Subject(pname, "route", route.subject_name)
                    examined.append(subj)
                    earlier = next((c for c in catch if covers(c.raw["match"], match)), None) if catch else None
                    if earlier is not None:
                        yield self.finding(subj, route.location, route=route.subject_name, spec=_describe(match),
                                           earlier=earlier.label, earlier_spec=_describe(earlier.raw["match"]))
                    elif len(routes) > 1 and unconditional(match) and _path_spec(match) is not None:
                        catch.append(route)
            yield examined


SAME_VHOST = "an earlier entry of the same virtual host"


class DuplicateDomain(Check):
    """Two virtual hosts of one route configuration claim the same domain.

    ## What it checks
    The ``domains`` of the virtual hosts of each route configuration (compared without case).

    ## Why it matters
    Envoy rejects the whole route configuration (``Only unique values for domains are
    permitted``): the proxy keeps the previous version, or has none. In an intended (istiod)
    configuration it predicts that rejection.

    ## Example
    Route config ``8080`` with vhosts ``a.default.svc.cluster.local:8080`` and
    ``b.default.svc.cluster.local:8080`` both listing ``10.96.0.20:8080``.

    ## How to fix
    Look for two Services or ServiceEntries with the same host or VIP, or two VirtualServices
    for one host bound to one gateway; merge or remove one.
    """

    code = "ML3003"
    name = "routes.duplicate-domain"
    severity = Severity.ERROR
    title = "Domain in several virtual hosts of one route configuration"
    message = "domain {domain!r} of virtual host {vhost} is already claimed by {first} in route configuration " \
              "{route_config!r}"
    inputs = ("routes",)

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject | list[Subject]]:
        for proxy in snapshot.proxies:
            pname = proxy_name(proxy)
            examined: list[Subject] = []
            for entry in index_for(proxy).refs.route_configs:
                owner: dict[str, tuple[int, str]] = {}
                for v, vh in enumerate(entry.raw.get("virtual_hosts") or ()):
                    if not isinstance(vh, dict):
                        continue
                    vname = str(vh.get("name", "")) or f"#{v}"
                    subj = Subject(pname, "virtual_host", f"{entry.name}/{vname}")
                    examined.append(subj)
                    mine: set[str] = set()  # this virtual host's domains so far: one pass, no rescans
                    for d, domain in enumerate(vh.get("domains") or ()):
                        # Envoy keeps one set of (lowercased) domains per route configuration: a
                        # domain listed twice in one virtual host is rejected as well.
                        key = domain.lower() if isinstance(domain, str) else str(domain)
                        first_v, first = owner.setdefault(key, (v, vname))
                        repeated = key in mine
                        mine.add(key)
                        if (first_v, first) != (v, vname) or repeated:
                            by = SAME_VHOST if first_v == v else first
                            yield self.finding(subj, entry.location.child(f".virtual_hosts[{v}].domains[{d}]"),
                                               domain=str(domain), vhost=vname, first=by, route_config=entry.name)
            yield examined


CHECKS: tuple[type[Check], ...] = (RouteClusterNotLoaded, UnreachableRoute, DuplicateDomain)
