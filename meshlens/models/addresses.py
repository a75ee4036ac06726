"""IP addresses and CIDR ranges as the trace compares them: parsed once, cached."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=8192)
def parse_ip(value: str | None) -> IPAddress | None:
    """``value`` (``10.0.0.1``, ``fd00::5``, ``[fd00::5]``) as an address, or None when it is not one."""
    if not value:
        return None
    try:
        return ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return None


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
