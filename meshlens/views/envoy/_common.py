"""What the proxy-config views share: the table type, section checks, and istioctl's small helpers.

Views read each resource's ``raw`` dict (the dump's own JSON) rather than the validated pydantic
model: the columns depend on proto facts such as "is this field set", and a 6,000-cluster dump
must print faster than ``jq`` can answer the same question.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from meshlens.errors import UnsupportedDumpError
from meshlens.models.names import IstioConfigRef
from meshlens.views.base import Table

if TYPE_CHECKING:
    from meshlens.models.snapshot import EnvoyProxy

HCM = "envoy.filters.network.http_connection_manager"
TCP_PROXY = "envoy.filters.network.tcp_proxy"
BLACKHOLE = "BlackHoleCluster"

# envoy.config.core.v3.HealthStatus and Cluster.DiscoveryType by number (proto JSON may use either).
HEALTH_STATUS = ("UNKNOWN", "HEALTHY", "UNHEALTHY", "DRAINING", "TIMEOUT", "DEGRADED")
DISCOVERY_TYPE = ("STATIC", "STRICT_DNS", "LOGICAL_DNS", "EDS", "ORIGINAL_DST")

_SECTION_TYPES = {
    "bootstrap": "BootstrapConfigDump",
    "clusters": "ClustersConfigDump",
    "listeners": "ListenersConfigDump",
    "routes": "RoutesConfigDump",
    "endpoints": "EndpointsConfigDump",
    "secrets": "SecretsConfigDump",
    "ecds": "EcdsConfigDump",
}


@dataclass
class EnvoyTable(Table):
    """A proxy-config table, plus which of istioctl's JSON writers its ``-o json`` uses.

    ``json_style``: ``slice`` (encoding/json over protojson: cluster, listener, route, eds,
    endpoint), ``jsonpb`` (legacy jsonpb with indent: bootstrap, secret), ``protojson`` (ecds) or
    ``dump`` (``all``: the capture itself).
    """

    json_style: str = "slice"
    raw_factory: Callable[[], Any] | None = field(default=None, repr=False, compare=False)
    rows_factory: Callable[[], list[Any]] | None = field(default=None, repr=False, compare=False)

    # ``raw`` (what -o json/yaml print) is built on first use: a short table of 6,000 clusters
    # should not pay for converting every cluster to istioctl's JSON shape.
    @property  # type: ignore[misc]  # a lazy property over the dataclass field
    def raw(self) -> Any:
        value = self.__dict__.get("_raw")
        if value is None and self.raw_factory is not None:
            value = self.__dict__["_raw"] = self.raw_factory()
        return value

    @raw.setter
    def raw(self, value: Any) -> None:
        self.__dict__["_raw"] = None if isinstance(value, property) else value

    # Typed rows are built on first use too (the CLI prints ``cells`` and never needs them).
    @property  # type: ignore[misc]  # a lazy property over the dataclass field
    def rows(self) -> list[Any]:
        value = self.__dict__.get("_rows")
        if not value and self.rows_factory is not None:
            value = self.__dict__["_rows"] = self.rows_factory()
        return value if value is not None else []

    @rows.setter
    def rows(self, value: Any) -> None:
        self.__dict__["_rows"] = None if isinstance(value, property) else value

    def __len__(self) -> int:
        return len(self.cells) if self.rows_factory is not None else len(self.rows)


def require_config_dump(proxy: EnvoyProxy, view: str) -> None:
    """Raise when the proxy was captured without a ``/config_dump`` (e.g. only ``/clusters``)."""
    if proxy.config_dump_raw is None:
        kinds = ", ".join(sorted({s.kind for s in proxy.sources})) or "no config dump"
        raise UnsupportedDumpError(
            f"pc {view} needs an Envoy /config_dump; this capture is {kinds} "
            f"(for /clusters captures use `pc endpoint`)",
            file=_file(proxy))


def require_section(proxy: EnvoyProxy, section: str, view: str) -> None:
    """Raise when the capture has no ``section`` (istioctl errors the same way)."""
    if section in proxy.sections:
        return
    require_config_dump(proxy, view)
    what = _SECTION_TYPES.get(section, section)
    if section == "endpoints":
        hint = "capture /config_dump?include_eds"
    elif section == "ecds":
        hint = "Envoy lists it only when extension configs came over ECDS"
    else:
        hint = "capture /config_dump without ?mask= or ?resource="
    raise UnsupportedDumpError(f"pc {view} needs the {what} section, which this config dump lacks ({hint})",
                               file=_file(proxy))


def _file(proxy: EnvoyProxy) -> str | None:
    loc = proxy.config_dump_location
    if loc is not None:
        return loc.file
    return next((s.location.file for s in proxy.sources), None)


def by_state(resources: list[Any], *states: str) -> list[Any]:
    """Resources in ``states`` order (istioctl lists dynamic entries before static ones)."""
    return [r for state in states for r in resources if r.state == state]


def describe_management(metadata: Any) -> str:
    """DESTINATION RULE / VIRTUAL SERVICE: ``metadata.filter_metadata.istio.config`` as istioctl shows it."""
    if not isinstance(metadata, dict):
        return ""
    filter_metadata = metadata.get("filter_metadata", metadata.get("filterMetadata"))
    istio = filter_metadata.get("istio") if isinstance(filter_metadata, dict) else None
    if not isinstance(istio, dict) or "config" not in istio:
        return ""
    config = istio["config"]
    if not isinstance(config, str) or not config:
        return "<unknown>"  # Go reads a non-string Value as "", which renders as unknown
    return IstioConfigRef.parse(config).istioctl_column()


def enum_name(value: Any, names: tuple[str, ...], default: str) -> str:
    """A proto enum from JSON (name or number) as Go's ``String()`` prints it."""
    if value is None:
        return default
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return names[value] if 0 <= value < len(names) else str(value)
    return str(value)


