"""Detect and load captures: ``load(source) -> Snapshot``.

Each loader module has ``KIND`` (a short name shown by ``inspect``), ``sniff(doc) -> bool`` (does
this document's *content* look like mine?) and ``load(doc, builder) -> None``. They are tried in
the order of :data:`LOADERS`; the first whose ``sniff`` is true loads the document. Companion
captures of an Envoy proxy (``/clusters``, ``/certs``, ...) are registered capture kinds
(:data:`meshlens.sources.admin.CAPTURE_KINDS`, :mod:`meshlens.sources.kinds`).
"""

from __future__ import annotations

import os
from collections.abc import Collection
from concurrent.futures import Executor
from contextlib import nullcontext
from typing import Any

from meshlens._gc import gc_held
from meshlens.errors import LoadError, MeshlensError
from meshlens.models.base import MAX_DEPTH, ML0008_UNRECOGNIZED_MEMBER, Severity, too_deep
from meshlens.models.snapshot import Snapshot
from meshlens.sources import admin, config_dump, envoy_bootstrap, envoy_logs
from meshlens.sources.bounded import current_limit, parse_size
from meshlens.sources.bounded import limit as byte_limit
from meshlens.sources.bugreport import detect_layout
from meshlens.sources.builder import CaptureLoader, SnapshotBuilder
from meshlens.sources.read import DEFERRED, Document, read_source
from meshlens.sources.sniff import SYNCZ_KIND, ZTUNNEL_KIND, Deferred, might_be, syncz_sniff, ztunnel_sniff
from meshlens.sources.wds_sniff import ISTIOD_WDS_KIND, istiod_wds_sniff
from meshlens.sources.ztunnel_log_grammar import ZTUNNEL_LOG_KIND, ztunnel_log_sniff

# Order matters only where two formats could both claim a document; the sniffers are strict.
# ztunnel and syncz are imported on first load: an Envoy-only command never builds their models.
LOADERS: tuple[CaptureLoader, ...] = (
    Deferred(ISTIOD_WDS_KIND, istiod_wds_sniff, "meshlens.sources.istiod_wds"),
    config_dump,
    envoy_bootstrap,
    Deferred(ZTUNNEL_KIND, ztunnel_sniff, "meshlens.sources.ztunnel"),
    Deferred(SYNCZ_KIND, syncz_sniff, "meshlens.sources.syncz"),
    Deferred(ZTUNNEL_LOG_KIND, ztunnel_log_sniff, "meshlens.sources.ztunnel_logs"),
    *admin.LOADERS,
    envoy_logs,
)

__all__ = ["LOADERS", "Document", "SnapshotBuilder", "detect", "load", "load_document", "require_capture"]


def detect(doc: Document) -> CaptureLoader | None:
    """The loader module whose sniffer recognises ``doc``, or None.

    A sniffer that trips over a hostile shape (``"@type": {...}``) does not recognise the document.
    """
    for loader in LOADERS:
        try:
            if loader.sniff(doc):
                return loader
        except (TypeError, AttributeError, ValueError, KeyError, IndexError, RecursionError):
            continue
    return None


def _what_is_it(doc: Document) -> str:
    if doc.syntax == "unreadable":
        return str(doc.extra.get("error", "unreadable"))
    if isinstance(doc.data, list):
        return "a JSON/YAML list that is no capture meshlens knows" if doc.data else "an empty list"
    if isinstance(doc.data, dict):
        keys = ", ".join(list(doc.data)[:5]) or "no keys"
        return f"a document with keys ({keys}) that is no capture meshlens knows"
    return "text that is no capture meshlens knows"


EXPECTED = ("expected an Envoy /config_dump (JSON or YAML), /clusters, /certs, /server_info, "
            "an istiod syncz, a ztunnel /config_dump, a ztunnel log, an Envoy log or a bug-report archive")


def require_capture(docs: list[Document], is_collection: bool, origin: str) -> None:
    """Refuse documents that hold no capture (``null``, ``{}``, plain text), as :func:`load` would.

    Commands that read raw documents (``query``) use this so they answer the same inputs the same way.

    Raises:
        LoadError: no document is a capture meshlens knows.
    """
    if any(doc.syntax != "unreadable" and detect(doc) is not None for doc in docs):
        return
    if is_collection or not docs:
        raise LoadError(f"no capture found in the archive or directory: {EXPECTED}", file=origin)
    raise docs[0].error(f"{_what_is_it(docs[0])}: {EXPECTED}")


