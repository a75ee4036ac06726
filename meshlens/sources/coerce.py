"""One way in: every top-level function takes a source or anything :func:`meshlens.load` returns.

``check``, ``inspect``, ``trace``, ``diff``, ``view``, ``query``, ``graph`` and the route tests call
these helpers instead of each deciding what it accepts:

- a source: a path (file, directory, ``.gz``, ``.tar.gz``), ``bytes``, a parsed ``dict``, ``"-"``
  (stdin), or a list of paths (loaded together by :func:`meshlens.load_many`, so the files of one
  proxy, e.g. a config dump with its ``/clusters`` and ``/certs``, are one proxy);
- a loaded object: a :class:`Snapshot`, an :class:`EnvoyProxy` or a :class:`Ztunnel`.

A loaded object is used as it is, never reloaded: an ``EnvoyProxy`` keeps its companion captures and
its derived facts (reference index, graph), whichever function it is handed to next.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

from meshlens.errors import UsageError
from meshlens.models.snapshot import EnvoyProxy, Snapshot, SourceInfo

if TYPE_CHECKING:  # ztunnel models are imported by whoever loads a ztunnel, not by Envoy-only work
    from meshlens.models.ztunnel import Ztunnel

Source: TypeAlias = (
    "str | os.PathLike[str] | bytes | bytearray | dict[str, Any] | Sequence[str | os.PathLike[str]]"
    " | Snapshot | EnvoyProxy | Ztunnel"
)

__all__ = ["Source", "as_proxy", "as_snapshot", "as_ztunnel", "is_ztunnel", "raw_documents"]


def is_ztunnel(obj: object) -> bool:
    """True for a loaded :class:`Ztunnel` (without importing the ztunnel models when none was loaded)."""
    module = sys.modules.get("meshlens.models.ztunnel")
    return module is not None and isinstance(obj, module.Ztunnel)


def _is_path_list(source: Any) -> bool:
    return isinstance(source, (list, tuple)) and bool(source) and all(isinstance(s, (str, os.PathLike))
                                                                       for s in source)


def _ztunnel_class() -> type[Ztunnel]:
    from meshlens.models.ztunnel import Ztunnel

    return Ztunnel


def as_snapshot(source: Source) -> Snapshot:
    """``source`` as a :class:`Snapshot`: loaded when it is a source, wrapped when it is one proxy.

    Raises:
        LoadError: a source is unreadable or not a capture, or ``source`` is neither a source nor a
            loaded object.
    """
    if isinstance(source, Snapshot):
        return source
    if isinstance(source, EnvoyProxy):
        return Snapshot(proxies=[source], sources=list(source.sources), captured_at=source.captured_at,
                        findings=list(source.load_findings), origin=source.name)
    if is_ztunnel(source):
        from meshlens.sources.ztunnel import KIND

        assert isinstance(source, _ztunnel_class())

        return Snapshot(ztunnels=[source], findings=list(source.load_findings), captured_at=source.captured_at,
                        sources=[SourceInfo(location=source.location, kind=KIND, group=source.location.file or "")],
                        origin=source.name)
    if _is_path_list(source):
        from meshlens.sources.many import load_many

        return load_many(list(source))  # type: ignore[arg-type]
    from meshlens.sources import load

    return load(source)  # a path, bytes, a parsed dict or list, "-"; anything else is refused there


def as_proxy(source: Source, name: str | None = None) -> EnvoyProxy:
    """The Envoy proxy of ``source`` named ``name`` (node id, ``pod.namespace`` or pod), or its only one.

    Raises:
        UsageError: no Envoy proxy matches, several do and no ``name`` was given, or ``name`` does not
            name a given ``EnvoyProxy``.
    """
    if isinstance(source, EnvoyProxy):
        if name is not None and not source.matches(name):
            raise UsageError(f"the proxy given is {source.name!r}, not {name!r}")
        return source
    return as_snapshot(source).proxy(name)


def as_ztunnel(source: Source, name: str | None = None) -> Ztunnel:
    """The ztunnel of ``source`` named ``name``, or its only one.

    Raises:
        UsageError: no ztunnel matches, or several do and no ``name`` was given.
    """
    if is_ztunnel(source):
        assert isinstance(source, _ztunnel_class())
        if name is not None and name != source.name:
            raise UsageError(f"the ztunnel given is {source.name!r}, not {name!r}")
        return source
    return as_snapshot(source).ztunnel(name)


def raw_documents(source: Source) -> list[Any]:
    """The parsed documents of ``source`` as captured (camelCase stays camelCase), for JSONPath queries.

    A source is read as given (every JSON/YAML member of an archive or directory). A loaded object
    gives the documents it keeps: each Envoy's config dump and each ztunnel's dump.

    Raises:
        LoadError: a source cannot be read, or holds no capture (``null``, ``{}``, plain text).
        UsageError: a loaded object keeps no document (e.g. a snapshot of istiod sync state only).
    """
    if isinstance(source, (Snapshot, EnvoyProxy)) or is_ztunnel(source):
        snapshot = as_snapshot(source)
        docs: list[Any] = [p.config_dump_raw for p in snapshot.proxies if p.config_dump_raw is not None]
        docs += [z.raw for z in snapshot.ztunnels if z.raw]
        if not docs:
            raise UsageError(f"the {type(source).__name__} given keeps no raw document to query "
                             "(Envoy config dumps and ztunnel dumps are kept): query the file instead")
        return docs
    from meshlens.sources import require_capture
    from meshlens.sources.read import read_source

    items = list(source) if _is_path_list(source) else [source]  # type: ignore[arg-type]
    out: list[Any] = []
    for item in items:
        found, is_collection = read_source(item)
        require_capture(found, is_collection, str(item) if isinstance(item, str) else f"<{type(item).__name__}>")
        out.extend(doc.data for doc in found)
    return out
