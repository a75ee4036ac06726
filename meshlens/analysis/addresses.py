"""IP addresses and CIDR ranges as the trace compares them: parsed once, cached."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from meshlens.index.addresses import IPAddress, parse_ip

__all__ = ["IPAddress", "longest_prefix", "parse_ip"]


@lru_cache(maxsize=4096)
def _network(prefix: str, length: int) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(f"{prefix}/{length}", strict=False)
    except ValueError:
        return None


def longest_prefix(ranges: Iterable[tuple[str, int]], ip: str | None) -> int | None:
    """The longest of ``(address_prefix, prefix_len)`` ranges containing ``ip``; None if none does."""
    addr = parse_ip(ip)
    if addr is None:
        return None
    best: int | None = None
    for prefix, length in ranges:
        net = _network(prefix, length)
        if net is not None and addr.version == net.version and addr in net:
            best = length if best is None else max(best, length)
    return best
