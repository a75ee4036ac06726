"""Envoy ``config.core.v3`` and ``type.matcher.v3`` building blocks shared by every resource."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from meshlens.models.base import MeshModel
from meshlens.models.duration import Duration


class SocketAddress(MeshModel):
    """Envoy's ``config.core.v3.SocketAddress``: an IP (or name) and a port or named port."""

    address: str = ""
    port_value: int | None = None
    named_port: str | None = None
    protocol: str = "TCP"
    ipv4_compat: bool | None = None


class Pipe(MeshModel):
    """Envoy's ``config.core.v3.Pipe``: a Unix domain socket path."""

    path: str = ""
    mode: int | None = None


class EnvoyInternalAddress(MeshModel):
    """Envoy's ``config.core.v3.EnvoyInternalAddress``: an internal listener by name."""

    server_listener_name: str = ""
    endpoint_id: str | None = None


class Address(MeshModel):
    """One of ``socket_address``, ``pipe`` or ``envoy_internal_address``."""

    socket_address: SocketAddress | None = None
    pipe: Pipe | None = None
    envoy_internal_address: EnvoyInternalAddress | None = None

    @property
    def ip(self) -> str | None:
        return self.socket_address.address if self.socket_address else None

    @property
    def port(self) -> int | None:
        return self.socket_address.port_value if self.socket_address else None

    def __str__(self) -> str:
        if self.socket_address is not None:
            sa = self.socket_address
            host = f"[{sa.address}]" if ":" in sa.address else sa.address
            return f"{host}:{sa.port_value if sa.port_value is not None else sa.named_port or 0}"
        if self.pipe is not None:
            return f"unix://{self.pipe.path}"
        if self.envoy_internal_address is not None:
            ia = self.envoy_internal_address
            return f"envoy://{ia.server_listener_name}/{ia.endpoint_id or ''}"
        return ""


class CidrRange(MeshModel):
    """Envoy's ``config.core.v3.CidrRange``: an address prefix and its length."""

    address_prefix: str = ""
    prefix_len: int | None = None

    def __str__(self) -> str:
        return f"{self.address_prefix}/{self.prefix_len if self.prefix_len is not None else 0}"


class Locality(MeshModel):
    """Envoy's ``config.core.v3.Locality``: region, zone and sub-zone."""

    region: str = ""
    zone: str = ""
    sub_zone: str = ""

    def __str__(self) -> str:
        return "/".join(p for p in (self.region, self.zone, self.sub_zone) if p)


class Metadata(MeshModel):
    """``filter_metadata`` (Struct per filter) and ``typed_filter_metadata`` (Any per filter)."""

    filter_metadata: dict[str, dict[str, Any]] = Field(default_factory=dict)
    typed_filter_metadata: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @property
    def istio(self) -> dict[str, Any]:
        return self.filter_metadata.get("istio", {})


class DataSource(MeshModel):
    """Envoy's ``config.core.v3.DataSource``: a file name, inline bytes or string, or environment variable."""

    filename: str | None = None
    inline_bytes: str | None = None  # base64, as proto3 JSON prints bytes
    inline_string: str | None = None
    environment_variable: str | None = None


class RegexMatcher(MeshModel):
    """Envoy's ``type.matcher.v3.RegexMatcher``: an RE2 regular expression."""

    regex: str = ""
    google_re2: dict[str, Any] | None = None


class StringMatcher(MeshModel):
    """``type.matcher.v3.StringMatcher``: exactly one of the match kinds is set."""

    exact: str | None = None
    prefix: str | None = None
    suffix: str | None = None
    contains: str | None = None
    safe_regex: RegexMatcher | None = None
    ignore_case: bool = False

    def describe(self) -> str:
        for kind in ("exact", "prefix", "suffix", "contains"):
            value = getattr(self, kind)
            if value is not None:
                return f"{kind} {value!r}" + (" (ignore case)" if self.ignore_case else "")
        if self.safe_regex is not None:
            return f"regex {self.safe_regex.regex!r}"
        return "any"


class TypedExtensionConfig(MeshModel):
    """A named extension with an ``@type``-tagged config, kept as a raw dict."""

    name: str = ""
    typed_config: dict[str, Any] | None = None

    @property
    def type_url(self) -> str | None:
        return (self.typed_config or {}).get("@type")


class TransportSocket(TypedExtensionConfig):
    """Envoy's ``config.core.v3.TransportSocket`` (TLS and its wrappers): name and typed config."""

    pass


class ConfigSource(MeshModel):
    """Envoy's ``config.core.v3.ConfigSource``: where a resource comes from (ADS, a file, an API)."""

    ads: dict[str, Any] | None = None
    path: str | None = None
    path_config_source: dict[str, Any] | None = None
    api_config_source: dict[str, Any] | None = None
    initial_fetch_timeout: Duration | None = None
    resource_api_version: str | None = None


def type_name(type_url: str | None) -> str:
    """The message name of an ``@type`` URL: ``type.googleapis.com/a.b.C`` -> ``a.b.C``."""
    if not type_url:
        return ""
    return type_url.rsplit("/", 1)[-1]


def short_type(type_url: str | None) -> str:
    """The last segment of a message name: ``...HttpConnectionManager``."""
    return type_name(type_url).rsplit(".", 1)[-1]
