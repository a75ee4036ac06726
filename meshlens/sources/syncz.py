"""istiod syncz loader (STUB: replaced by the istiod work)."""

from __future__ import annotations

from meshlens.sources.builder import SnapshotBuilder
from meshlens.sources.read import Document

KIND = "istiod-syncz"


def sniff(doc: Document) -> bool:
    return False


def load(doc: Document, builder: SnapshotBuilder) -> None:
    raise NotImplementedError
