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

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from meshlens.analysis.trace.matchers import string_match
from meshlens.models.addresses import longest_prefix, parse_ip
from meshlens.models.envoy.core import CidrRange, StringMatcher, short_type
from meshlens.models.envoy.listener import FilterChain, FilterChainMatch, Listener, chain_label


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
    """The filter chain Envoy picks for a connection, what decided it and the chains it passed over."""

    chain: FilterChain | None
    name: str
    matched_by: str
    skipped: list[tuple[str, str]] = field(default_factory=list)
    is_default: bool = False


def _prefix_len(ranges: Sequence[CidrRange], ip: str | None) -> int | None:
    """Longest prefix in ``ranges`` containing ``ip``; -1 for no ranges (any); None if none contains it."""
    if not ranges:
        return -1
    return longest_prefix(((r.address_prefix, r.prefix_len or 0) for r in ranges), ip)


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
    src = parse_ip(conn.src_ip)
    # Envoy's "local" is exactly 127.0.0.1 / ::1 or the destination's own address, not all of 127/8.
    local = src is not None and (str(src) in ("127.0.0.1", "::1") or (conn.dst_ip is not None
                                                                       and src == parse_ip(conn.dst_ip)))
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
    """The chain Envoy's ``filter_chain_match`` selection picks for ``conn`` (criteria in Envoy's order)."""
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
# Envoy's matcher semantics (xds.type.matcher.v3.Matcher): an on_match either names an action or nests a
# matcher. When a nested matcher finds nothing, the search resumes where it left off: an IP matcher tries
# its next shorter (non-exclusive) range, a prefix map its next shorter prefix, a matcher list its next
# entry, an exact map goes straight on; then the current matcher's on_no_match, then the parent's. So the
# action taken is the one of "the most specific on_no_match" that applies. An on_match with
# ``keep_matching`` is skipped: the search carries on as if it had not matched.

_INPUT_LABELS = {
    "DestinationIPInput": "destination IP", "DestinationPortInput": "destination port",
    "SourceIPInput": "source IP", "SourcePortInput": "source port", "DirectSourceIPInput": "direct source IP",
    "SourceTypeInput": "source type", "ServerNameInput": "SNI", "TransportProtocolInput": "transport protocol",
    "ApplicationProtocolInput": "ALPN",
}


@dataclass
class _MatcherWalk:
    conn: Connection
    trail: list[str] = field(default_factory=list)


def _input(node: dict[str, Any] | None, walk: _MatcherWalk) -> tuple[str, str | None]:
    """``(label, value)`` of a matcher input; ``None`` is Envoy's "no value" (the input's on_no_match)."""
    typed = (node or {}).get("typed_config") or {}
    kind = short_type(typed.get("@type"))
    conn = walk.conn
    label = _INPUT_LABELS.get(kind, kind or "input")
    if kind == "SourceTypeInput":
        local = _source_type_rank("SAME_IP_OR_LOOPBACK", conn) is not None
        return label, "local" if local else None
    dst, src = parse_ip(conn.dst_ip), parse_ip(conn.src_ip)
    values: dict[str, str | None] = {
        "DestinationIPInput": str(dst) if dst else None,
        "DestinationPortInput": str(conn.dst_port),
        "SourceIPInput": str(src) if src else None,
        "DirectSourceIPInput": str(src) if src else None,
        "SourcePortInput": str(conn.src_port) if conn.src_port is not None else None,
        "ServerNameInput": conn.server_name or None,
        "TransportProtocolInput": conn.transport_protocol or None,
        "ApplicationProtocolInput": ",".join(f"'{p}'" for p in conn.application_protocols) or None,
    }
    if kind not in values:
        walk.trail.append(f"input {kind or '?'} is not modelled (taken as no value)")
        return label, None
    return label, values[kind]


def _on_match(node: Any, walk: _MatcherWalk) -> str | None:
    """An on_match (or on_no_match): the chain name it leads to, or None when it leads to no action."""
    if not isinstance(node, dict):
        return None
    if isinstance(node.get("matcher"), dict):
        name = _eval_matcher(node["matcher"], walk)
    else:
        action = node.get("action") or {}
        value = (action.get("typed_config") or {}).get("value")
        name = str(value) if value is not None else None
    if name is not None and node.get("keep_matching"):
        walk.trail.append(f"{name!r} skipped (keep_matching)")
        return None
    return name


def _eval_matcher(matcher: dict[str, Any], walk: _MatcherWalk) -> str | None:
    """A Matcher: its tree or list, else (also when they find nothing) its on_no_match."""
    tree, listing = matcher.get("matcher_tree"), matcher.get("matcher_list")
    name = None
    if isinstance(tree, dict):
        name = _eval_tree(tree, walk)
    elif isinstance(listing, dict):
        name = _eval_list(listing, walk)
    if name is None and isinstance(matcher.get("on_no_match"), dict):
        walk.trail.append("on_no_match")
        name = _on_match(matcher["on_no_match"], walk)
    return name


