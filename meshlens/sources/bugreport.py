"""Archives and directories (STUB: replaced by the bug-report work)."""

from __future__ import annotations

from collections.abc import Callable

from meshlens.sources.builder import SnapshotBuilder
from meshlens.sources.read import Document


def load_collection(docs: list[Document], builder: SnapshotBuilder,
                    load_document: Callable[..., str | None]) -> None:
    for doc in docs:
        load_document(doc, builder, strict=False)
