"""Columnar storage of access events, and :class:`ZtunnelLog`, one loaded log source.

A busy ztunnel writes millions of access lines; one Python object per event would cost ~400 bytes.
Here each event is a row of columns: categorical strings (workloads, identities, services,
addresses of pods) are interned and cost a pointer; the source port, byte counts, duration, line
number and time (microseconds since the epoch) are packed in :mod:`array` columns. Values that do
not fit the packed form (a time not in ztunnel's own format, an unknown field) go to small sparse
maps, so every line reads back exactly as written.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from meshlens.models.base import Location
from meshlens.models.logs.errors import classify_error
from meshlens.models.logs.events import AccessEvent, LogEvent, UnparsedLine

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
NONE = -1  # "field absent" in the integer columns

# Columns of interned strings (None when the field is absent), in ztunnel's field order.
STR_COLUMNS = ("level", "message", "direction", "src_ip", "src_workload", "src_namespace", "src_identity",
               "dst_addr", "dst_hbone_addr", "dst_service", "dst_workload", "dst_namespace", "dst_identity",
               "error", "ztunnel")

_second_cache: dict[str, int] = {}
_second_text: dict[int, str] = {}


def _seconds(prefix: str) -> int:
    """Epoch seconds of ``YYYY-MM-DDTHH:MM:SS`` (UTC), cached: a log has many lines per second."""
    secs = _second_cache.get(prefix)
    if secs is None:
        secs = int(datetime.fromisoformat(prefix).replace(tzinfo=timezone.utc).timestamp())
        if len(_second_cache) > 200_000:
            _second_cache.clear()
            _second_text.clear()
        _second_cache[prefix] = secs
        _second_text[secs] = prefix
    return secs


def parse_time(text: str) -> tuple[int, bool]:
    """``(microseconds since the epoch, canonical)``; canonical = ztunnel's ``…:SS.ffffffZ`` form.

    Raises:
        ValueError: ``text`` is not an RFC 3339 time.
    """
    if len(text) == 27 and text[26] == "Z" and text[19] == "." and text[10] == "T":
        return _seconds(text[:19]) * 1_000_000 + int(text[20:26]), True
    value = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    delta = value - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds, False


def format_time(micros: int) -> str:
    """The canonical text of a time (``2026-11-22T13:00:00.000001Z``)."""
    secs, us = divmod(micros, 1_000_000)
    prefix = _second_text.get(secs)
    if prefix is None:
        prefix = datetime.fromtimestamp(secs, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{prefix}.{us:06d}Z"


class AccessTable:
    """Access events as columns. ``len(table)``, ``table[i]`` and iteration give :class:`AccessEvent`.

    Column attributes (one entry per event): the :data:`STR_COLUMNS` lists, and the arrays
    ``time_us``, ``src_port``, ``bytes_sent``, ``bytes_recv``, ``duration_ms``, ``line``
    (:data:`NONE` = absent).
    """

    def __init__(self) -> None:
        for name in STR_COLUMNS:
            setattr(self, name, [])
        self.level: list[str | None]
        self.message: list[str | None]
        self.direction: list[str | None]
        self.src_ip: list[str | None]
        self.src_workload: list[str | None]
        self.src_namespace: list[str | None]
        self.src_identity: list[str | None]
        self.dst_addr: list[str | None]
        self.dst_hbone_addr: list[str | None]
        self.dst_service: list[str | None]
        self.dst_workload: list[str | None]
        self.dst_namespace: list[str | None]
        self.dst_identity: list[str | None]
        self.error: list[str | None]
        self.ztunnel: list[str | None]
        self.time_us = array("q")
        self.src_port = array("i")
        self.bytes_sent = array("q")
        self.bytes_recv = array("q")
        self.duration_ms = array("q")
        self.line = array("L")
        self.time_text: dict[int, str] = {}  # rows whose time is not in the canonical form
        self.extra: dict[int, dict[str, str]] = {}  # rows with fields ztunnel.md does not document
        self.raw_values: dict[int, dict[str, str]] = {}  # documented fields whose value did not fit its type

    def __len__(self) -> int:
        return len(self.time_us)

    def time(self, i: int) -> str:
        """Row ``i``'s time as written in the log."""
        text = self.time_text.get(i)
        return text if text is not None else format_time(self.time_us[i])

    def target_addr(self, i: int) -> str | None:
        """Row ``i``'s backend address: ``dst.hbone_addr`` when present, else ``dst.addr``."""
        return self.dst_hbone_addr[i] or self.dst_addr[i]

    def src_addr(self, i: int) -> str | None:
        ip = self.src_ip[i]
        port = self.src_port[i]
        if ip is None:
            return None
        return ip if port == NONE else f"{ip}:{port}"

    def __getitem__(self, i: int) -> AccessEvent:
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        error = self.error[i]

        def num(col: array[int]) -> int | None:
            value = col[i]
            return None if value == NONE else value

        return AccessEvent(
            time=self.time(i), level=self.level[i] or "", message=self.message[i] or "",
            direction=self.direction[i], src_addr=self.src_addr(i), src_workload=self.src_workload[i],
            src_namespace=self.src_namespace[i], src_identity=self.src_identity[i], dst_addr=self.dst_addr[i],
            dst_hbone_addr=self.dst_hbone_addr[i], dst_service=self.dst_service[i],
            dst_workload=self.dst_workload[i], dst_namespace=self.dst_namespace[i],
            dst_identity=self.dst_identity[i], bytes_sent=num(self.bytes_sent), bytes_recv=num(self.bytes_recv),
            duration_ms=num(self.duration_ms), error=error,
            error_class=classify_error(error) if error is not None else None,
            ztunnel=self.ztunnel[i] or "", line=self.line[i],
            extra={**self.raw_values.get(i, {}), **self.extra.get(i, {})},
        )

    def __iter__(self) -> Iterator[AccessEvent]:
        for i in range(len(self)):
            yield self[i]

    def nbytes(self) -> int:
        """Approximate memory held by the columns (pointers and packed arrays, not the shared strings)."""
        total = sum(sys.getsizeof(getattr(self, name)) for name in STR_COLUMNS)
        for col in (self.time_us, self.src_port, self.bytes_sent, self.bytes_recv, self.duration_ms, self.line):
            total += sys.getsizeof(col)
        return total


