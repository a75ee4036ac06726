"""What Go prints for proxy-status beyond JSON and YAML: k8s ``HumanDuration`` and jsonpb timestamps.

* :func:`human_duration`: ``k8s.io/apimachinery/pkg/util/duration.HumanDuration``, which istioctl's
  ``formatStatus`` uses for the age suffix (``SYNCED (3m2s)``); not Go's ``time.Duration.String``.
* :func:`go_timestamp`: a ``google.protobuf.Timestamp`` as jsonpb writes it.

Instants are integers: nanoseconds since the Unix epoch, as Go keeps them. The JSON and YAML writers
are the shared ones (:mod:`meshlens.encoding.gojson`, :mod:`meshlens.encoding.goyaml`).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

_NS = 1_000_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


# ------------------------------------------------------------------------------------- time
def to_ns(when: datetime) -> int:
    """``when`` (naive = UTC) as nanoseconds since the epoch, exactly."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    delta = when - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * _NS + delta.microseconds * 1_000


_RFC3339 = re.compile(r"(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})")


def parse_rfc3339_ns(text: str) -> int | None:
    """An RFC 3339 time (up to 9 fractional digits) as epoch nanoseconds; None when it is not one."""
    match = _RFC3339.fullmatch(text.strip())
    if match is None:
        return None
    day, clock, fraction, zone = match.groups()
    zone = "+00:00" if zone in ("Z", "z") else zone
    try:
        whole = datetime.fromisoformat(f"{day}T{clock}{zone}")
    except ValueError:
        return None
    return to_ns(whole) + int((fraction or "0").ljust(9, "0"))


def _trunc_div(a: int, b: int) -> int:
    """Go integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def human_duration(ns: int) -> str:
    """k8s ``duration.HumanDuration(d)`` for a duration of ``ns`` nanoseconds (~2-3 significant figures)."""
    whole = _trunc_div(ns, _NS)
    seconds = int(float(whole) + float(ns - whole * _NS) / 1e9)  # int(d.Seconds())
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 60 * 2:
        return f"{seconds}s"
    minutes = ns // (60 * _NS)
    if minutes < 10:
        sec = ns // _NS % 60
        return f"{minutes}m" if sec == 0 else f"{minutes}m{sec}s"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = ns // (3600 * _NS)
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h" if rest == 0 else f"{hours}h{rest}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d" if rest == 0 else f"{hours // 24}d{rest}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = hours // 24 % 365
        return f"{hours // 24 // 365}y" if days == 0 else f"{hours // 24 // 365}y{days}d"
    return f"{hours // 24 // 365}y"


def go_timestamp(ns: int) -> str:
    """A ``google.protobuf.Timestamp`` as jsonpb writes it: UTC, 0, 3, 6 or 9 fractional digits."""
    seconds, nanos = divmod(ns, _NS)
    text = (_EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S") + f".{nanos:09d}"
    for suffix in ("000", "000", ".000"):
        text = text.removesuffix(suffix)
    return text + "Z"


__all__ = ["go_timestamp", "human_duration", "parse_rfc3339_ns", "to_ns"]
