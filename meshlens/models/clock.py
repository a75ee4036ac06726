"""One ``now`` for every command: the instant certificate validity (and expiry) is judged at.

The same precedence everywhere (``check``, ``pc secret``, ``zc certificate``):

1. ``--now`` / ``now=`` when given;
2. else the capture time (a bug-report's time, a file's or archive member's modification time);
3. else the latest ``last_updated`` the capture holds (a dump given as bytes or a dict);
4. else the wall clock.

:class:`Now` carries where the instant came from, and every output says it: the check report's
"judged at ... (source)", and a note beside a view's VALID CERT column, whose cells stay istioctl's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from meshlens.errors import UsageError
from meshlens.models.certs import parse_time

NOW_GIVEN = "given with --now"
NOW_CAPTURE = "capture time"
NOW_LAST_UPDATED = "latest last_updated in the capture"
NOW_WALL_CLOCK = "wall clock (the capture carries no time)"

_RESOURCE_LISTS = ("clusters", "listeners", "route_configs", "secrets", "endpoints", "ecds")


@dataclass(frozen=True)
class Now:
    """The instant validity is judged at, and where it came from (one of the ``NOW_*`` texts)."""

    instant: datetime
    source: str

    @property
    def given(self) -> bool:
        return self.source == NOW_GIVEN

    def note(self, what: str = "VALID CERT") -> str | None:
        """The sentence a view prints beside ``what`` when the instant was not given with ``--now``."""
        when = rfc3339(self.instant)
        if self.given:
            return None
        if self.source == NOW_CAPTURE:
            return f"{what} judged at the capture time {when} (--now to change)"
        if self.source == NOW_LAST_UPDATED:
            return f"{what} judged at the capture's latest last_updated, {when} (--now to change)"
        return f"{what} judged at the wall clock, {when}: the capture carries no time (--now to change)"


def utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC time (naive times are taken as UTC)."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def rfc3339(moment: datetime) -> str:
    """Go's ``time.RFC3339`` (``2006-01-02T15:04:05Z07:00``)."""
    if moment.utcoffset() in (None, timezone.utc.utcoffset(None)):
        return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = moment.strftime("%Y-%m-%dT%H:%M:%S%z")
    return text[:-2] + ":" + text[-2:]


def latest_last_updated(proxies: Iterable[Any]) -> datetime | None:
    """The latest ``last_updated`` of the proxies' resources, if any says one."""
    # RFC 3339 UTC strings sort as times, except that Envoy drops a .000 fraction ("...:15Z") and "Z"
    # sorts after ".": such a stamp is compared as "...:15.000Z". Only the winner is parsed.
    best, best_key = "", ""
    for proxy in proxies:
        for attr in _RESOURCE_LISTS:
            for res in getattr(proxy, attr, ()):
                stamp = res.last_updated
                if not isinstance(stamp, str):
                    continue
                key = stamp[:-1] + ".000Z" if stamp.endswith("Z") and "." not in stamp else stamp
                if key > best_key:
                    best, best_key = stamp, key
    parsed = parse_time(best)
    return utc(parsed) if parsed is not None else None


def resolve_now(now: datetime | str | None = None, *, captured_at: datetime | None = None,
                proxies: Iterable[Any] = ()) -> Now:
    """The instant to judge validity at, by the precedence in the module doc.

    Args:
        now: ``--now`` (a datetime or RFC 3339 text), or None.
        captured_at: when the capture was taken, if known.
        proxies: Envoy proxies whose latest ``last_updated`` stands in for an unknown capture time.

    Raises:
        UsageError: ``now`` is text that is not an RFC 3339 time.
    """
    if isinstance(now, datetime):
        return Now(utc(now), NOW_GIVEN)
    if isinstance(now, str) and now:
        parsed = parse_time(now)
        if parsed is None:
            raise UsageError(f"--now {now!r} is not an RFC 3339 time (e.g. 2026-11-22T13:32:00Z)")
        return Now(utc(parsed), NOW_GIVEN)
    if captured_at is not None:
        return Now(utc(captured_at), NOW_CAPTURE)
    latest = latest_last_updated(proxies)
    if latest is not None:
        return Now(latest, NOW_LAST_UPDATED)
    return Now(datetime.now(timezone.utc), NOW_WALL_CLOCK)
