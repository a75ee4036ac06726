"""Canonical IP forms the index keys listeners by (parsing itself is :mod:`meshlens.models.addresses`)."""

from __future__ import annotations

from meshlens.models.addresses import IPAddress, parse_ip

__all__ = ["ANY_ADDRESS", "WILDCARDS", "IPAddress", "ip_version", "is_ip", "norm_ip", "parse_ip"]

WILDCARDS = ("0.0.0.0", "::", "[::]", "")
ANY_ADDRESS = {4: "0.0.0.0", 6: "::"}


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
