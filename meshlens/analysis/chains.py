"""Envoy's filter-chain selection for a new connection.

``filter_chain_match`` is evaluated level by level in Envoy's documented order: destination port,
destination IP (longest prefix), server name (exact, then the longest wildcard), transport protocol,
application protocols, directly connected source IP, source type, source IP (longest prefix),
source port. At each level the most specific group that matches is kept and the others dropped;
Envoy never backtracks, so a connection that survives the port level in a specific group but fails
later falls to ``default_filter_chain``, not to a less specific group. Where a listener has a
``filter_chain_matcher`` (xds matcher tree) that decides instead.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from meshlens.models.envoy.core import CidrRange, short_type
from meshlens.models.envoy.listener import FilterChain, FilterChainMatch, Listener


@dataclass(frozen=True)
class Connection:
    """What Envoy knows about a new downstream connection when it picks a filter chain."""

    dst_ip: str | None
    dst_port: int
    src_ip: str | None = None
    src_port: int | None = None
    transport_protocol: str = "raw_buffer"
    application_protocols: tuple[str, ...] = ()
    server_name: str | None = None


@dataclass
class ChainChoice:
    chain: FilterChain | None
    name: str
    matched_by: str
    skipped: list[tuple[str, str]] = field(default_factory=list)
    is_default: bool = False


def chain_label(chain: FilterChain, index: int | None) -> str:
    if chain.name:
        return chain.name
    return "default_filter_chain" if index is None else f"#{index}"


def _ip(value: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not value:
        return None
    try:
        return ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return None


def _prefix_len(ranges: Sequence[CidrRange], ip: str | None) -> int | None:
    """Longest prefix in ``ranges`` containing ``ip``; -1 for no ranges (any); None if none contains it."""
    if not ranges:
        return -1
    addr = _ip(ip)
    if addr is None:
        return None
    best: int | None = None
    for r in ranges:
        try:
            net = ipaddress.ip_network(f"{r.address_prefix}/{r.prefix_len or 0}", strict=False)
        except ValueError:
            continue
        if addr.version == net.version and addr in net:
            length = r.prefix_len or 0
            best = length if best is None else max(best, length)
    return best


def _server_name_rank(names: Sequence[str], sni: str | None) -> int | None:
    """Specificity of the best server name matching ``sni``: exact > longer wildcard > none."""
    if not names:
        return -1
    if not sni:
        return None
    sni = sni.lower()
    best: int | None = None
    for name in names:
        name = name.lower()
        if name == sni:
            return 10_000
        if name.startswith("*.") and sni.endswith(name[1:]) and len(sni) > len(name) - 1:
            best = max(best or 0, len(name))
    return best


def _source_type_rank(source_type: str, conn: Connection) -> int | None:
    if source_type in ("", "ANY"):
        return -1
    src = _ip(conn.src_ip)
    # Envoy's "local" is exactly 127.0.0.1 / ::1 or the destination's own address, not all of 127/8.
    local = src is not None and (str(src) in ("127.0.0.1", "::1") or (conn.dst_ip is not None
                                                                       and src == _ip(conn.dst_ip)))
    if source_type in ("SAME_IP_OR_LOOPBACK", "LOCAL"):
        return 1 if local else None
    if source_type == "EXTERNAL":
        return 1 if not local else None
    return None


Level = tuple[str, Callable[[FilterChainMatch, Connection], "int | None"], Callable[[Connection], str]]

_LEVELS: tuple[Level, ...] = (
    ("destination port", lambda m, c: (1 if m.destination_port == c.dst_port else None)
     if m.destination_port else -1, lambda c: f"port {c.dst_port}"),
    ("destination IP", lambda m, c: _prefix_len(m.prefix_ranges, c.dst_ip), lambda c: f"IP {c.dst_ip or 'unknown'}"),
    ("server name", lambda m, c: _server_name_rank(m.server_names, c.server_name),
     lambda c: f"SNI {c.server_name or 'none'}"),
    ("transport protocol", lambda m, c: (1 if m.transport_protocol == c.transport_protocol else None)
     if m.transport_protocol else -1, lambda c: f"transport {c.transport_protocol}"),
    ("application protocols", lambda m, c: _alpn_rank(m.application_protocols, c),
     lambda c: f"ALPN {','.join(c.application_protocols) or 'none'}"),
    ("direct source IP", lambda m, c: _prefix_len(m.direct_source_prefix_ranges, c.src_ip),
     lambda c: f"direct source {c.src_ip or 'unknown'}"),
    ("source type", lambda m, c: _source_type_rank(m.source_type, c), lambda c: f"source {c.src_ip or 'unknown'}"),
    ("source IP", lambda m, c: _prefix_len(m.source_prefix_ranges, c.src_ip),
     lambda c: f"source IP {c.src_ip or 'unknown'}"),
    ("source port", lambda m, c: (1 if c.src_port in m.source_ports else None) if m.source_ports else -1,
     lambda c: f"source port {c.src_port if c.src_port is not None else 'unknown'}"),
)


def _alpn_rank(protocols: Sequence[str], conn: Connection) -> int | None:
    """Envoy looks the connection's protocols up in order; the first configured one wins."""
    if not protocols:
        return -1
    for i, proto in enumerate(conn.application_protocols):
        if proto in protocols:
            return 1000 - i
    return None


