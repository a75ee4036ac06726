"""ztunnel /config_dump loader (STUB: replaced by the ztunnel work)."""

from __future__ import annotations

from meshlens.sources.builder import SnapshotBuilder
from meshlens.sources.read import Document

KIND = "ztunnel-config-dump"


def sniff(doc: Document) -> bool:
    return False


def load(doc: Document, builder: SnapshotBuilder) -> None:
    raise NotImplementedError
