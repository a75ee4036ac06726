"""Load several paths as one snapshot: ``load_many(paths) -> Snapshot``.

How files are grouped into proxies (the existing loaders are used unchanged; this module only
decides each document's ``group``, the key :class:`SnapshotBuilder` files a proxy under):

1. A document that names its proxy joins that proxy: a config dump by its bootstrap
   ``node.id``, ``/server_info`` by its ``node.id``. Two config dumps of one node are one proxy
   (the richer one is kept, ML0013 names the other).
2. A companion capture that does not name its proxy (``/clusters``, ``/certs``, ``/listeners``,
   ``/stats``, ``/memory``...) joins the one proxy given in the same directory; else the one proxy
   given at all. When that is ambiguous (several proxies, none in its directory, or several
   there), loading fails with a message naming the file: give one proxy's files per call, or a
   directory per proxy.
3. A config dump without a node id (istiod's debug dump, ``?mask=`` extracts) is a proxy keyed
   by its file, and companions attach to it as in 2.
4. ztunnel dumps, syncz and other captures stay on their own (their own group).
5. Directories and archives are loaded as :func:`meshlens.load` loads them, each on its own, and
   merged into the snapshot (proxies, ztunnels, findings, sources, logs; istiod sync rows are
   concatenated).

One path is exactly :func:`meshlens.load`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from meshlens._gc import gc_held
from meshlens.errors import LoadError
from meshlens.models.snapshot import Snapshot
from meshlens.sources import config_dump, detect, envoy_bootstrap, load, load_document, parallel
from meshlens.sources.bounded import current_limit
from meshlens.sources.builder import SnapshotBuilder
from meshlens.sources.read import Document, read_source

__all__ = ["load_many"]

_DEFINES = ("envoy-config-dump", "envoy-bootstrap")  # documents that make a proxy on their own


def _node_id(doc: Document, kind: str) -> str | None:
    data = doc.data if isinstance(doc.data, dict) else {}
    node: Any = None
    if kind == "envoy-config-dump":
        for section in data.get("configs") or ():
            if isinstance(section, dict) and str(section.get("@type", "")).endswith("BootstrapConfigDump"):
                node = (section.get("bootstrap") or {}).get("node")
                break
    elif kind == "envoy-bootstrap" or kind == "envoy-server-info":
        node = data.get("node")
    node_id = node.get("id") if isinstance(node, dict) else None
    return str(node_id) if node_id else None


def _directory(doc: Document) -> str:
    return os.path.dirname(os.path.abspath(doc.location.file or ""))


def _group_documents(docs: list[tuple[Document, Any]]) -> None:
    """Set each document's ``group`` (see the module docstring)."""
    proxies: dict[str, str] = {}  # group -> directory of the document that made it
    pending: list[Document] = []
    for doc, loader in docs:
        kind = getattr(loader, "KIND", "")
        node_id = _node_id(doc, kind)
        if kind in _DEFINES or (kind == "envoy-server-info" and node_id):
            doc.group = f"node:{node_id}" if node_id else f"file:{doc.location.file}"
            proxies.setdefault(doc.group, _directory(doc))
        elif kind.startswith("envoy-"):
            pending.append(doc)
        else:
            doc.group = f"file:{doc.location.file}"
    for doc in pending:
        same_dir = [g for g, d in proxies.items() if d == _directory(doc)]
        if len(same_dir) == 1:
            doc.group = same_dir[0]
        elif len(proxies) == 1:
            doc.group = next(iter(proxies))
        elif not proxies:
            doc.group = f"file:{doc.location.file}"
        else:
            raise LoadError("cannot tell which proxy this capture belongs to: it names no node, and "
                            f"{len(same_dir) or len(proxies)} proxies were given"
                            + (" in its directory" if same_dir else "")
                            + "; give one proxy's files per run, or a directory per proxy", file=doc.location.file)


def _merge(parts: list[Snapshot], origin: str) -> Snapshot:
    if len(parts) == 1:
        return parts[0]
    merged = Snapshot(origin=origin)
    for part in parts:
        merged.absorb(part)
    merged.extras.pop("collection", None)
    return merged


def load_many(paths: Sequence[str | os.PathLike[str]], *, jobs: int | None = None, executor: Executor | None = None,
              progress: bool | None = None) -> Snapshot:
    """Load ``paths`` as one snapshot, grouping the files of one proxy into one proxy.

    Args:
        paths: files (config dumps, ``/clusters``, ``/certs``, ``/server_info``, ztunnel dumps,
            syncz ...), directories and archives; ``-`` for standard input (once).
        jobs: worker processes for the members of archives and directories (default:
            ``MESHLENS_JOBS``, else every core; 1 = this process).
        executor: any :class:`concurrent.futures.Executor` to load archive members on instead, e.g. a
            Dask cluster's ``distributed.Client(...).get_executor()``; the result is the same snapshot.
        progress: a progress bar on stderr for long archive loads (default: when stderr is a terminal).

    Raises:
        LoadError: a path is unreadable or not a capture, or a companion file cannot be attached
            to one proxy.
    """
    items = [os.fspath(p) for p in paths]
    if not items:
        raise LoadError("no input given")
    if len(items) == 1:
        return load(items[0], jobs=jobs, executor=executor, progress=progress)
    with gc_held():  # as meshlens.load: bulk construction of acyclic trees
        snapshot = _load_many(items, jobs, executor, progress)
    return snapshot


def _load_many(items: list[str], jobs: int | None, executor: Executor | None, progress: bool | None) -> Snapshot:
    parts: list[Snapshot] = []
    plain: list[tuple[Document, Any]] = []
    for item in items:
        if item != "-" and Path(item).is_dir():
            parts.append(load(item, jobs=jobs, executor=executor, progress=progress))
            continue
        docs, is_collection = read_source(item, defer_members=True)
        if is_collection:
            parts.append(parallel.load_collection(docs, item, load_document, jobs=jobs, executor=executor,
                                                  progress=progress, budget=current_limit(None)))
            continue
        for doc in docs:
            loader = detect(doc)
            if loader is None:
                load_document(doc, SnapshotBuilder(), strict=True)  # raises the loader's own message
            plain.append((doc, loader))
    if plain:
        _group_documents(plain)
        builder = SnapshotBuilder(origin=", ".join(items))
        order = {config_dump.KIND: 0, envoy_bootstrap.KIND: 1, "envoy-server-info": 2}
        for doc, _ in sorted(plain, key=lambda pair: order.get(getattr(pair[1], "KIND", ""), 3)):
            load_document(doc, builder, strict=True)
        parts.insert(0, builder.build())
    return _merge(parts, ", ".join(items))