def select_by_match(listener: Listener, conn: Connection) -> ChainChoice:
    candidates = [(i, ch, ch.filter_chain_match or FilterChainMatch()) for i, ch in enumerate(listener.filter_chains)]
    skipped: list[tuple[str, str]] = []
    reasons: list[str] = []
    for level, rank_of, describe in _LEVELS:
        ranked = [(rank_of(m, conn), i, ch, m) for i, ch, m in candidates]
        matching = [r for r in ranked if r[0] is not None]
        if not matching:
            for _, i, ch, _m in ranked:
                skipped.append((chain_label(ch, i), f"{level} does not match {describe(conn)}"))
            candidates = []
            break
        best = max(r[0] for r in matching)  # type: ignore[type-var]
        kept = [(i, ch, m) for rank, i, ch, m in matching if rank == best]
        for rank, i, ch, _m in ranked:
            if rank is None:
                skipped.append((chain_label(ch, i), f"{level} does not match {describe(conn)}"))
            elif rank != best:
                skipped.append((chain_label(ch, i), f"a more specific {level} match exists"))
        if best != -1:
            reasons.append(f"{level} ({describe(conn)})")
        candidates = kept
    if candidates:
        i, chain, _ = candidates[0]
        why = ", ".join(reasons) if reasons else "matches any connection"
        return ChainChoice(chain, chain_label(chain, i), why, skipped)
    return _default(listener, skipped)


def _default(listener: Listener, skipped: list[tuple[str, str]], why: str = "no filter chain matched") -> ChainChoice:
    if listener.default_filter_chain is not None:
        chain = listener.default_filter_chain
        return ChainChoice(chain, chain_label(chain, None), f"default_filter_chain ({why})", skipped, is_default=True)
    return ChainChoice(None, "", why, skipped)


# --- xds matcher tree (filter_chain_matcher) -------------------------------------------------------
def _input_value(typed_input: dict[str, Any], conn: Connection) -> str | None:
    kind = short_type(typed_input.get("@type"))
    return {
        "DestinationIPInput": conn.dst_ip,
        "DestinationPortInput": str(conn.dst_port),
        "SourceIPInput": conn.src_ip,
        "SourcePortInput": str(conn.src_port) if conn.src_port is not None else None,
        "DirectSourceIPInput": conn.src_ip,
        "ServerNameInput": conn.server_name or "",
        "TransportProtocolInput": conn.transport_protocol,
        "ApplicationProtocolInput": ",".join(f"'{p}'" for p in conn.application_protocols),
    }.get(kind)


def _on_match(node: dict[str, Any] | None, conn: Connection, trail: list[str]) -> str | None:
    if not isinstance(node, dict):
        return None
    if "matcher" in node:
        return _eval_matcher(node["matcher"], conn, trail)
    action = node.get("action") or {}
    value = (action.get("typed_config") or {}).get("value")
    return str(value) if value is not None else None


def _eval_matcher(matcher: dict[str, Any], conn: Connection, trail: list[str]) -> str | None:
    tree = matcher.get("matcher_tree")
    if isinstance(tree, dict):
        value = _input_value((tree.get("input") or {}).get("typed_config") or {}, conn)
        if "exact_match_map" in tree and value is not None:
            entry = (tree["exact_match_map"].get("map") or {}).get(value)
            if entry is not None:
                trail.append(f"{value} = exact")
                return _on_match(entry, conn, trail)
        if "prefix_match_map" in tree and value is not None:
            best = max((k for k in (tree["prefix_match_map"].get("map") or {}) if value.startswith(k)),
                       key=len, default=None)
            if best is not None:
                trail.append(f"{value} ^ {best!r}")
                return _on_match(tree["prefix_match_map"]["map"][best], conn, trail)
        custom = tree.get("custom_match") or {}
        cfg = custom.get("typed_config") or {}
        if short_type(cfg.get("@type")) == "IPMatcher" and value is not None:
            best_len, best_match = -1, None
            for rm in cfg.get("range_matchers") or ():
                length = _prefix_len([CidrRange.model_validate(r) for r in rm.get("ranges") or ()], value)
                if length is not None and length > best_len:
                    best_len, best_match = length, rm.get("on_match")
            if best_match is not None:
                trail.append(f"{value} in IP range /{best_len}")
                return _on_match(best_match, conn, trail)
    for entry in matcher.get("matcher_list", {}).get("matchers") or () if isinstance(
            matcher.get("matcher_list"), dict) else ():
        single = (entry.get("predicate") or {}).get("single_predicate") or {}
        value = _input_value((single.get("input") or {}).get("typed_config") or {}, conn)
        vm = single.get("value_match") or {}
        if value is not None and (vm.get("exact") == value or (vm.get("prefix") and value.startswith(vm["prefix"]))):
            trail.append(f"{value} matched predicate")
            return _on_match(entry.get("on_match"), conn, trail)
    if "on_no_match" in matcher:
        trail.append("on_no_match")
        return _on_match(matcher["on_no_match"], conn, trail)
    return None


def select_chain(listener: Listener, conn: Connection) -> ChainChoice:
    """The filter chain Envoy uses for ``conn`` on ``listener`` (or why there is none)."""
    if listener.filter_chain_matcher:
        trail: list[str] = []
        name = _eval_matcher(listener.filter_chain_matcher, conn, trail)
        if name is not None:
            for i, chain in enumerate(listener.filter_chains):
                if chain.name == name:
                    return ChainChoice(chain, chain_label(chain, i), "filter_chain_matcher: " + ", ".join(trail))
            return _default(listener, [], f"filter_chain_matcher chose {name!r}, which is not a chain here")
        return _default(listener, [], "filter_chain_matcher matched nothing")
    return select_by_match(listener, conn)
