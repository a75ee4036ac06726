"""Envoy admin captures other than ``/config_dump``, as typed records.

``/clusters`` (JSON and text forms give the same :class:`ClusterStatus` records), ``/certs``,
``/server_info``, ``/listeners`` (JSON and text), ``/stats`` (JSON, Prometheus and plain text),
``/memory``, ``/runtime``, ``/logging`` and proxy log files. Envoy's admin output is snake_case
proto3 JSON: zero values are omitted (a host stat without ``value`` is 0), uint64 values are strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, lru_cache
from typing import Any

from pydantic import Field, field_validator

from meshlens.models.base import Location, MeshModel
from meshlens.models.envoy.core import Address, Locality

# --------------------------------------------------------------------------------- /clusters
# Host health flags in the order Envoy prints them in the text form (``/failed_active_hc/...``),
# with the JSON ``HostHealthStatus`` field each one maps to. The three EDS flags fold into
# ``eds_health_status`` instead (see :meth:`HealthStatus.from_flags`).
_FLAG_FIELDS: tuple[tuple[str, str], ...] = (
    ("failed_active_hc", "failed_active_health_check"),
    ("failed_outlier_check", "failed_outlier_check"),
    ("failed_eds_health", ""),
    ("degraded_active_hc", "failed_active_degraded_check"),
    ("degraded_eds_health", ""),
    ("pending_dynamic_removal", "pending_dynamic_removal"),
    ("pending_active_hc", "pending_active_hc"),
    ("excluded_via_immediate_hc_fail", "excluded_via_immediate_hc_fail"),
    ("active_hc_timeout", "active_hc_timeout"),
    ("eds_status_draining", ""),
)
_FLAG_TO_FIELD = {flag: name for flag, name in _FLAG_FIELDS if name}
# EDS status flags, strongest first: Envoy reports UNHEALTHY over DEGRADED over DRAINING.
_EDS_FLAGS = (("failed_eds_health", "UNHEALTHY"), ("degraded_eds_health", "DEGRADED"),
              ("eds_status_draining", "DRAINING"))
_EDS_STATUS_FLAG = {status: flag for flag, status in _EDS_FLAGS}

# Per-host stats Envoy keeps as gauges (the JSON form marks them ``"type": "GAUGE"``; the text form
# does not say). Every other host stat is a counter.
HOST_GAUGES = frozenset({"cx_active", "rq_active", "rq_pending_active"})


class HealthStatus(MeshModel):
    """A host's health in ``/clusters``: EDS status plus the flags Envoy's own checks set."""

    eds_health_status: str = "UNKNOWN"  # HEALTHY, UNHEALTHY, DRAINING, TIMEOUT, DEGRADED, UNKNOWN
    failed_active_health_check: bool = False
    failed_outlier_check: bool = False
    failed_active_degraded_check: bool = False
    pending_dynamic_removal: bool = False
    pending_active_hc: bool = False
    excluded_via_immediate_hc_fail: bool = False
    active_hc_timeout: bool = False
    other_flags: tuple[str, ...] = ()  # text-form flags this version of meshlens does not know

    @classmethod
    def from_flags(cls, text: str) -> HealthStatus:
        """From the text form's ``health_flags`` value: ``healthy`` or ``/flag_a/flag_b``.

        Envoy's JSON says ``eds_health_status: HEALTHY`` when no EDS flag is set, so that is
        what the text form gives too.
        """
        values: dict[str, Any] = {"eds_health_status": "HEALTHY"}
        other: list[str] = []
        flags = {f for f in text.strip().split("/") if f and f != "healthy"}
        for flag, status in reversed(_EDS_FLAGS):  # strongest last, so it wins
            if flag in flags:
                values["eds_health_status"] = status
        for flag in sorted(flags):
            name = _FLAG_TO_FIELD.get(flag)
            if name:
                values[name] = True
            elif flag not in _EDS_STATUS_FLAG.values():
                other.append(flag)
        if other:
            values["other_flags"] = tuple(other)
        return cls.model_validate(values)

    @property
    def flags(self) -> tuple[str, ...]:
        """Envoy's text-form flag names for this status (empty when the host is healthy)."""
        eds_flag = _EDS_STATUS_FLAG.get(self.eds_health_status)
        out = [flag for flag, name in _FLAG_FIELDS if (getattr(self, name) if name else flag == eds_flag)]
        return (*out, *self.other_flags)

    @property
    def healthy(self) -> bool:
        """True when Envoy would print ``healthy``: no failure, degradation or pending flag."""
        return not self.flags

    @property
    def outlier_check(self) -> str:
        """istioctl's OUTLIER CHECK column: ``FAILED`` or ``OK``."""
        return "FAILED" if self.failed_outlier_check else "OK"


