"""Loaders for Envoy admin captures other than ``/config_dump``.

Each loader recognises its capture by content and fills the companion slots of the proxy of the
document's group (files in one folder describe one proxy):

============================  ==========================================  ========================
capture                       recognised by                               fills
============================  ==========================================  ========================
``/clusters?format=json``     a ``cluster_statuses`` list                 ``proxy.cluster_statuses``
``/clusters`` (text)          ``name::key::value`` lines with /clusters    ``proxy.cluster_statuses``
                              facts (``::observability_name::``, ...)
``/certs``                    only a ``certificates`` list of              ``proxy.certs``
                              ``{ca_cert, cert_chain}``
``/server_info``              ``version`` + ``state`` + ``node`` /         ``proxy.server_info``
                              ``command_line_options`` / uptime           (and ``node_id``)
``/listeners?format=json``    a ``listener_statuses`` list                ``proxy.listener_statuses``
``/listeners`` (text)         every line ``name::address``                ``proxy.listener_statuses``
``/stats?format=json``        a ``stats`` list of ``{name, value}``        ``proxy.stats``
``/stats/prometheus``         Prometheus text with ``envoy_`` metrics     ``proxy.stats``
``/stats`` (text)             ``name: value`` lines of Envoy stat names   ``proxy.stats``
``/memory``                   ``allocated`` + ``heap_size``               extras (see below)
``/runtime``                  ``entries`` map + ``layers`` list           extras
``/logging``                  text starting ``active loggers:``           extras
============================  ==========================================  ========================

``EnvoyProxy`` has no slot for ``/memory``, ``/runtime`` and ``/logging`` yet: they are kept in
``snapshot.extras["envoy_admin"][proxy.group]`` under ``memory``, ``runtime`` and ``logging`` (see
:func:`proxy_admin_extra`).

When one proxy folder holds the same capture twice, the first is kept and an ML0013 finding names
the other; a JSON form replaces a text form of the same endpoint (JSON carries more).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from meshlens.models.admin import (
    CertificateEntry,
    EnvoyStats,
    LogLevels,
    Memory,
    Runtime,
    ServerInfo,
)
from meshlens.models.base import ML0007_MALFORMED_RESOURCE, ML0013_DUPLICATE_CAPTURE, Severity
from meshlens.models.snapshot import EnvoyProxy, Snapshot
from meshlens.sources import admin_clusters as ac
from meshlens.sources.builder import SnapshotBuilder
from meshlens.sources.read import Document

EXTRAS_KEY = "envoy_admin"


@dataclass(frozen=True)
class Loader:
    """A loader object with the same surface as a loader module: ``KIND``, ``sniff``, ``load``."""

    KIND: str
    sniff: Callable[[Document], bool]
    load: Callable[[Document, SnapshotBuilder], None]


def proxy_admin_extra(snapshot: Snapshot, proxy: EnvoyProxy, name: str) -> Any:
    """The ``memory`` / ``runtime`` / ``logging`` capture of ``proxy``, or None."""
    return snapshot.extras.get(EXTRAS_KEY, {}).get(proxy.group, {}).get(name)


# ------------------------------------------------------------------------------------ helpers
def _dict(doc: Document) -> dict[str, Any] | None:
    return doc.data if isinstance(doc.data, dict) else None


def _text(doc: Document) -> str | None:
    return doc.text if doc.syntax in ("text", "yaml") and doc.text else None


def _problems(builder: SnapshotBuilder, doc: Document, proxy: EnvoyProxy,
              problems: list[ac.Problem], what: str) -> None:
    for path, message in problems[:20]:
        location = doc.location.child(path[1:]) if path.startswith("$") else doc.location
        suffix = "" if path.startswith("$") else f" ({path})"
        builder.finding(ML0007_MALFORMED_RESOURCE, Severity.WARNING, f"{what}: {message}{suffix}",
                        location=location, proxy=proxy.name, kind=what)
    if len(problems) > 20:
        builder.finding(ML0007_MALFORMED_RESOURCE, Severity.WARNING,
                        f"{what}: {len(problems) - 20} more malformed entries not listed",
                        location=doc.location, proxy=proxy.name, kind=what)


def _loaded_kinds(proxy: EnvoyProxy) -> set[str]:
    return {s.kind for s in proxy.sources}


def _duplicate(builder: SnapshotBuilder, doc: Document, proxy: EnvoyProxy, what: str) -> None:
    kept = next((s for s in proxy.sources if s.kind.startswith(what)), None)
    where = str(kept.location) if kept is not None else "an earlier file"
    builder.finding(ML0013_DUPLICATE_CAPTURE, Severity.INFO,
                    f"second {what} capture for this proxy ignored; kept {where}",
                    location=doc.location, proxy=proxy.name, kind=what)


def _should_fill(builder: SnapshotBuilder, doc: Document, proxy: EnvoyProxy, kinds: tuple[str, ...],
                 current: Any, *, rank: int) -> bool:
    """Whether this capture should fill a slot: empty slot, or a richer form than what is there.

    ``kinds`` are the loader kinds sharing the slot, richest first; ``rank`` is this one's index.
    """
    if current is None:
        return True
    loaded = _loaded_kinds(proxy)
    held = min((kinds.index(k) for k in loaded if k in kinds), default=len(kinds))
    if rank < held:
        return True
    if rank == held:
        _duplicate(builder, doc, proxy, kinds[rank])
    return False


def _set_extra(builder: SnapshotBuilder, proxy: EnvoyProxy, doc: Document, name: str, value: Any) -> None:
    per_proxy = builder.snapshot.extras.setdefault(EXTRAS_KEY, {}).setdefault(proxy.group, {})
    if name in per_proxy:
        _duplicate(builder, doc, proxy, f"envoy-{name}")
        return
    per_proxy[name] = value


# ----------------------------------------------------------------------------------- /clusters
CLUSTER_KINDS = ("envoy-clusters", "envoy-clusters-text")


def _sniff_clusters_json(doc: Document) -> bool:
    data = _dict(doc)
    if data is None:
        return False
    items = data.get("cluster_statuses", data.get("clusterStatuses"))
    return isinstance(items, list) and len(data) <= 2


def _load_clusters_json(doc: Document, builder: SnapshotBuilder) -> None:
    proxy = builder.envoy(doc)
    records, problems = ac.clusters_from_json(doc.data)
    _problems(builder, doc, proxy, problems, "/clusters")
    if _should_fill(builder, doc, proxy, CLUSTER_KINDS, proxy.cluster_statuses, rank=0):
        proxy.cluster_statuses = records


def _sniff_clusters_text(doc: Document) -> bool:
    text = _text(doc)
    return text is not None and ac.looks_like_clusters_text(text)


def _load_clusters_text(doc: Document, builder: SnapshotBuilder) -> None:
    proxy = builder.envoy(doc)
    records, problems = ac.clusters_from_text(doc.text or "")
    _problems(builder, doc, proxy, problems, "/clusters")
    if _should_fill(builder, doc, proxy, CLUSTER_KINDS, proxy.cluster_statuses, rank=1):
        proxy.cluster_statuses = records


# -------------------------------------------------------------------------------------- /certs
def _sniff_certs(doc: Document) -> bool:
    data = _dict(doc)
    if data is None or set(data) != {"certificates"} or not isinstance(data["certificates"], list):
        return False
    return all(isinstance(c, dict) and set(c) <= {"ca_cert", "cert_chain", "caCert", "certChain"}
               for c in data["certificates"][:5])


def _load_certs(doc: Document, builder: SnapshotBuilder) -> None:
    proxy = builder.envoy(doc)
    entries: list[CertificateEntry] = []
    problems: list[ac.Problem] = []
    for i, item in enumerate(doc.data["certificates"]):
        try:
            entries.append(CertificateEntry.model_validate(item))
        except ValidationError as exc:
            problems.append((f"$.certificates[{i}]", f"entry skipped: {exc.errors()[0]['msg']}"))
    _problems(builder, doc, proxy, problems, "/certs")
    if _should_fill(builder, doc, proxy, ("envoy-certs",), proxy.certs, rank=0):
        proxy.certs = entries


# -------------------------------------------------------------------------------- /server_info
_SERVER_INFO_MARKERS = ("command_line_options", "commandLineOptions", "node", "uptime_current_epoch",
                        "uptimeCurrentEpoch", "hot_restart_version", "hotRestartVersion")


def _sniff_server_info(doc: Document) -> bool:
    data = _dict(doc)
    return (data is not None and isinstance(data.get("version"), str) and "state" in data
            and any(k in data for k in _SERVER_INFO_MARKERS))


def _load_server_info(doc: Document, builder: SnapshotBuilder) -> None:
    proxy = builder.envoy(doc)
    try:
        info = ServerInfo.model_validate(doc.data)
    except ValidationError as exc:
        _problems(builder, doc, proxy, [("$", f"not loaded: {exc.errors()[0]['msg']}")], "/server_info")
        return
    if _should_fill(builder, doc, proxy, ("envoy-server-info",), proxy.server_info, rank=0):
        proxy.server_info = info
        if proxy.node_id is None and info.node_id:
            proxy.node_id = info.node_id


# ---------------------------------------------------------------------------------- /listeners
LISTENER_KINDS = ("envoy-listeners", "envoy-listeners-text")


def _sniff_listeners_json(doc: Document) -> bool:
    data = _dict(doc)
    if data is None:
        return False
    items = data.get("listener_statuses", data.get("listenerStatuses"))
    return isinstance(items, list) and len(data) == 1


def _load_listeners_json(doc: Document, builder: SnapshotBuilder) -> None:
    proxy = builder.envoy(doc)
    records, problems = ac.listeners_from_json(doc.data)
    _problems(builder, doc, proxy, problems, "/listeners")
    if _should_fill(builder, doc, proxy, LISTENER_KINDS, proxy.listener_statuses, rank=0):
        proxy.listener_statuses = records


def _sniff_listeners_text(doc: Document) -> bool:
    return doc.syntax == "text" and bool(doc.text) and ac.looks_like_listeners_text(doc.text or "")


def _load_listeners_text(doc: Document, builder: SnapshotBuilder) -> None:
    proxy = builder.envoy(doc)
    records, problems = ac.listeners_from_text(doc.text or "")
    _problems(builder, doc, proxy, problems, "/listeners")
    if _should_fill(builder, doc, proxy, LISTENER_KINDS, proxy.listener_statuses, rank=1):
        proxy.listener_statuses = records


# -------------------------------------------------------------------------------------- /stats
STATS_KINDS = ("envoy-stats", "envoy-stats-prometheus", "envoy-stats-text")
# Roots of Envoy's own stat names (``/stats`` text form), to tell it from any "key: value" text.
_STAT_ROOTS = ("server.", "cluster_manager.", "listener_manager.", "cluster.", "http.", "listener.",
               "runtime.", "control_plane.", "filesystem.", "main_thread.", "workers.")


def _sniff_stats_json(doc: Document) -> bool:
    data = _dict(doc)
    if data is None or set(data) != {"stats"} or not isinstance(data["stats"], list):
        return False
    first = data["stats"][:1]
    return not first or (isinstance(first[0], dict) and ("name" in first[0] or "histograms" in first[0]))


def _sniff_stats_prometheus(doc: Document) -> bool:
    text = doc.text
    if not text or doc.syntax not in ("text", "yaml"):
        return False
    head = text.lstrip()[:8192]
    if not head.startswith(("# TYPE ", "# HELP ", "envoy_")):
        return False
    return head.startswith("envoy_") or "# TYPE envoy_" in head or "\nenvoy_" in head


def _sniff_stats_text(doc: Document) -> bool:
    text = doc.text
    if not text or doc.syntax not in ("text", "yaml"):
        return False
    lines = text.lstrip()[:4096].splitlines()[:20]
    return bool(lines) and all(": " in ln and ln.startswith(_STAT_ROOTS) for ln in lines if ln)


def _stats_loader(fmt: str, rank: int) -> Callable[[Document, SnapshotBuilder], None]:
    def load(doc: Document, builder: SnapshotBuilder) -> None:
        proxy = builder.envoy(doc)
        source = doc.data if fmt == "json" else doc.text
        if _should_fill(builder, doc, proxy, STATS_KINDS, proxy.stats, rank=rank):
            proxy.stats = EnvoyStats(format=fmt, source=source, location=doc.location)

    return load


# ------------------------------------------------------------------ /memory /runtime /logging
def _sniff_memory(doc: Document) -> bool:
    data = _dict(doc)
    return data is not None and "allocated" in data and "heap_size" in data and len(data) <= 12


def _load_memory(doc: Document, builder: SnapshotBuilder) -> None:
    proxy = builder.envoy(doc)
    try:
        _set_extra(builder, proxy, doc, "memory", Memory.model_validate(doc.data))
    except ValidationError as exc:
        _problems(builder, doc, proxy, [("$", f"not loaded: {exc.errors()[0]['msg']}")], "/memory")


def _sniff_runtime(doc: Document) -> bool:
    data = _dict(doc)
    return (data is not None and isinstance(data.get("entries"), dict) and isinstance(data.get("layers"), list)
            and set(data) <= {"entries", "layers"})


def _load_runtime(doc: Document, builder: SnapshotBuilder) -> None:
    proxy = builder.envoy(doc)
    try:
        _set_extra(builder, proxy, doc, "runtime", Runtime.model_validate(doc.data))
    except ValidationError as exc:
        _problems(builder, doc, proxy, [("$", f"not loaded: {exc.errors()[0]['msg']}")], "/runtime")


def _sniff_logging(doc: Document) -> bool:
    return bool(doc.text) and (doc.text or "").lstrip().startswith("active loggers:")


def _load_logging(doc: Document, builder: SnapshotBuilder) -> None:
    proxy = builder.envoy(doc)
    _set_extra(builder, proxy, doc, "logging", LogLevels.from_text(doc.text or ""))


LOADERS: tuple[Loader, ...] = (
    Loader("envoy-clusters", _sniff_clusters_json, _load_clusters_json),
    Loader("envoy-clusters-text", _sniff_clusters_text, _load_clusters_text),
    Loader("envoy-certs", _sniff_certs, _load_certs),
    Loader("envoy-server-info", _sniff_server_info, _load_server_info),
    Loader("envoy-listeners", _sniff_listeners_json, _load_listeners_json),
    Loader("envoy-listeners-text", _sniff_listeners_text, _load_listeners_text),
    Loader("envoy-stats", _sniff_stats_json, _stats_loader("json", 0)),
    Loader("envoy-stats-prometheus", _sniff_stats_prometheus, _stats_loader("prometheus", 1)),
    Loader("envoy-stats-text", _sniff_stats_text, _stats_loader("text", 2)),
    Loader("envoy-memory", _sniff_memory, _load_memory),
    Loader("envoy-runtime", _sniff_runtime, _load_runtime),
    Loader("envoy-logging", _sniff_logging, _load_logging),
)
