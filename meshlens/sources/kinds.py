"""Registered companion-capture kinds: a loader and its summary line are the whole declaration.

A :class:`CaptureKind` says how a capture beside a proxy's config dump (``/clusters``, ``/certs``,
``/memory``, ...) is recognised (``sniff``), parsed (``parse``), where it goes (the proxy's
``captures[slot]``) and how ``meshlens inspect`` summarises it (``summary``). Adding a kind is one entry
in :data:`meshlens.sources.admin.CAPTURE_KINDS`: the proxy holds it without a new field, ``inspect``
shows its line, and ``proxy.capture(slot)`` returns it.

Several kinds may fill one slot (``/clusters`` as JSON or text): the richer (lower ``rank``) wins; a
second capture of the same rank is reported (ML0013) and ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from meshlens.models.base import ML0013_DUPLICATE_CAPTURE, Severity
from meshlens.models.snapshot import EnvoyProxy
from meshlens.sources.builder import SnapshotBuilder
from meshlens.sources.read import Document

# (builder, doc, proxy) -> the parsed capture, or None when it could not be loaded (problems reported).
Parser = Callable[[Document, SnapshotBuilder, EnvoyProxy], Any]


@dataclass(frozen=True)
class CaptureKind:
    """One kind of companion capture of an Envoy proxy.

    Attributes:
        kind: the loader's kind (``envoy-clusters``), shown by ``inspect`` and recorded per source.
        slot: the key in ``EnvoyProxy.captures`` it fills (``clusters``).
        label: how users call the capture (``/clusters``).
        sniff: recognises the document by its content.
        parse: builds the value (reporting malformed entries as findings); None when nothing loads.
        summary: the value's one-line summary for ``inspect`` (``12 clusters, 30 hosts``).
        rank: among kinds sharing the slot, lower is richer (JSON before text).
        on_fill: called with the proxy and the value once it is kept (``/server_info`` names the node).
    """

    kind: str
    slot: str
    label: str
    sniff: Callable[[Document], bool]
    parse: Parser
    summary: Callable[[Any], str]
    rank: int = 0
    on_fill: Callable[[EnvoyProxy, Any], None] | None = None

    @property
    def KIND(self) -> str:  # noqa: N802 - the loader protocol's name (meshlens.sources.LOADERS)
        """The loader protocol's ``KIND``."""
        return self.kind

    def load(self, doc: Document, builder: SnapshotBuilder) -> None:
        """Parse ``doc`` and keep it in its proxy's slot unless a richer (or the same) capture is there."""
        proxy = builder.envoy(doc)
        value = self.parse(doc, builder, proxy)
        if value is None:
            return
        if should_fill(builder, doc, proxy, self):
            proxy.captures[self.slot] = value
            if self.on_fill is not None:
                self.on_fill(proxy, value)


# Filled in by meshlens.sources.admin (the registry): slot -> its kinds, richest first.
_SLOTS: dict[str, list[CaptureKind]] = {}


def register(kinds: Sequence[CaptureKind]) -> tuple[CaptureKind, ...]:
    """Index ``kinds`` by slot (for ranking and summaries); returns them, in order, as the registry."""
    for k in kinds:
        same = _SLOTS.setdefault(k.slot, [])
        if any(other.kind == k.kind for other in same):
            continue
        same.append(k)
        same.sort(key=lambda c: c.rank)
    return tuple(kinds)


def kinds_of(slot: str) -> tuple[CaptureKind, ...]:
    """The registered kinds filling ``slot``, richest first."""
    return tuple(_SLOTS.get(slot, ()))


def summarize_captures(proxy: EnvoyProxy) -> dict[str, str]:
    """``label -> summary line`` for every registered capture the proxy holds (``inspect``)."""
    out: dict[str, str] = {}
    for slot, value in proxy.captures.items():
        kinds = kinds_of(slot)
        if kinds:
            out[kinds[0].label] = kinds[0].summary(value)
    return out


def _duplicate(builder: SnapshotBuilder, doc: Document, proxy: EnvoyProxy, what: str) -> None:
    kept = next((s for s in proxy.sources if s.kind.startswith(what)), None)
    where = str(kept.location) if kept is not None else "an earlier file"
    builder.finding(ML0013_DUPLICATE_CAPTURE, Severity.INFO,
                    f"second {what} capture for this proxy ignored; kept {where}",
                    location=doc.location, proxy=proxy.name, kind=what)


def should_fill(builder: SnapshotBuilder, doc: Document, proxy: EnvoyProxy, kind: CaptureKind) -> bool:
    """Whether ``kind``'s capture should fill its slot: empty slot, or richer than what is there."""
    if proxy.captures.get(kind.slot) is None:
        return True
    rivals = kinds_of(kind.slot) or (kind,)
    loaded = {s.kind for s in proxy.sources}
    held = min((k.rank for k in rivals if k.kind in loaded), default=len(rivals))
    if kind.rank < held:
        return True
    if kind.rank == held:
        _duplicate(builder, doc, proxy, next((k.kind for k in rivals if k.rank == held), kind.kind))
    return False


__all__ = ["CaptureKind", "kinds_of", "register", "should_fill", "summarize_captures"]