@lru_cache(maxsize=1024)
def _shared(model: type[MeshModel], items: tuple[tuple[str, Any], ...]) -> MeshModel:
    """One frozen record per distinct small sub-document (health state, locality)."""
    return model.model_validate(dict(items))


def _unwrap_double(value: Any) -> Any:
    """``{"value": 93.5}`` (a proto ``Percent``) or a text number to a float; -1/absent -> None."""
    if isinstance(value, dict):
        value = value.get("value")
    if value is None or value == "":
        return None
    number = float(value)
    return None if number < 0 else number


class HostStatus(MeshModel):
    """One upstream host of a cluster, as ``/clusters`` reports it at capture time."""

    address: Address
    stats: dict[str, int] = Field(default_factory=dict)  # cx_total, rq_error, cx_active, ... (absent in JSON = 0)
    health_status: HealthStatus = HealthStatus()
    weight: int = 0
    hostname: str = ""
    priority: int = 0
    locality: Locality = Locality()
    success_rate: float | None = None  # outlier detection's success rate; None when not computed
    local_origin_success_rate: float | None = None
    canary: bool | None = None  # only the text form says

    @field_validator("stats", mode="before")
    @classmethod
    def _stats_list(cls, value: Any) -> Any:
        if isinstance(value, list):
            try:
                return {s["name"]: s.get("value", 0) for s in value}
            except (KeyError, TypeError, AttributeError):
                return {s["name"]: s.get("value", 0) for s in value
                        if isinstance(s, dict) and isinstance(s.get("name"), str)}
        return value

    @field_validator("success_rate", "local_origin_success_rate", mode="before")
    @classmethod
    def _percent(cls, value: Any) -> Any:
        return _unwrap_double(value)

    @field_validator("health_status", mode="before")
    @classmethod
    def _shared_health(cls, value: Any) -> Any:
        # Thousands of hosts share a handful of distinct health states: build each one once.
        if isinstance(value, dict):
            try:
                return _shared(HealthStatus, tuple(value.items()))
            except TypeError:  # unhashable values: let validation report them
                return value
        return value

    @field_validator("locality", mode="before")
    @classmethod
    def _shared_locality(cls, value: Any) -> Any:
        if isinstance(value, dict):
            try:
                return _shared(Locality, tuple(value.items()))
            except TypeError:
                return value
        return value

    @property
    def endpoint(self) -> str:
        """istioctl's ENDPOINT column: ``ip:port``, ``unix://path`` or ``envoy://listener/id``."""
        return str(self.address)

    @property
    def ip(self) -> str | None:
        return self.address.ip

    @property
    def port(self) -> int | None:
        return self.address.port

    def stat(self, name: str) -> int:
        return self.stats.get(name, 0)


class CircuitBreakerThresholds(MeshModel):
    """``/clusters`` circuit-breaker limits of one priority (``DEFAULT`` or ``HIGH``)."""

    priority: str = "DEFAULT"
    max_connections: int | None = None
    max_pending_requests: int | None = None
    max_requests: int | None = None
    max_retries: int | None = None


class CircuitBreakers(MeshModel):
    """``/clusters`` circuit-breaker thresholds, one entry per priority."""

    thresholds: tuple[CircuitBreakerThresholds, ...] = ()

    def for_priority(self, priority: str = "DEFAULT") -> CircuitBreakerThresholds | None:
        return next((t for t in self.thresholds if t.priority == priority), None)


class ClusterStatus(MeshModel):
    """One cluster of ``/clusters``: its runtime hosts with health, stats and outlier state."""

    name: str = ""
    added_via_api: bool = False
    observability_name: str = ""
    eds_service_name: str = ""
    circuit_breakers: CircuitBreakers | None = None
    success_rate_ejection_threshold: float | None = None
    local_origin_success_rate_ejection_threshold: float | None = None
    success_rate_average: float | None = None  # text form only
    local_origin_success_rate_average: float | None = None  # text form only
    host_statuses: tuple[HostStatus, ...] = ()

    @field_validator("success_rate_ejection_threshold", "local_origin_success_rate_ejection_threshold",
                     "success_rate_average", "local_origin_success_rate_average", mode="before")
    @classmethod
    def _percent(cls, value: Any) -> Any:
        return _unwrap_double(value)

    @property
    def parsed_name(self) -> Any:
        from meshlens.models.names import ClusterName

        return ClusterName.parse(self.name)

    @property
    def hosts(self) -> tuple[HostStatus, ...]:
        return self.host_statuses

    def host(self, address: str) -> HostStatus | None:
        """The host whose ``ip:port`` (or ``unix://path``) is ``address``."""
        return next((h for h in self.host_statuses if h.endpoint == address), None)


