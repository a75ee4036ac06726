"""An HTTP request as Envoy's router sees it (after the connection manager), and authority parsing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


class HeaderSource(Protocol):
    """Anything header matchers can read a header from (a request, a header map view)."""

    def header(self, name: str) -> str | None:
        """The header's value, or None when absent."""
        ...


@dataclass(frozen=True)
class Request:
    """An HTTP request as Envoy's router sees it (after the connection manager)."""

    authority: str
    path: str = "/"
    method: str = "GET"
    scheme: str = "http"
    headers: Mapping[str, str] = field(default_factory=dict)  # lowercase names, no pseudo-headers
    dynamic_metadata: dict[str, Any] | None = None  # {namespace: struct}; None: unknown (set by filters)
    repeated: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # headers sent more than once

    def header_values(self, name: str) -> list[str]:
        """Every value of a header, in order (a repeated header has several)."""
        key = name.lower()
        if key in self.repeated:
            return list(self.repeated[key])
        value = self.header(key)
        return [] if value is None else [value]

    @property
    def path_only(self) -> str:
        """The path without query string and fragment (what path matchers see)."""
        cut = len(self.path)
        for sep in ("?", "#"):
            i = self.path.find(sep)
            if i >= 0:
                cut = min(cut, i)
        return self.path[:cut]

    @property
    def query(self) -> list[tuple[str, str]]:
        """Query parameters as Envoy's router sees them: not percent-decoded, ``?c`` present and empty."""
        if "?" not in self.path:
            return []
        query = self.path.split("?", 1)[1].split("#", 1)[0]
        out = []
        for part in query.split("&"):
            if part:
                name, _, value = part.partition("=")
                out.append((name, value))
        return out

    def header(self, name: str) -> str | None:
        """A request header by (case-insensitive) name, pseudo-headers included."""
        key = name.lower()
        if key in (":authority", "host"):
            return self.authority
        if key == ":path":
            return self.path
        if key == ":method":
            return self.method
        if key == ":scheme":
            return self.scheme
        return self.headers.get(key)


def split_host_port(authority: str) -> tuple[str, int | None]:
    """``host:port`` / ``[v6]:port`` / ``host`` -> (host, port)."""
    if authority.startswith("["):
        end = authority.find("]")
        host = authority[: end + 1] if end >= 0 else authority
        rest = authority[end + 1:] if end >= 0 else ""
        if rest.startswith(":") and rest[1:].isdigit():
            return host, int(rest[1:])
        return host, None
    if authority.count(":") == 1:
        host, _, port = authority.partition(":")
        if port.isdigit():
            return host, int(port)
    return authority, None
