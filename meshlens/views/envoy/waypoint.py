"""istioctl's hidden ``pc listener --waypoint`` table: ``LISTENER  CHAIN  MATCH  DESTINATION``.

For listeners that pick filter chains with a ``filter_chain_matcher`` (xds matcher tree), MATCH
is the path through the tree that selects each chain: ``<input>=<key>`` for exact maps, ``^`` for
prefix maps, CIDRs for IP matchers, ``-> `` between levels; ``UNMATCHED`` for the ``on_no_match``
chain, ``ANY`` when a nested ``on_no_match`` picks it, ``NONE`` when nothing leads to it.
istioctl walks the map entries in Go's random map order; meshlens sorts them by key so the output
is stable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from meshlens.encoding.gosort import go_sort_slice
from meshlens.views.envoy._common import EnvoyTable, require_section
from meshlens.views.envoy._listeners import (
    ListenerRow,
    active_listeners,
    describe_chain_match,
    describe_filters,
    filter_chains,
    listener_address,
    listener_port,
    listener_type,
)

if TYPE_CHECKING:
    from meshlens.models.snapshot import EnvoyProxy

_IP_MATCHER = "xds.type.matcher.v3.IPMatcher"


def _action_name(on_match: Any) -> str | None:
    action = on_match.get("action") if isinstance(on_match, dict) else None
    return str(action.get("name", "")) if isinstance(action, dict) else None


def _sub_matcher(on_match: Any) -> dict[str, Any] | None:
    matcher = on_match.get("matcher") if isinstance(on_match, dict) else None
    return matcher if isinstance(matcher, dict) else None


def _tree_map(tree: dict[str, Any]) -> tuple[dict[str, Any], str]:
    for key, equality in (("exact_match_map", "="), ("prefix_match_map", "^")):
        table = tree.get(key)
        if isinstance(table, dict):
            mapped = table.get("map")
            return (mapped if isinstance(mapped, dict) else {}), equality
    custom = tree.get("custom_match")
    config = custom.get("typed_config") if isinstance(custom, dict) else None
    entries: dict[str, Any] = {}
    if isinstance(config, dict) and str(config.get("@type", "")).endswith(_IP_MATCHER):
        for rm in config.get("range_matchers") or ():
            for r in rm.get("ranges") or ():
                cidr = str(r.get("address_prefix", ""))
                length = r.get("prefix_len", 0)
                length = length.get("value", 0) if isinstance(length, dict) else length
                if length not in (32, 128):
                    cidr += f"/{length}"
                entries[cidr] = rm.get("on_match")
    return entries, "="


def _walk(chain: str, matcher: dict[str, Any]) -> tuple[list[str], bool]:
    on_no_match = matcher.get("on_no_match")
    if _action_name(on_no_match) == chain:
        return ["ANY"], True
    nested = _sub_matcher(on_no_match)
    if nested is not None:
        found, ok = _walk(chain, nested)
        return (found if ok else ["NONE"]), True
    tree = given if isinstance(given := matcher.get("matcher_tree"), dict) else {}
    input_ = given if isinstance(given := tree.get("input"), dict) else {}
    name = str(input_.get("name", ""))
    entries, equality = _tree_map(tree)
    outputs: list[str] = []
    for key in sorted(entries):
        on_match = entries[key]
        if _action_name(on_match) == chain:
            outputs.append(f"{name}{equality}{key}")
            continue
        sub = _sub_matcher(on_match)
        if sub is not None:
            children, ok = _walk(chain, sub)
            if ok:
                outputs.extend(f"{name}{equality}{key} -> {child}" for child in children)
    return outputs, bool(outputs)


def chain_matches(chain: dict[str, Any], listener: dict[str, Any]) -> list[str]:
    """MATCH cells of one chain: its FilterChainMatch, or its paths through the matcher tree."""
    matcher = listener.get("filter_chain_matcher")
    if not isinstance(matcher, dict):
        return [describe_chain_match(chain.get("filter_chain_match"))]
    name = str(chain.get("name", ""))
    on_no_match = matcher.get("on_no_match")
    if _action_name(on_no_match) == name:
        return ["UNMATCHED"]
    nested = _sub_matcher(on_no_match)
    if nested is not None:
        found, ok = _walk(name, nested)
        return found if ok else ["NONE"]
    found, ok = _walk(name, matcher)
    return found if ok else ["NONE"]


def waypoint_view(proxy: EnvoyProxy) -> EnvoyTable:
    """istioctl ``proxy-config listener --waypoint``."""
    require_section(proxy, "listeners", "listener")
    listeners = [(r, "internal_listener" in r.raw, listener_port(r.raw), listener_address(r.raw),
                  listener_type(r.raw)) for r in active_listeners(proxy)]

    def less(a: Any, b: Any) -> bool:
        if a[1] and b[1]:
            return bool(a[0].name < b[0].name)
        return bool(a[2:] < b[2:])

    go_sort_slice(listeners, less)
    rows: list[ListenerRow] = []
    cells: list[list[str]] = []
    for res, internal, port, address, ltype in listeners:
        chains = filter_chains(res.raw)
        lname = f"envoy://{res.name}"
        if internal and len(chains) == 1 and chains[0].get("name") == lname:
            lname = "internal"
        for chain in chains:
            destination = describe_filters([f for f in chain.get("filters") or () if isinstance(f, dict)])
            for match in chain_matches(chain, res.raw):
                rows.append(ListenerRow(name=res.name, addresses=[address], port=port, type=ltype, match=match,
                                        destination=destination, chain=chain.get("name")))
                cells.append([lname, str(chain.get("name", "")), match, destination])
    return EnvoyTable(view="listener", headers=["LISTENER", "CHAIN", "MATCH", "DESTINATION"], rows=list(rows),
                      cells=cells, padding=1)