def _first(candidates: Iterable[tuple[str, Any]], walk: _MatcherWalk) -> str | None:
    """The first candidate on_match (most specific first) that leads to an action."""
    for step, on_match in candidates:
        walk.trail.append(step)
        name = _on_match(on_match, walk)
        if name is not None:
            return name
        walk.trail.append(f"no chain under {step}")
    return None


def _eval_tree(tree: dict[str, Any], walk: _MatcherWalk) -> str | None:
    label, value = _input(tree.get("input"), walk)
    if value is None:
        walk.trail.append(f"no {label}")
        return None
    if isinstance(tree.get("exact_match_map"), dict):
        entries = tree["exact_match_map"].get("map") or {}
        found = [(f"{label} {value}", entries[value])] if value in entries else []
    elif isinstance(tree.get("prefix_match_map"), dict):
        entries = tree["prefix_match_map"].get("map") or {}
        keys = sorted((k for k in entries if value.startswith(k)), key=len, reverse=True)
        found = [(f"{label} {value} has prefix {k!r}", entries[k]) for k in keys]
    else:
        custom = (tree.get("custom_match") or {}).get("typed_config") or {}
        kind = short_type(custom.get("@type"))
        if kind != "IPMatcher":
            walk.trail.append(f"custom matcher {kind or '?'} is not evaluated")
            return None
        found = _ip_candidates(custom, label, value)
    if not found:
        walk.trail.append(f"{label} {value}: no entry")
    return _first(found, walk)


def _ip_candidates(cfg: dict[str, Any], label: str, value: str) -> list[tuple[str, Any]]:
    """IPMatcher entries containing ``value``: longest prefix first, then in order; an ``exclusive`` entry
    is tried only when it is the most specific one.
    """
    nodes: list[tuple[int, int, bool, Any]] = []
    for index, rm in enumerate(cfg.get("range_matchers") or ()):
        ranges = [CidrRange.model_validate(r) for r in rm.get("ranges") or () if isinstance(r, dict)]
        length = _prefix_len(ranges, value) if ranges else None
        if length is not None:
            nodes.append((length, index, bool(rm.get("exclusive")), rm.get("on_match")))
    nodes.sort(key=lambda n: (-n[0], n[1]))
    return [(f"{label} {value} in a /{length} range", on_match)
            for i, (length, _index, exclusive, on_match) in enumerate(nodes) if i == 0 or not exclusive]


def _predicate(pred: Any, walk: _MatcherWalk) -> bool:
    if not isinstance(pred, dict):
        return False
    if isinstance(pred.get("single_predicate"), dict):
        single = pred["single_predicate"]
        label, value = _input(single.get("input"), walk)
        if isinstance(single.get("value_match"), dict):
            if value is None:
                return False
            ok, _why = string_match(StringMatcher.model_validate(single["value_match"]), value)
            return ok
        walk.trail.append(f"custom predicate on {label} is not evaluated")
        return False
    if isinstance(pred.get("or_matcher"), dict):
        return any(_predicate(p, walk) for p in pred["or_matcher"].get("predicate") or ())
    if isinstance(pred.get("and_matcher"), dict):
        return all(_predicate(p, walk) for p in pred["and_matcher"].get("predicate") or ())
    if "not_matcher" in pred:
        return not _predicate(pred["not_matcher"], walk)
    return False


def _eval_list(listing: dict[str, Any], walk: _MatcherWalk) -> str | None:
    """A matcher list: entries in order; a matching entry whose on_match finds nothing lets the next try."""
    entries = [e for e in listing.get("matchers") or () if isinstance(e, dict)]
    found = ((f"predicate #{i} matched", e.get("on_match")) for i, e in enumerate(entries)
             if _predicate(e.get("predicate"), walk))
    name = _first(found, walk)
    if name is None:
        walk.trail.append("no matcher_list entry leads to a chain")
    return name


def select_chain(listener: Listener, conn: Connection) -> ChainChoice:
    """The filter chain Envoy uses for ``conn`` on ``listener`` (or why there is none)."""
    if listener.filter_chain_matcher:
        walk = _MatcherWalk(conn)
        name = _eval_matcher(listener.filter_chain_matcher, walk)
        trail = ", ".join(walk.trail)
        if name is not None:
            for i, chain in enumerate(listener.filter_chains):
                if chain.name == name:
                    return ChainChoice(chain, chain_label(chain, i), "filter_chain_matcher: " + trail)
            return _default(listener, [], f"filter_chain_matcher chose {name!r}, which is not a chain here")
        return _default(listener, [], f"filter_chain_matcher matched nothing ({trail})")
    return select_by_match(listener, conn)
