"""``pc listener``: active dynamic listeners and static listeners, one row per filter chain.

Verbose (the default): ``ADDRESSES  PORT  MATCH  DESTINATION``, chains ordered by DESTINATION
descending; ``--verbose=false``: ``ADDRESSES  PORT  TYPE``. Listeners are ordered by port, address
and type with Go's (unstable) sort, as istioctl does. The hidden ``--waypoint`` table walks the
listener's ``filter_chain_matcher`` tree instead (see :func:`waypoint_view`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from meshlens.encoding.gosort import go_sort_slice
from meshlens.encoding.protojson import to_go
from meshlens.views.envoy._common import EnvoyTable, equal_fold, require_section
from meshlens.views.envoy._listeners import (
    ListenerRow,
    active_listeners,
    additional_addresses,
    chain_filters,
    describe_chain_match,
    describe_filters,
    filter_chains,
    listener_address,
    listener_port,
    listener_type,
)
from meshlens.views.envoy.waypoint import waypoint_view

if TYPE_CHECKING:
    from meshlens.models.snapshot import EnvoyProxy


# --- the table -----------------------------------------------------------------------------------
def _matches(raw: dict[str, Any], address: str | None, port: int | None, type_: str | None) -> bool:
    if address and not any(equal_fold(a, address) for a in [*additional_addresses(raw), listener_address(raw)]):
        return False
    if port and listener_port(raw) != port:
        return False
    return not (type_ and not equal_fold(listener_type(raw), type_))


def listener_rows(proxy: EnvoyProxy, *, address: str | None = None, port: int | None = None, type: str | None = None,
                  verbose: bool = True, prefix: str = "") -> tuple[list[str], list[ListenerRow], list[list[str]],
                                                                  list[Any]]:
    """Headers, rows, cells and the matching listeners in dump order (``prefix``: ``pc all``'s NAME column)."""
    require_section(proxy, "listeners", "all" if prefix else "listener")
    picked = [res for res in active_listeners(proxy) if _matches(res.raw, address, port, type)]
    keyed = [((listener_port(r.raw), listener_address(r.raw), listener_type(r.raw)), r) for r in picked]
    go_sort_slice(keyed, lambda a, b: a[0] < b[0])
    headers = ["ADDRESSES", "PORT", *(["MATCH", "DESTINATION"] if verbose else ["TYPE"])]
    if prefix:
        headers.insert(0, "NAME")
    rows: list[ListenerRow] = []
    cells: list[list[str]] = []
    for (lport, _, ltype), res in keyed:
        raw = res.raw
        addresses = [listener_address(raw), *additional_addresses(raw)]
        lead = [prefix + res.name] if prefix else []
        if not verbose:
            rows.append(ListenerRow(name=res.name, addresses=addresses, port=lport, type=ltype))
            cells.append([*lead, ",".join(addresses), str(lport), ltype])
            continue
        chains = [(describe_chain_match(c.get("filter_chain_match")), describe_filters(chain_filters(c)), c)
                  for c in filter_chains(raw)]
        go_sort_slice(chains, lambda a, b: a[1] > b[1])
        for match, destination, chain in chains:
            rows.append(ListenerRow(name=res.name, addresses=addresses, port=lport, type=ltype, match=match,
                                    destination=destination, chain=chain.get("name")))
            cells.append([*lead, ",".join(addresses), str(lport), match, destination])
    return headers, rows, cells, picked  # -o json keeps the dump's order (istioctl does not sort it)


def listener_view(proxy: EnvoyProxy, *, address: str | None = None, port: int | None = None, type: str | None = None,
                  verbose: bool = True, waypoint: bool = False) -> EnvoyTable:
    """istioctl ``proxy-config listener`` (``waypoint=True``: the hidden ``--waypoint`` table)."""
    if waypoint:
        return waypoint_view(proxy)
    headers, rows, cells, picked = listener_rows(proxy, address=address, port=port, type=type, verbose=verbose)
    return EnvoyTable(view="listener", headers=headers, rows=list(rows), cells=cells, padding=1,
                      raw_factory=lambda: [to_go(r.raw) for r in picked], json_indent=4)
