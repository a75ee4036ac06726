"""IP addresses as the index, the trace and the checks compare them: parsed once, cached."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

WILDCARDS = ("0.0.0.0", "::", "[::]", "")
ANY_ADDRESS = {4: "0.0.0.0", 6: "::"}


@lru_cache(maxsize=8192)
def parse_ip(value: str | None) -> IPAddress | None:
    """``value`` (``10.0.0.1``, ``fd00::5``, ``[fd00::5]``) as an address, or None when it is not one."""
    if not value:
        return None
    try:
        return ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return None


def is_ip(value: str) -> bool:
    """True when ``value`` is an IPv4 or IPv6 address (brackets allowed)."""
    return parse_ip(value) is not None


def norm_ip(value: str) -> str:
    """``value`` in canonical form (``[FD00:0::5]`` -> ``fd00::5``) when it is an IP, else unchanged."""
    addr = parse_ip(value)
    return addr.compressed if addr is not None else value


def ip_version(value: str | None) -> int | None:
    """4 or 6 for an IP address, None otherwise."""
    addr = parse_ip(value)
    return addr.version if addr is not None else None
