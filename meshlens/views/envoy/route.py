"""``pc route``: dynamic then static route configurations, one row per route (verbose, the default).

Verbose: ``NAME  VHOST NAME  DOMAINS  MATCH  VIRTUAL SERVICE``; routes to ``PassthroughCluster`` are
skipped and a virtual host without routes shows ``/*`` and ``404``. ``--verbose=false``:
``NAME  VIRTUAL HOSTS`` (the count). istioctl orders configurations with a comparison that only
orders numeric names (``80`` < ``9080``) and calls everything else "not less"; Go's sort then
decides where the others land, and :mod:`meshlens.encoding.gosort` reproduces that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from meshlens.encoding.gosort import go_sort_slice
from meshlens.encoding.protojson import to_go
from meshlens.views.envoy._common import EnvoyTable, by_state, describe_management, go_atoi, require_section
from meshlens.views.envoy._listeners import describe_route_match

if TYPE_CHECKING:
    from meshlens.models.snapshot import EnvoyProxy

_MORE = 2  # istioctl shows at most two domains, then " + N more..."


class RouteRow(BaseModel):
    """One ``pc route`` row: a route of a virtual host (verbose) or a route configuration."""

    name: str
    virtual_hosts: int | None = None
    vhost: str | None = None
    domains: list[str] | None = None
    shown_domains: str | None = None
    match: str | None = None
    virtual_service: str | None = None
    route_name: str | None = None


def describe_domains(domains: list[str]) -> str:
    """DOMAINS: one domain as is; else port-less domains without redundant long forms, at most two."""
    if not domains:
        return ""
    if len(domains) == 1:
        return domains[0]
    kept = [d for d in domains if ":" not in d or (d.count(":") > 2 and d.endswith("]"))]
    present = set(kept)
    drop = set()
    for host in kept:
        for suffix in (".svc.cluster.local", ".svc"):
            if host.endswith(suffix) and host[: -len(suffix)] in present:
                drop.add(host)
    kept = [d for d in kept if d not in drop]
    if len(kept) > _MORE:
        return ", ".join(kept[:_MORE]) + f" + {len(kept) - _MORE} more..."
    return ", ".join(kept)


def _is_passthrough(route: dict[str, Any]) -> bool:
    action = route.get("route")
    return isinstance(action, dict) and action.get("cluster") == "PassthroughCluster"


def sorted_route_configs(proxy: EnvoyProxy) -> list[Any]:
    """Active and static route configurations in istioctl's order (numeric names first, by Go's sort)."""
    configs = by_state(proxy.valid_route_configs, "active", "static")

    def less(a: Any, b: Any) -> bool:
        i, j = go_atoi(a.name), go_atoi(b.name)
        return i is not None and j is not None and i < j

    return go_sort_slice(configs, less)


def route_rows(proxy: EnvoyProxy, *, name: str | None = None, verbose: bool = True,
               prefix: str = "") -> tuple[list[str], list[RouteRow], list[list[str]], list[Any]]:
    """Headers, rows, cells and the matching route configurations (``prefix``: ``pc all``'s NAME)."""
    require_section(proxy, "routes", "all" if prefix else "route")
    headers = ["NAME", "VHOST NAME", "DOMAINS", "MATCH", "VIRTUAL SERVICE"] if verbose else ["NAME", "VIRTUAL HOSTS"]
    rows: list[RouteRow] = []
    cells: list[list[str]] = []
    picked = [rc for rc in sorted_route_configs(proxy) if not name or rc.name == name]
    for rc in picked:
        shown = prefix + rc.name
        vhosts = [vh for vh in rc.raw.get("virtual_hosts") or () if isinstance(vh, dict)]
        if not verbose:
            rows.append(RouteRow(name=rc.name, virtual_hosts=len(vhosts)))
            cells.append([shown, str(len(vhosts))])
            continue
        for vh in vhosts:
            domains = [str(d) for d in vh.get("domains") or ()]
            shown_domains = describe_domains(domains)
            vh_name = str(vh.get("name", ""))
            routes = [r for r in vh.get("routes") or () if isinstance(r, dict)]
            for route in routes:
                if _is_passthrough(route):
                    continue
                match = describe_route_match(route.get("match"))
                vs = describe_management(route.get("metadata"))
                rows.append(RouteRow(name=rc.name, vhost=vh_name, domains=domains, shown_domains=shown_domains,
                                     match=match, virtual_service=vs, route_name=route.get("name")))
                cells.append([shown, vh_name, shown_domains, match, vs])
            if not routes:
                rows.append(RouteRow(name=rc.name, vhost=vh_name, domains=domains, shown_domains=shown_domains,
                                     match="/*", virtual_service="404"))
                cells.append([shown, vh_name, shown_domains, "/*", "404"])
    return headers, rows, cells, picked


def route_view(proxy: EnvoyProxy, *, name: str | None = None, verbose: bool = True) -> EnvoyTable:
    """istioctl ``proxy-config route``: routes per virtual host, or route configurations (``-o json``)."""
    headers, rows, cells, picked = route_rows(proxy, name=name, verbose=verbose)
    return EnvoyTable(view="route", headers=headers, rows=list(rows), cells=cells, padding=5,
                      raw_factory=lambda: [to_go(r.raw) for r in picked], json_indent=4)
