"""ztunnel log loader: plain and JSON lines, ``kubectl logs --prefix``, wrapped lines, streamed.

Detection is by content (:func:`looks_like_ztunnel_log`): a ztunnel access line, or a line whose
tracing target is a Rust path (``identity::manager``, ``xds::client``). A log given as a path is
read line by line and never held in memory; every line becomes an access event, another typed
event, or is counted as unparsed (the first five kept, with their line numbers).

A line without a time stamp continues the line before it when that one is unfinished (an access
line cut before its last field or inside a quoted value, a JSON object cut in two) or when it is
indented; otherwise it is unparsed.
"""

from __future__ import annotations

import gzip
import sys
from array import array
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from meshlens.errors import LoadError
from meshlens.models.base import Location
from meshlens.models.logs import LogEvent, UnparsedLine, ZtunnelLog
from meshlens.models.logs.table import NONE, AccessTable, parse_time
from meshlens.sources.bounded import current_limit
from meshlens.sources.builder import SnapshotBuilder
from meshlens.sources.read import Document
from meshlens.sources.ztunnel_log_grammar import (
    ACCESS_KEYS,
    FAST_ACCESS_RE,
    FIELDS_PREFIX_RE,
    KUBECTL_TS_RE,
    LINE_RE,
    PREFIX_RE,
    TIME_START_RE,
    ZTUNNEL_LOG_KIND,
    join_separator,
    split_message,
    tokenize,
    unquote,
    ztunnel_log_sniff,
)

KIND = ZTUNNEL_LOG_KIND
MAX_EXAMPLES = 5
MAX_JOIN = 64  # physical lines one logical line may span
_ACCESS_MESSAGES = frozenset({"connection opened", "connection complete", "connection failed"})
# The field that ends each access message (ztunnel.md 3.2): without it the line was cut.
_LAST_FIELD = {"connection complete": "duration", "connection opened": "direction", "connection failed": "error"}
# Index in FAST_ACCESS_RE's groups (time, level, message, then ACCESS_KEYS) of each message's last field.
_LAST_GROUP = {message: 3 + ACCESS_KEYS.index(key) for message, key in _LAST_FIELD.items()}
_STR_KEYS = {"src.workload": "src_workload", "src.namespace": "src_namespace", "src.identity": "src_identity",
             "dst.addr": "dst_addr", "dst.hbone_addr": "dst_hbone_addr", "dst.service": "dst_service",
             "dst.workload": "dst_workload", "dst.namespace": "dst_namespace", "dst.identity": "dst_identity",
             "direction": "direction", "error": "error"}
_JSON_META = ("time", "timestamp", "level", "scope", "target", "message", "fields.message", "span", "spans")
_intern = sys.intern


def sniff(doc: Document) -> bool:
    """A streamed log file, or text whose first lines are ztunnel's."""
    return ztunnel_log_sniff(doc)


def load(doc: Document, builder: SnapshotBuilder) -> None:
    """Parse the log into a :class:`ZtunnelLog` and add it to the snapshot's ``logs``."""
    name = str(doc.extra.get("ztunnel") or "")
    stream = doc.extra.get("stream")
    if stream:
        log = parse_log(iter_file_lines(Path(stream)), doc.location, name=name, group=doc.group)
    else:
        log = parse_log((doc.text or "").splitlines(), doc.location, name=name, group=doc.group)
    builder.snapshot.logs.append(log)


_MAX_LINE = 1 << 20  # characters; a longer "line" (a bomb of no newlines) is read in pieces


def iter_file_lines(path: Path) -> Iterator[str]:
    """The lines of a (possibly gzipped) text file, read as a stream within the load's byte limit.

    Raises:
        LoadError: the text (once inflated) is longer than the byte limit (``--max-bytes``).
    """
    limit = current_limit()
    with path.open("rb") as raw:
        magic = raw.read(2)
    opener: Any = gzip.open if magic == b"\x1f\x8b" else open
    total = 0
    with opener(path, "rt", encoding="utf-8", errors="replace", newline=None) as handle:
        first = True
        while line := handle.readline(_MAX_LINE):
            total += len(line)
            if total > limit:
                raise LoadError(f"the log exceeds the byte limit of {limit} bytes "
                                "(raise it with --max-bytes / max_bytes= if the capture is genuine)", file=str(path))
            if first:
                line = line.lstrip("\ufeff")
                first = False
            yield line


