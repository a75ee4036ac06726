"""Envoy /config_dump loader (STUB)."""

from __future__ import annotations

from meshlens.sources.builder import SnapshotBuilder
from meshlens.sources.read import Document

KIND = "envoy-config-dump"


def sniff(doc: Document) -> bool:
    return False


def load(doc: Document, builder: SnapshotBuilder) -> None:
    raise NotImplementedError
