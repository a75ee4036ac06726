"""Typed ztunnel log events: access events (columnar), identity / policy / outlier / other lines.

One :class:`ZtunnelLog` per log source (a file, an archive member, stdin). Its access events
(``connection opened`` / ``complete`` / ``failed``) live in an :class:`AccessTable`: columns of
interned strings and packed arrays, so that a million events cost about 150 bytes each instead of
the ~400 a Python object per event would. ``table[i]`` and iteration give :class:`AccessEvent`
records; analyses read the columns directly. The raw text is never kept (only up to five
unparsed lines as examples).

Error texts are classified with the rules of ``interfaces.md`` (``meshlens logs -o json``): the
first class that applies, in the order of :data:`ERROR_CLASSES`.
"""

from __future__ import annotations

from meshlens.models.logs.errors import ERROR_CLASSES, classify_error
from meshlens.models.logs.events import (
    ACCESS_MESSAGES,
    OUTLIER_KINDS,
    AccessEvent,
    LogEvent,
    UnparsedLine,
)
from meshlens.models.logs.table import AccessTable, ZtunnelLog

__all__ = [
    "ACCESS_MESSAGES",
    "ERROR_CLASSES",
    "OUTLIER_KINDS",
    "AccessEvent",
    "AccessTable",
    "LogEvent",
    "UnparsedLine",
    "ZtunnelLog",
    "classify_error",
]