def load_document(doc: Document, builder: SnapshotBuilder, *, strict: bool) -> str | None:
    """Load one document into ``builder``; returns its kind, or None when it was not recognised.

    With ``strict`` an unrecognised document raises :class:`LoadError`; otherwise it becomes an
    ML0008 finding (a member of an archive that is not a capture, e.g. ``analyze/allNamespaces``).
    """
    loader = detect(doc) if doc.syntax != "unreadable" else None
    if loader is None:
        if strict:
            raise doc.error(f"{_what_is_it(doc)}: {EXPECTED}")
        builder.record_source(doc, "unrecognized")
        builder.finding(ML0008_UNRECOGNIZED_MEMBER, Severity.INFO,
                        f"not loaded: {_what_is_it(doc)}", location=doc.location)
        return None
    if strict:
        _load_guarded(loader, doc, builder)
    else:
        # One bad member of an archive or directory is skipped with a finding naming it; the rest of
        # the collection is still analysed.
        try:
            _load_guarded(loader, doc, builder)
        except MeshlensError as exc:
            builder.record_source(doc, "unrecognized")
            builder.finding(ML0008_UNRECOGNIZED_MEMBER, Severity.WARNING,
                            f"not loaded: looks like a {loader.KIND} but {exc.message}"
                            + (f" (at {exc.json_path})" if exc.json_path else ""), location=doc.location)
            return None
    builder.record_source(doc, loader.KIND)
    return str(loader.KIND)


def _load_guarded(loader: CaptureLoader, doc: Document, builder: SnapshotBuilder) -> None:
    """Run one loader; nesting beyond MAX_DEPTH (or a walk that exhausts the stack) is a located LoadError.

    Config dumps, the large documents, are bounded per resource (when a resource is validated) and
    for their bootstrap; every other capture kind is small and bounded whole here.
    """
    if loader is not config_dump and isinstance(doc.data, (dict, list)):
        deep = too_deep(doc.data)
        if deep is not None:
            raise doc.error(f"nested deeper than {MAX_DEPTH} levels", json_path="$" + deep)
    try:
        loader.load(doc, builder)
    except RecursionError:
        raise doc.error(f"nested too deeply for meshlens (over {MAX_DEPTH} levels)") from None


def load(source: Any, *, max_bytes: int | str | None = None, jobs: int | None = None,
         executor: Executor | None = None, progress: bool | None = None,
         only: Collection[str] | None = None) -> Snapshot:
    """Load a capture into a :class:`Snapshot`.

    Args:
        source: a path (file, directory, ``.gz``, ``.tar.gz`` bug-report archive), ``bytes``, an
            already parsed ``dict``, or ``"-"`` for standard input. JSON, YAML and gzip are
            detected by content.
        max_bytes: how many bytes the load may read and inflate in all (files, archive members,
            gzip); default 2 GiB, or what ``meshlens.sources.bounded.limit`` / ``MESHLENS_MAX_BYTES``
            set. FIFOs, devices and sockets are refused; see :mod:`meshlens.sources.bounded`.
        jobs: worker processes for the members of an archive or directory (default:
            ``MESHLENS_JOBS``, else every core; 1 = this process). See :mod:`meshlens.sources.parallel`.
        executor: run an archive's member groups on this :class:`concurrent.futures.Executor`.
        progress: a progress bar on stderr for a long archive load (default: when stderr is a terminal).
        only: capture kinds the caller needs (``{"istiod-syncz"}`` for proxy-status): an archive's or
            directory's members that cannot be of those kinds (a byte search, before any parsing)
            are skipped, and when none is left the snapshot is empty at once, without parsing.

    Raises:
        LoadError: the input is unreadable (not JSON, truncated, empty, binary) or is not a
            capture meshlens knows; the message names the file, member and JSON path.
    """
    # max_bytes also bounds what loaders stream themselves (ztunnel logs), through the same limit
    with gc_held(), (byte_limit(max_bytes) if max_bytes is not None else nullcontext()):
        snapshot = _load(source, max_bytes, jobs, executor, progress, only)
    return snapshot


def _load(source: Any, max_bytes: int | str | None = None, jobs: int | None = None,
          executor: Executor | None = None, progress: bool | None = None,
          only: Collection[str] | None = None) -> Snapshot:
    limit = parse_size(max_bytes) if max_bytes is not None else None
    docs, is_collection = read_source(source, max_bytes=limit, defer_members=True)
    origin = os.fspath(source) if isinstance(source, (str, os.PathLike)) else f"<{type(source).__name__}>"
    if is_collection and only is not None:
        wanted = [d for d in docs if d.syntax == DEFERRED and any(might_be(k, d.extra["body"]) for k in only)]
        if not wanted:  # nothing of those kinds: the caller says so before anything else is parsed
            kind = "bug-report" if detect_layout(docs) is not None else "archive or directory"
            return Snapshot(origin=str(origin), extras={"collection": f"{kind} without {', '.join(sorted(only))}"})
        docs = wanted
    if is_collection:
        from meshlens.sources import parallel

        snapshot = parallel.load_collection(docs, str(origin), load_document, jobs=jobs, executor=executor,
                                            progress=progress, budget=current_limit(limit))
        if not snapshot.sources or all(s.kind == "unrecognized" for s in snapshot.sources):
            raise LoadError(f"no capture found in the archive or directory: {EXPECTED}", file=str(origin))
        return snapshot
    builder = SnapshotBuilder(origin=str(origin))
    for doc in docs:
        load_document(doc, builder, strict=True)
    return builder.build()