# ------------------------------------------------------------------------------------- parsing
class _Pending:
    """A logical line not yet finished (an access line cut short, a JSON object cut in two)."""

    __slots__ = ("lineno", "parts", "pod", "text")

    def __init__(self, lineno: int, text: str, pod: str) -> None:
        self.lineno = lineno
        self.text = text
        self.pod = pod
        self.parts = 1


class LogParser:
    """Feed physical lines with :meth:`feed`, then :meth:`close`; the result is :attr:`log`."""

    def __init__(self, log: ZtunnelLog) -> None:
        self.log = log
        self.table: AccessTable = log.access
        self.file = log.file
        self.default_pod = log.name
        self.pending: _Pending | None = None
        self.last_event: int | None = None  # index in log.events of the last non-access event

    # --- outcome bookkeeping ----------------------------------------------------------------
    def _unparsed(self, lineno: int, text: str) -> None:
        self.log.unparsed += 1
        if len(self.log.unparsed_examples) < MAX_EXAMPLES:
            self.log.unparsed_examples.append(UnparsedLine(self.file, lineno, text[:300]))

    def _flush(self) -> None:
        pending = self.pending
        if pending is None:
            return
        self.pending = None
        if not self._commit(pending.lineno, pending.text, pending.pod, final=True):
            # the unfinished line and every line joined to it are not understood
            self.log.joined -= pending.parts - 1
            for k in range(pending.parts):
                self._unparsed(pending.lineno + k, pending.text if k == 0 else "(continuation)")

    # --- the loop ---------------------------------------------------------------------------
    def feed_all(self, lines: Iterable[str]) -> ZtunnelLog:
        """Parse every line (the fast path for ztunnel's own access lines is inlined here)."""
        fast = FAST_ACCESS_RE.match
        add = self._add_fast
        last = _LAST_GROUP
        lineno = 0
        for lineno, raw in enumerate(lines, 1):  # noqa: B007 - lineno used after the loop
            line = raw.rstrip("\r\n")
            if not line or line.isspace():
                continue
            self.log.lines += 1
            if self.pending is None:
                m = fast(line)
                if m is not None:
                    groups = m.groups()
                    if groups[last[groups[2]]] is not None:  # else cut short: maybe wrapped
                        add(groups, self.default_pod, lineno)
                        continue
            self.feed(lineno, line)
        self.close()
        return self.log

    def feed(self, lineno: int, line: str) -> None:
        """One non-empty physical line (without its newline)."""
        pod = self.default_pod
        m = PREFIX_RE.match(line)
        if m is not None:
            pod = m.group(1)
            line = line[m.end():]
            if not line.strip():
                self._unparsed(lineno, line)
                return
        m2 = KUBECTL_TS_RE.match(line)
        if m2 is not None:
            line = line[m2.end():]
        starts_record = line[:1] == "{" or TIME_START_RE.match(line) is not None
        if starts_record:
            self._flush()
            if not self._commit(lineno, line, pod, final=False):
                self.pending = _Pending(lineno, line, pod)
            return
        self._continuation(lineno, line)

    def _continuation(self, lineno: int, line: str) -> None:
        pending = self.pending
        if pending is not None and pending.parts < MAX_JOIN:
            if pending.text.lstrip().startswith("{"):
                joined = pending.text + line
            else:
                sep = join_separator(pending.text, line)
                joined = (pending.text.rstrip() + " " + line.lstrip()) if sep else pending.text + line
            if self._could_continue(joined):
                pending.text = joined
                pending.parts += 1
                self.log.joined += 1
                if self._commit(pending.lineno, joined, pending.pod, final=False):
                    self.pending = None
                return
        elif pending is None and line[:1].isspace() and self.last_event is not None:
            # an indented continuation of a multi-line message
            events = self.log.events
            event = events[self.last_event]
            events[self.last_event] = LogEvent(
                time=event.time, level=event.level, target=event.target,
                message=(event.message + " " + line.strip()).strip(), kind=event.kind,
                outlier_kind=event.outlier_kind, fields=event.fields, ztunnel=event.ztunnel, file=event.file,
                line=event.line)
            self.log.joined += 1
            return
        self._unparsed(lineno, line)

    @staticmethod
    def _could_continue(text: str) -> bool:
        """Is ``text`` still the beginning of a record (a continuation did not break it)?"""
        if text.lstrip().startswith("{"):
            return True
        m = LINE_RE.match(text)
        if m is None:
            return False
        _, fields = split_message(m.group("rest") or "")
        return FIELDS_PREFIX_RE.match(fields) is not None

    def close(self) -> None:
        self._flush()

    # --- records ----------------------------------------------------------------------------
    def _commit(self, lineno: int, line: str, pod: str, *, final: bool) -> bool:
        """Record ``line``. False when it is unfinished (and not ``final``) or not understood."""
        if line.lstrip().startswith("{"):
            return self._commit_json(lineno, line.strip(), pod, final=final)
        m = FAST_ACCESS_RE.match(line)
        if m is not None and (final or m.group(_LAST_GROUP[m.group(3)] + 1) is not None):
            self._add_fast(m.groups(), pod, lineno)
            return True
        m = LINE_RE.match(line)
        if m is None:
            return False
        ts, level, target = m.group("ts"), m.group("level").lower(), m.group("target") or ""
        message, field_text = split_message(m.group("rest") or "")
        fields = tokenize(field_text)
        if target == "access" and message in _ACCESS_MESSAGES:
            if fields is None or _LAST_FIELD[message] not in fields:
                if not final:
                    return False
                if fields is None:
                    return False
            return self._add_access(ts, level, message, fields, pod, lineno)
        if fields is None:
            if not final and FIELDS_PREFIX_RE.match(field_text) is not None and field_text.count('"') % 2:
                return False  # cut inside a quoted value
            message = (message + " " + field_text).strip()
            fields = {}
        return self._add_event(ts, level, target, message, fields, pod, lineno)

    def _commit_json(self, lineno: int, text: str, pod: str, *, final: bool) -> bool:
        try:
            obj = orjson.loads(text)
        except orjson.JSONDecodeError:
            return False
        if not isinstance(obj, dict):
            return False
        ts = obj.get("time", obj.get("timestamp"))
        level = obj.get("level")
        if not isinstance(ts, str) or not isinstance(level, str):
            return False
        self.log.formats["json"] = self.log.formats.get("json", 0) + 1
        target = str(obj.get("scope") or obj.get("target") or "")
        message = obj.get("message", obj.get("fields.message", ""))
        fields = {k: v if isinstance(v, str) else orjson.dumps(v).decode() for k, v in obj.items()
                  if k not in _JSON_META}
        if target == "access" and message in _ACCESS_MESSAGES:
            return self._add_access(ts, level.lower(), str(message), fields, pod, lineno)
        return self._add_event(ts, level.lower(), target, str(message), fields, pod, lineno)

    def _add_event(self, ts: str, level: str, target: str, message: str, fields: dict[str, str], pod: str,
                   lineno: int) -> bool:
        try:
            parse_time(ts)
        except ValueError:
            return False
        kind, outlier_kind = classify_event(target, message, fields)
        self.log.events.append(LogEvent(time=ts, level=level, target=target, message=message, kind=kind,
                                        outlier_kind=outlier_kind, fields=fields, ztunnel=pod, file=self.file,
                                        line=lineno))
        self.last_event = len(self.log.events) - 1
        return True

    def _add_access(self, ts: str, level: str, message: str, fields: dict[str, str], pod: str, lineno: int) -> bool:
        values: list[str | None] = [ts, level, message]
        values.extend(fields.get(k) for k in ACCESS_KEYS)
        extra = {k: v for k, v in fields.items() if k not in _KNOWN}
        return self._append(values, pod, lineno, extra, quoted=False)

    def _add_fast(self, groups: tuple[str | None, ...], pod: str, lineno: int) -> bool:
        return self._append(list(groups), pod, lineno, None, quoted=True)

    def _append(self, values: list[str | None], pod: str, lineno: int, extra: dict[str, str] | None,
                *, quoted: bool) -> bool:
        """Append one access row. ``values``: time, level, message, then :data:`ACCESS_KEYS` values."""
        ts = values[0] or ""
        try:
            micros, canonical = parse_time(ts)
        except ValueError:
            return False
        t = self.table
        row = len(t.time_us)
        if quoted:
            values = [unquote(v) if v is not None and v[:1] == '"' else v for v in values]
        (_, level, message, src_addr, src_workload, src_namespace, src_identity, src_cluster, dst_addr,
         dst_hbone_addr, dst_service, dst_workload, dst_namespace, dst_identity, dst_cluster, direction,
         bytes_sent, bytes_recv, duration, error) = values
        t.time_us.append(micros)
        if not canonical:
            t.time_text[row] = ts
        t.level.append(_intern(level.lower()) if level else None)
        t.message.append(_intern(message) if message else None)
        t.direction.append(_intern(direction) if direction is not None else None)
        raw: dict[str, str] = {}
        ip, port = _split_addr(src_addr)
        t.src_ip.append(ip)
        t.src_port.append(port)
        t.src_workload.append(_intern(src_workload) if src_workload is not None else None)
        t.src_namespace.append(_intern(src_namespace) if src_namespace is not None else None)
        t.src_identity.append(_intern(src_identity) if src_identity is not None else None)
        t.dst_addr.append(_intern(dst_addr) if dst_addr is not None else None)
        t.dst_hbone_addr.append(_intern(dst_hbone_addr) if dst_hbone_addr is not None else None)
        t.dst_service.append(_intern(dst_service) if dst_service is not None else None)
        t.dst_workload.append(_intern(dst_workload) if dst_workload is not None else None)
        t.dst_namespace.append(_intern(dst_namespace) if dst_namespace is not None else None)
        t.dst_identity.append(_intern(dst_identity) if dst_identity is not None else None)
        t.error.append(error)
        t.ztunnel.append(_intern(pod) if pod else None)
        _number(t.bytes_sent, "bytes_sent", bytes_sent, raw)
        _number(t.bytes_recv, "bytes_recv", bytes_recv, raw)
        _number(t.duration_ms, "duration", duration[:-2] if duration and duration.endswith("ms") else duration, raw,
                text=duration)
        t.line.append(lineno)
        if src_cluster is not None:
            raw["src.cluster"] = src_cluster
        if dst_cluster is not None:
            raw["dst.cluster"] = dst_cluster
        if raw:
            t.raw_values[row] = raw
        if extra:
            t.extra[row] = extra
        return True


