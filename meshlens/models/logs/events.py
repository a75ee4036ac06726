"""Typed records of ztunnel log lines.

* :class:`AccessEvent`: one ``access`` line (``connection opened`` / ``complete`` / ``failed``), every
  documented field (``ztunnel.md`` section 3.2) typed, unknown ``k=v`` fields in :attr:`extra`.
* :class:`LogEvent`: any other line (certificates, policy, outlier detection, xDS, start-up...):
  time, level, target (with its spans), message and ``k=v`` fields, and a :attr:`kind`.
* :class:`UnparsedLine`: a line no grammar understood, with its file and line number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ACCESS_MESSAGES = ("connection opened", "connection complete", "connection failed")
# Kinds of outlier-detection lines (the Solo distribution's plugin; unknown schema, parsed tolerantly).
OUTLIER_KINDS = ("health_check", "ewma", "circuit_breaker", "other")
EVENT_KINDS = ("identity", "policy", "outlier", "other")


@dataclass(frozen=True, slots=True)
class AccessEvent:
    """One access-log line. Addresses are ``ip:port`` strings; absent optional fields are None.

    ``duration_ms`` is the number in ``duration="12ms"``; ``error_class`` is the class of ``error``
    (see :func:`meshlens.models.logs.classify_error`), None on success.
    """

    time: str
    level: str
    message: str
    direction: str | None = None
    src_addr: str | None = None
    src_workload: str | None = None
    src_namespace: str | None = None
    src_identity: str | None = None
    dst_addr: str | None = None
    dst_hbone_addr: str | None = None
    dst_service: str | None = None
    dst_workload: str | None = None
    dst_namespace: str | None = None
    dst_identity: str | None = None
    bytes_sent: int | None = None
    bytes_recv: int | None = None
    duration_ms: int | None = None
    error: str | None = None
    error_class: str | None = None
    ztunnel: str = ""
    line: int = 0
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def target_addr(self) -> str | None:
        """The backend's ``ip:port``: ``dst.hbone_addr`` when present, else ``dst.addr``."""
        return self.dst_hbone_addr or self.dst_addr

    @property
    def protocol(self) -> str:
        """``HBONE`` when the line shows a tunnel (``dst.hbone_addr``, or ``dst.addr`` port 15008), else ``TCP``."""
        return protocol_of(self.dst_addr, self.dst_hbone_addr)

    def to_dict(self) -> dict[str, Any]:
        """The event as ztunnel's dotted field names (``src.addr``, ``dst.hbone_addr``, ...)."""
        out: dict[str, Any] = {"time": self.time, "level": self.level, "message": self.message}
        for name in ("src_addr", "src_workload", "src_namespace", "src_identity", "dst_addr", "dst_hbone_addr",
                     "dst_service", "dst_workload", "dst_namespace", "dst_identity", "direction", "bytes_sent",
                     "bytes_recv"):
            value = getattr(self, name)
            if value is not None:
                out[name.replace("_", ".", 1) if name.startswith(("src_", "dst_")) else name] = value
        if self.duration_ms is not None:
            out["duration"] = f"{self.duration_ms}ms"
        if self.error is not None:
            out["error"] = self.error
        out.update(self.extra)
        if self.ztunnel:
            out["ztunnel"] = self.ztunnel
        return out


def protocol_of(dst_addr: str | None, dst_hbone_addr: str | None) -> str:
    """``HBONE`` or ``TCP`` from an access line's destination fields."""
    if dst_hbone_addr:
        return "HBONE"
    if dst_addr and dst_addr.endswith(":15008"):
        return "HBONE"
    return "TCP"


@dataclass(frozen=True, slots=True)
class LogEvent:
    """A ztunnel line that is not an access event.

    Attributes:
        kind: ``identity`` (certificate fetch / renewal), ``policy`` (RBAC decisions, connections
            closed by a policy update), ``outlier`` (health / EWMA / circuit-breaker / dazed), or
            ``other``.
        outlier_kind: for ``outlier`` events, one of :data:`OUTLIER_KINDS`.
        target: the tracing target as printed (``identity::manager``, ``xds::client:xds{id=1}``).
        fields: the ``k=v`` fields, unquoted.
    """

    time: str
    level: str
    target: str
    message: str
    kind: str = "other"
    outlier_kind: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    ztunnel: str = ""
    file: str = ""
    line: int = 0

    @property
    def backend(self) -> str | None:
        """For outlier lines: the endpoint they name (a workload, uid or address field), else None."""
        for key in _BACKEND_KEYS:
            value = self.fields.get(key)
            if value:
                return value
        return None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"time": self.time, "level": self.level, "target": self.target,
                               "message": self.message, "kind": self.kind, "fields": dict(self.fields)}
        if self.outlier_kind:
            out["outlier_kind"] = self.outlier_kind
        if self.ztunnel:
            out["ztunnel"] = self.ztunnel
        return out


# Fields an outlier line may name its endpoint by (most specific first).
_BACKEND_KEYS = ("dst.workload", "workload", "endpoint.workload", "dst.hbone_addr", "endpoint", "upstream",
                 "dst.addr", "backend", "address", "addr", "uid", "workload_uid", "endpoint.address", "target")


@dataclass(frozen=True, slots=True)
class UnparsedLine:
    """A line no grammar understood: where it is and (up to 300 characters of) what it says."""

    file: str
    line: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "text": self.text}