# ------------------------------------------------------------------------------------ /certs
class SubjectAltName(MeshModel):
    """``/certs`` subject alternative name: a URI (SPIFFE id), DNS name or IP address."""

    uri: str | None = None
    dns: str | None = None
    ip_address: str | None = None

    @property
    def value(self) -> str:
        return self.uri or self.dns or self.ip_address or ""


class CertificateDetails(MeshModel):
    """One certificate as ``/certs`` describes it (no PEM: for that, read the config dump's secrets)."""

    path: str = ""
    serial_number: str = ""  # lowercase hex
    subject_alt_names: tuple[SubjectAltName, ...] = ()
    days_until_expiration: int | None = None  # whole days, "0" in the last day: use expiration_time
    valid_from: datetime | None = None
    expiration_time: datetime | None = None

    @property
    def sans(self) -> tuple[str, ...]:
        return tuple(s.value for s in self.subject_alt_names)

    @property
    def spiffe_id(self) -> str | None:
        return next((s for s in self.sans if s.startswith("spiffe://")), None)

    def is_valid_at(self, now: datetime) -> bool:
        if self.valid_from is not None and now < self.valid_from:
            return False
        return self.expiration_time is None or now <= self.expiration_time


class CertificateEntry(MeshModel):
    """One TLS context of ``/certs`` (Envoy lists one entry per context, not per secret)."""

    ca_cert: tuple[CertificateDetails, ...] = ()
    cert_chain: tuple[CertificateDetails, ...] = ()

    @property
    def leaf(self) -> CertificateDetails | None:
        return self.cert_chain[0] if self.cert_chain else None


# ------------------------------------------------------------------------------ /server_info
class ServerInfo(MeshModel):
    """``/server_info``: Envoy version, state, uptime, flags and the node it announces."""

    version: str = ""  # "<sha>/<x.y.z>/<status>/<build type>/<ssl>"
    state: str = ""  # LIVE, DRAINING, PRE_INITIALIZING, INITIALIZING
    uptime_current_epoch: str | None = None
    uptime_all_epochs: str | None = None
    hot_restart_version: str = ""
    command_line_options: dict[str, Any] = Field(default_factory=dict)
    node: dict[str, Any] = Field(default_factory=dict)  # raw: mostly the ~500 ``extensions``

    @property
    def node_id(self) -> str | None:
        return self.node.get("id") or None

    @property
    def node_cluster(self) -> str | None:
        return self.node.get("cluster") or None

    @property
    def node_metadata(self) -> dict[str, Any]:
        return self.node.get("metadata") or {}

    @property
    def istio_version(self) -> str | None:
        return self.node_metadata.get("ISTIO_VERSION")

    @property
    def envoy_version(self) -> str | None:
        """``1.40.0`` from ``<sha>/1.40.0/Clean/RELEASE/BoringSSL``."""
        parts = self.version.split("/")
        return parts[1] if len(parts) > 1 else (self.version or None)

    @property
    def uptime_seconds(self) -> int | None:
        text = (self.uptime_current_epoch or "").rstrip("s")
        return int(text) if text.isdigit() else None


# ---------------------------------------------------------------------------------- /listeners
class ListenerStatus(MeshModel):
    """One listener of ``/listeners``: the address it is bound to (or would be)."""

    name: str = ""
    local_address: Address | None = None
    additional_local_addresses: tuple[Address, ...] = ()

    @property
    def address(self) -> str:
        return str(self.local_address) if self.local_address is not None else ""


# ------------------------------------------------------------------------------------- /stats
StatValue = int | float | str  # str: text readouts such as ``cluster_manager.cds.version_text``