_KNOWN = frozenset(ACCESS_KEYS)


def _split_addr(addr: str | None) -> tuple[str | None, int]:
    """``ip:port`` as (interned ip, port); an address without a usable port keeps its text, port NONE."""
    if addr is None:
        return None, NONE
    ip, sep, port = addr.rpartition(":")
    if sep and port.isdigit() and int(port) < 65536:
        return _intern(ip), int(port)
    return _intern(addr), NONE


def _number(col: array[int], key: str, value: str | None, raw: dict[str, str], text: str | None = None) -> None:
    """Append an integer field; a value that is not one keeps its text in ``raw`` (the column gets NONE)."""
    if value is None:
        col.append(NONE)
    elif value.isdigit():
        col.append(int(value))
    else:
        col.append(NONE)
        raw[key] = text if text is not None else value

# Which non-access lines are about what (ztunnel.md 3.3 and 5): outlier detection first.
_OUTLIER_WORDS = (("circuit", "circuit_breaker"), ("ewma", "ewma"), ("health", "health_check"),
                  ("outlier", "other"), ("dazed", "other"), ("eject", "other"))


def classify_event(target: str, message: str, fields: dict[str, str]) -> tuple[str, str | None]:
    """``(kind, outlier_kind)`` of a non-access line (see :class:`meshlens.models.logs.LogEvent`)."""
    text = f"{target} {message}".lower()
    for part in (target.lower(), message.lower()):  # the target module names the plugin best
        for word, outlier_kind in _OUTLIER_WORDS:
            if word in part:
                return "outlier", outlier_kind
    if "identity" in target or "certificate" in text or "cert " in text:
        return "identity", None
    if "rbac" in text or "authpol" in text or "polic" in text:
        return "policy", None
    return "other", None


def parse_log(lines: Iterable[str], location: Location, *, name: str = "", group: str = "") -> ZtunnelLog:
    """Parse ztunnel log lines (any iterable: a file object streams) into a :class:`ZtunnelLog`."""
    log = ZtunnelLog(location=location, name=name, group=group)
    return LogParser(log).feed_all(lines)


def parse_text(text: str, *, file: str = "<text>", name: str = "") -> ZtunnelLog:
    """Parse log text (convenience for tests and notebooks)."""
    return parse_log(text.splitlines(), Location(file=file), name=name)
