"""Plumbing shared by the name parsers: the value base class and small text helpers."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _text(s: object) -> str:
    """Names are strings; a missing name (None) reads as empty, anything else as its str()."""
    if s is None:
        return ""
    return s if isinstance(s, str) else str(s)


def _port(text: str) -> int | None:
    """A TCP/UDP port written in decimal, else None (``isdigit`` alone accepts non-ASCII digits)."""
    if text.isascii() and text.isdigit() and len(text) <= 5:
        value = int(text)
        return value if value <= 65535 else None
    return None


def _ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _svc_host(host: str) -> tuple[str, str, str] | None:
    """``(name, namespace, domain)`` of a Kubernetes service host ``name.ns.svc[.<domain>]``."""
    labels = host.split(".")
    if len(labels) >= 3 and labels[2] == "svc" and labels[0] and labels[1]:
        return labels[0], labels[1], ".".join(labels[3:])
    return None


@dataclass(frozen=True, slots=True)
class NameValue:
    """Base of every parsed name: ``raw`` (the original string) and ``kind`` (``opaque`` if unknown)."""

    raw: str
    kind: str = field(default="opaque", compare=False)

    def __str__(self) -> str:
        return self.raw

    @property
    def is_opaque(self) -> bool:
        return self.kind == "opaque"

    @classmethod
    def parse(cls, s: str | None) -> Any:  # each subclass narrows the return type
        return cls(_text(s))

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        from_str = core_schema.no_info_after_validator_function(cls.parse, core_schema.str_schema())
        return core_schema.json_or_python_schema(
            json_schema=from_str,
            python_schema=core_schema.union_schema([core_schema.is_instance_schema(cls), from_str]),
            serialization=core_schema.plain_serializer_function_ser_schema(str),
        )
