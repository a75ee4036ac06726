"""Records of Envoy / istio-proxy logs: Envoy's default format and Istio's tab-separated one.

Envoy before its bootstrap is parsed (and any Envoy without ``application_log_config``) writes::

    [2026-11-22 13:31:43.101][6645][info][main] [source/server/server.cc:463] message

istio-proxy (pilot-agent's Envoy bootstrap, and pilot-agent itself) writes::

    2026-11-22T13:31:43.418971Z<TAB>warning<TAB>envoy config source/...:160<TAB>message<TAB>thread=6645
    2026-11-22T13:31:40.000000Z<TAB>info<TAB>FLAG: --concurrency="2"

A message holding newlines continues on the following lines; those are folded into its record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class LogEntry:
    """One log record; continuation lines are folded into ``message``."""

    time: str | None
    level: str | None
    logger: str | None
    message: str
    line: int  # 1-based line number of the record's first line


def _log_head(line: str) -> tuple[str, str | None, str | None, str] | None:
    """(time, level, logger, message) when ``line`` starts a record, in Envoy's or Istio's format."""
    if line.startswith("[") and line[1:5].isdigit():
        # [2026-11-22 13:31:43.101][6645][info][main] [source/server/server.cc:463] message
        parts = line.split("]", 4)
        if len(parts) == 5:
            msg = parts[4].lstrip()
            if msg.startswith("["):  # source location
                msg = msg.split("] ", 1)[-1]
            return parts[0][1:], parts[2].lstrip("["), parts[3].lstrip("["), msg
        return None
    if line[:4].isdigit() and line[4:5] == "-" and "\t" in line:
        # 2026-11-22T13:31:43.418971Z<TAB>warning<TAB>envoy config source/...:160<TAB>message<TAB>thread=1
        parts = line.split("\t")
        if len(parts) >= 3:
            scope = parts[2]
            if scope.startswith("envoy ") and len(parts) >= 4:
                logger = scope.split(" ")[1] if scope.count(" ") >= 1 else None
                message = "\t".join(p for p in parts[3:] if not p.startswith("thread="))
                return parts[0], parts[1], logger, message
            return parts[0], parts[1], None, "\t".join(parts[2:])
    return None


def parse_log(lines: list[str]) -> list[LogEntry]:
    """Records of an Envoy/istio-proxy log (Envoy's default format and Istio's tab format)."""
    entries: list[LogEntry] = []
    cur: list[Any] | None = None
    for number, line in enumerate(lines, 1):
        head = _log_head(line)
        if head is not None:
            if cur is not None:
                entries.append(LogEntry(*cur))
            cur = [head[0], head[1], head[2], head[3], number]
        elif cur is not None:
            if line.strip() and not line.strip().startswith("thread="):
                cur[3] += "\n" + line
        elif line.strip():
            cur = [None, None, None, line, number]
    if cur is not None:
        entries.append(LogEntry(*cur))
    return entries
