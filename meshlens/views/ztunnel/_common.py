"""Helpers shared by the ztunnel-config views: Go zero values, istioctl's pod argument, ``host:port``.

istioctl reads the dump into Go structs, so a key the dump omits reads as Go's zero value (``""``,
``0``, ``null``), not as ztunnel's default; :func:`is_set` tells the two apart on a record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel

from meshlens.errors import UsageError
from meshlens.models.certs import parse_time

# Go's time.Parse(time.RFC3339, s): date, "T", time, optional fraction, and a zone (Z or +hh:mm).
_RFC3339_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def is_set(model: BaseModel | None, field: str) -> bool:
    """True when the dump gave ``field`` (by either spelling): Go would not see a zero value."""
    return model is not None and field in model.model_fields_set


def go_value(model: BaseModel, field: str, zero: Any) -> Any:
    """The field as Go reads it: its value when the dump has the key, else Go's ``zero``."""
    if not is_set(model, field):
        return zero
    value = getattr(model, field)
    return list(value) if isinstance(value, tuple) else value


def equal_fold(a: str, b: str) -> bool:
    """Go ``strings.EqualFold`` (istioctl's filters)."""
    return a.casefold() == b.casefold()


def go_rfc3339(text: str) -> datetime | None:
    """``time.Parse(time.RFC3339, text)``: None when Go would refuse it (no zone, a space, ...)."""
    if not text or not _RFC3339_RE.match(text):
        return None
    return parse_time(text)


def resolve_now(now: datetime | str | None, captured_at: datetime | None) -> datetime:
    """The instant validity is judged at: ``now`` (a datetime or RFC 3339 text), else the capture
    time when the source says it, else the wall clock.

    Raises:
        UsageError: ``now`` is text that is not an RFC 3339 time.
    """
    if now is None:
        return captured_at if captured_at is not None else datetime.now(timezone.utc)
    if isinstance(now, datetime):
        return now if now.tzinfo is not None else now.replace(tzinfo=timezone.utc)
    parsed = parse_time(now) if isinstance(now, str) else None
    if parsed is None:
        raise UsageError(f"--now {now!r} is not an RFC 3339 time (e.g. 2026-11-22T13:32:00Z)")
    return parsed


# ------------------------------------------------------------------------------ the pod argument
@dataclass(frozen=True)
class PodRef:
    """istioctl's pod argument ``[<type>/]<name>[.<namespace>]``; ``namespace`` None = any namespace."""

    name: str
    namespace: str | None = None

    @classmethod
    def parse(cls, text: str, namespace: str | None = None) -> PodRef:
        """Read ``pod/name.ns``, ``name.ns`` or ``name`` (``namespace`` qualifies a bare name, as
        istioctl's ``-n``). Like istioctl, the namespace is the text after the LAST dot.

        Raises:
            UsageError: an empty name, or a ``<type>/`` other than a pod (only pods can be
                resolved from a capture).
        """
        value = text.strip()
        kind, slash, rest = value.partition("/")
        if slash:
            if kind.lower() not in ("pod", "pods", "po"):
                raise UsageError(f"{text!r}: only pods can be resolved offline (give <pod>[.<namespace>])")
            value = rest
        name, dot, ns = value.rpartition(".")
        if not dot:
            name, ns = value, ""
        if not name:
            raise UsageError(f"{text!r} is not a pod name (expected [pod/]<name>[.<namespace>])")
        return cls(name, ns or namespace or None)

    def matches(self, name: str, namespace: str) -> bool:
        """Same pod name (and namespace, when the reference has one), case-insensitively."""
        if not equal_fold(name, self.name):
            return False
        return self.namespace is None or equal_fold(namespace, self.namespace)

    def __str__(self) -> str:
        return f"{self.name}.{self.namespace}" if self.namespace else self.name


def as_pod_ref(pod: PodRef | str | None) -> PodRef | None:
    if pod is None or isinstance(pod, PodRef):
        return pod
    return PodRef.parse(pod)


# --------------------------------------------------------------------------- Go net host:port
def split_host_port(address: str) -> tuple[str, str] | None:
    """Go ``net.SplitHostPort``: ``(host, port)``, or None where Go returns an error."""
    i = address.rfind(":")
    if i < 0:
        return None
    j = k = 0
    if address.startswith("["):
        end = address.find("]")
        if end < 0 or end + 1 != i:  # "]" missing, last, or not right before the last ":"
            return None
        host = address[1:end]
        j, k = 1, end + 1
    else:
        host = address[:i]
        if ":" in host:
            return None
    if "[" in address[j:] or "]" in address[k:]:
        return None
    return host, address[i + 1:]


def join_host_port(host: str, port: str) -> str:
    """Go ``net.JoinHostPort``."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