def go_atoi(text: str) -> int | None:
    """Go's ``strconv.Atoi``: optional sign, ASCII digits, int64 range; None where Go errors."""
    digits = text[1:] if text[:1] in ("+", "-") else text
    if not digits or not digits.isascii() or not digits.isdigit():
        return None
    value = int(text)
    return value if -(2**63) <= value < 2**63 else None


def equal_fold(a: str, b: str) -> bool:
    """Go's ``strings.EqualFold`` (Unicode simple case folding)."""
    return a == b or a.casefold() == b.casefold()


def socket_address(address: Any) -> dict[str, Any] | None:
    if isinstance(address, dict):
        sa = address.get("socket_address")
        if isinstance(sa, dict):
            return sa
    return None


def port_value(sa: dict[str, Any] | None) -> int:
    """``socket_address.port_value`` as Go's getter returns it (0 when unset or a named port)."""
    if sa is None:
        return 0
    value = sa.get("port_value", 0)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def contains_text(obj: Any, needle: str) -> bool:
    """Whether a string inside ``obj`` contains ``needle`` (as a search of the proto's bytes would).

    The top-level ``@type`` of an ``Any`` is not part of its value bytes and is skipped.
    """
    stack: list[Any] = [{k: v for k, v in obj.items() if k != "@type"} if isinstance(obj, dict) else obj]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if needle in item:
                return True
        elif isinstance(item, dict):
            for key, value in item.items():
                if isinstance(key, str) and needle in key:
                    return True
                stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
    return False


def dump_section(proxy: EnvoyProxy, section: str) -> list[dict[str, Any]]:
    """The config dump's sections of one kind, as given (snake_case or camelCase)."""
    raw = proxy.config_dump_raw
    configs = raw.get("configs") if isinstance(raw, dict) else None
    if not isinstance(configs, list):
        return []
    suffix = _SECTION_TYPES[section]
    return [c for c in configs if isinstance(c, dict) and str(c.get("@type", "")).endswith("." + suffix)]