@dataclass
class EnvoyStats:
    """``/stats`` as a name -> value mapping, parsed on first use (stats files can be large).

    ``format`` is ``json`` (``/stats?format=json``: names like ``cluster_manager.cds.update_rejected``),
    ``prometheus`` (``/stats/prometheus``: keys are series as printed, e.g.
    ``envoy_cluster_manager_cds_update_rejected{}``) or ``text`` (plain ``/stats``).
    """

    format: str
    source: Any = field(repr=False)  # the parsed JSON document, or the text
    location: Location = field(default_factory=Location, repr=False)

    @cached_property
    def _parsed(self) -> tuple[dict[str, StatValue], dict[str, str], list[Any]]:
        if self.format == "json":
            return _stats_from_json(self.source)
        if self.format == "prometheus":
            return _stats_from_prometheus(self.source)
        return _stats_from_text(self.source)

    @property
    def values(self) -> dict[str, StatValue]:
        return self._parsed[0]

    @property
    def types(self) -> dict[str, str]:
        """Prometheus ``# TYPE`` per metric name (counter, gauge, histogram)."""
        return self._parsed[1]

    @property
    def histograms(self) -> list[Any]:
        """JSON ``histograms`` entries, raw."""
        return self._parsed[2]

    def get(self, name: str, default: StatValue | None = None) -> StatValue | None:
        """The value of stat ``name``; a Prometheus metric without labels also answers to its bare name."""
        values = self.values
        if name in values:
            return values[name]
        return values.get(name + "{}", default)

    def series(self, metric: str) -> dict[str, StatValue]:
        """Prometheus series of ``metric``: ``{'{cluster_name="x"}': 3, ...}``."""
        prefix = metric + "{"
        return {k[len(metric):]: v for k, v in self.values.items() if k.startswith(prefix) or k == metric}

    def __len__(self) -> int:
        return len(self.values)


def _number(text: str) -> float | int:
    try:
        return int(text)
    except ValueError:
        return float(text)  # NaN, +Inf, 1.5e3


def _scalar(text: str) -> StatValue:
    """A stat value: a number, or the text of a text readout (``cds.version_text``)."""
    try:
        return _number(text)
    except ValueError:
        return text


def _stats_from_json(data: Any) -> tuple[dict[str, StatValue], dict[str, str], list[Any]]:
    values: dict[str, StatValue] = {}
    histograms: list[Any] = []
    for entry in data.get("stats") or []:
        if not isinstance(entry, dict):
            continue
        if "histograms" in entry:
            histograms.append(entry["histograms"])
        elif "name" in entry:
            value = entry.get("value", 0)
            values[entry["name"]] = _scalar(value) if isinstance(value, str) else value
    return values, {}, histograms


def _stats_from_prometheus(text: str) -> tuple[dict[str, StatValue], dict[str, str], list[Any]]:
    values: dict[str, StatValue] = {}
    types: dict[str, str] = {}
    for line in text.splitlines():
        if not line:
            continue
        if line[0] == "#":
            if line.startswith("# TYPE "):
                _, _, name, kind = (line.split(" ", 3) + [""])[:4]
                types[name] = kind.strip()
            continue
        series, sep, value = line.rpartition(" ")
        if sep:
            try:
                values[series] = _number(value)
            except ValueError:
                continue
    return values, types, []


def _stats_from_text(text: str) -> tuple[dict[str, StatValue], dict[str, str], list[Any]]:
    values: dict[str, StatValue] = {}
    for line in text.splitlines():
        name, sep, value = line.partition(": ")
        if sep and not value.startswith(("P0(", "No recorded values")):  # not histogram summaries
            values[name] = _scalar(value.strip())
    return values, {}, []


# ---------------------------------------------------------------------- /memory /runtime /logging
class Memory(MeshModel):
    """``/memory`` (tcmalloc figures, bytes)."""

    allocated: int | None = None
    heap_size: int | None = None
    pageheap_unmapped: int | None = None
    pageheap_free: int | None = None
    total_thread_cache: int | None = None
    total_physical_bytes: int | None = None


class RuntimeEntry(MeshModel):
    """``/runtime`` key: its final value and its value in each layer."""

    final_value: str | None = None
    layer_values: tuple[str, ...] = ()


class Runtime(MeshModel):
    """``/runtime``: runtime keys with their final value and value per layer."""

    entries: dict[str, RuntimeEntry] = Field(default_factory=dict)
    layers: tuple[str, ...] = ()

    def get(self, key: str) -> str | None:
        entry = self.entries.get(key)
        return entry.final_value if entry is not None else None


class LogLevels(MeshModel):
    """``/logging``: the level of each Envoy logger (``active loggers:`` list)."""

    levels: dict[str, str] = Field(default_factory=dict)

    @classmethod
    def from_text(cls, text: str) -> LogLevels:
        levels: dict[str, str] = {}
        for line in text.splitlines()[1:]:
            name, sep, level = line.strip().partition(":")
            if sep and name:
                levels[name.strip()] = level.strip()
        return cls(levels=levels)


# ----------------------------------------------------------------------------------------- logs
@dataclass
class LogFile:
    """A log captured beside the proxies: ``istio-proxy.log`` (Envoy or ztunnel), ``discovery.log``..."""

    location: Location
    group: str
    component: str  # envoy, ztunnel, istio-proxy (owner unknown), istiod, cni, operator
    lines: list[str] = field(repr=False)  # records: meshlens.sources.admin_logs.parse_log(lines)
