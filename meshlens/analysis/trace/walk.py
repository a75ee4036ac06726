"""The state of one trace while it proceeds: hops, notes, assumptions and the result's fields."""

from __future__ import annotations

from typing import Any

from meshlens.analysis.trace.model import Disposition, Hop, Skipped, Trace
from meshlens.models.snapshot import EnvoyProxy

MAX_SKIPPED = 25


class Walk:
    """Collects hops, notes and assumptions while the trace proceeds."""

    def __init__(self, proxy: EnvoyProxy, request: dict[str, Any]) -> None:
        self.proxy = proxy
        self.request = request
        self.hops: list[Hop] = []
        self.notes: list[str] = []
        self.assumptions: list[str] = []
        self.fields: dict[str, Any] = {}

    def hop(self, kind: str, name: str, matched_by: str, skipped: list[tuple[str, str]] | None = None) -> None:
        items = skipped or []
        shown = [Skipped(name=n or "(unnamed)", reason=r) for n, r in items[:MAX_SKIPPED]]
        if len(items) > MAX_SKIPPED:
            shown.append(Skipped(name=f"... {len(items) - MAX_SKIPPED} more", reason="not shown"))
        self.hops.append(Hop(kind=kind, name=name, matched_by=matched_by, skipped=shown))

    def done(self, disposition: Disposition, **extra: Any) -> Trace:
        data = {**self.fields, **extra}
        return Trace(disposition=disposition, request=self.request, hops=self.hops, notes=self.notes,
                     assumptions=self.assumptions, proxy=self.proxy.node_id or self.proxy.name, **data)