@dataclass(eq=False)
class ZtunnelLog:
    """One ztunnel log source (a file, an archive member, stdin), parsed.

    Attributes:
        location: where it was read from.
        name: the ztunnel pod it is attributed to (bug-report folder, file name), "" when unknown;
            ``kubectl logs --prefix`` lines carry their own pod, kept per event.
        lines: non-empty lines read (a wrapped line counts once per physical line).
        access: the access events (:class:`AccessTable`).
        events: every other understood line (:class:`LogEvent`).
        unparsed: number of lines not understood; ``unparsed_examples`` the first five of them.
        joined: physical lines joined to the line before them (copy-paste wrapping).
    """

    location: Location
    name: str = ""
    group: str = ""
    component: str = "ztunnel"
    lines: int = 0
    access: AccessTable = field(default_factory=AccessTable)
    events: list[LogEvent] = field(default_factory=list)
    unparsed: int = 0
    unparsed_examples: list[UnparsedLine] = field(default_factory=list)
    joined: int = 0
    formats: dict[str, int] = field(default_factory=dict)  # plain / json lines seen

    @property
    def file(self) -> str:
        """The file (and archive member) as one string, for messages."""
        if self.location.member:
            return f"{self.location.file}[{self.location.member}]"
        return self.location.file or ""

    @property
    def ztunnels(self) -> list[str]:
        """Every ztunnel named by this log (the attributed one, or the pods of ``--prefix`` lines)."""
        names = {z for z in set(self.access.ztunnel) if z}
        names.update(e.ztunnel for e in self.events if e.ztunnel)
        return sorted(names)

    def counts(self) -> dict[str, int]:
        return {"lines": self.lines, "access": len(self.access), "events": len(self.access) + len(self.events),
                "unparsed": self.unparsed}

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "name": self.name, **self.counts(),
                "unparsed_examples": [u.to_dict() for u in self.unparsed_examples]}

    def __repr__(self) -> str:
        return (f"ZtunnelLog({self.file!r}, lines={self.lines}, access={len(self.access)}, "
                f"events={len(self.events)}, unparsed={self.unparsed})")
