"""Loaders for Envoy admin captures other than ``/config_dump``.

Each capture kind (:class:`~meshlens.sources.kinds.CaptureKind`, registered in :data:`CAPTURE_KINDS`)
recognises its capture by content and fills a slot of ``proxy.captures`` for the proxy of the document's
group (files in one folder describe one proxy); ``inspect`` prints each kind's summary line:

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

``/memory``, ``/runtime`` and ``/logging`` fill the slots ``memory``, ``runtime`` and ``logging``
(``proxy.capture("memory")``; :func:`proxy_admin_extra` still answers).

When one proxy folder holds the same capture twice, the first is kept and an ML0013 finding names
the other; a JSON form replaces a text form of the same endpoint (JSON carries more).
"""

from __future__ import annotations

from collections.abc import Callable
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
from meshlens.models.base import ML0007_MALFORMED_RESOURCE, Severity
from meshlens.models.snapshot import EnvoyProxy, Snapshot
from meshlens.sources import admin_clusters as ac
from meshlens.sources.builder import SnapshotBuilder
from meshlens.sources.kinds import CaptureKind, register
from meshlens.sources.read import Document

# The loader surface of meshlens.sources.LOADERS (KIND, sniff, load): a capture kind has it.
Loader = CaptureKind


def proxy_admin_extra(snapshot: Snapshot, proxy: EnvoyProxy, name: str) -> Any:
    """The ``memory`` / ``runtime`` / ``logging`` capture of ``proxy``, or None (``proxy.capture(name)``)."""
    return proxy.capture(name)


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


def _model(model: Any, what: str) -> Callable[[Document, SnapshotBuilder, EnvoyProxy], Any]:
    """A parser validating the whole document as ``model``; a malformed one is a finding, not loaded."""
    def parse(doc: Document, builder: SnapshotBuilder, proxy: EnvoyProxy) -> Any:
        try:
            return model.model_validate(doc.data)
        except ValidationError as exc:
            _problems(builder, doc, proxy, [("$", f"not loaded: {exc.errors()[0]['msg']}")], what)
            return None

    return parse


def _records(read: Callable[[Any], tuple[list[Any], list[ac.Problem]]], what: str,
             text: bool = False) -> Callable[[Document, SnapshotBuilder, EnvoyProxy], Any]:
    """A parser of a record list (``/clusters``, ``/listeners``): malformed entries become findings."""
    def parse(doc: Document, builder: SnapshotBuilder, proxy: EnvoyProxy) -> Any:
        records, problems = read((doc.text or "") if text else doc.data)
        _problems(builder, doc, proxy, problems, what)
        return records

    return parse


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# ----------------------------------------------------------------------------------- /clusters
def _sniff_clusters_json(doc: Document) -> bool:
    data = _dict(doc)
    if data is None:
        return False
    items = data.get("cluster_statuses", data.get("clusterStatuses"))
    return isinstance(items, list) and len(data) <= 2


def _sniff_clusters_text(doc: Document) -> bool:
    text = _text(doc)
    return text is not None and ac.looks_like_clusters_text(text)


def _clusters_summary(records: list[Any]) -> str:
    hosts = sum(len(c.host_statuses) for c in records)
    return f"{_plural(len(records), 'cluster')}, {_plural(hosts, 'host')}"


# -------------------------------------------------------------------------------------- /certs
def _sniff_certs(doc: Document) -> bool:
    data = _dict(doc)
    if data is None or set(data) != {"certificates"} or not isinstance(data["certificates"], list):
        return False
    return all(isinstance(c, dict) and set(c) <= {"ca_cert", "cert_chain", "caCert", "certChain"}
               for c in data["certificates"][:5])


def _parse_certs(doc: Document, builder: SnapshotBuilder, proxy: EnvoyProxy) -> list[CertificateEntry]:
    entries: list[CertificateEntry] = []
    problems: list[ac.Problem] = []
    for i, item in enumerate(doc.data["certificates"]):
        try:
            entries.append(CertificateEntry.model_validate(item))
        except ValidationError as exc:
            problems.append((f"$.certificates[{i}]", f"entry skipped: {exc.errors()[0]['msg']}"))
    _problems(builder, doc, proxy, problems, "/certs")
    return entries


def _certs_summary(entries: list[CertificateEntry]) -> str:
    chain = sum(len(e.cert_chain) for e in entries)
    roots = sum(len(e.ca_cert) for e in entries)
    return f"{_plural(chain, 'certificate')}, {_plural(roots, 'CA certificate')}"


# -------------------------------------------------------------------------------- /server_info
_SERVER_INFO_MARKERS = ("command_line_options", "commandLineOptions", "node", "uptime_current_epoch",
                        "uptimeCurrentEpoch", "hot_restart_version", "hotRestartVersion")


def _sniff_server_info(doc: Document) -> bool:
    data = _dict(doc)
    return (data is not None and isinstance(data.get("version"), str) and "state" in data
            and any(k in data for k in _SERVER_INFO_MARKERS))


def _name_the_node(proxy: EnvoyProxy, info: ServerInfo) -> None:
    if proxy.node_id is None and info.node_id:
        proxy.node_id = info.node_id


def _server_info_summary(info: ServerInfo) -> str:
    uptime = info.uptime_seconds
    return f"Envoy {info.envoy_version or 'unknown'}, {info.state or 'state unknown'}" + (
        f", up {uptime} s" if uptime is not None else "")


# ---------------------------------------------------------------------------------- /listeners
def _sniff_listeners_json(doc: Document) -> bool:
    data = _dict(doc)
    if data is None:
        return False
    items = data.get("listener_statuses", data.get("listenerStatuses"))
    return isinstance(items, list) and len(data) == 1


def _sniff_listeners_text(doc: Document) -> bool:
    return doc.syntax == "text" and bool(doc.text) and ac.looks_like_listeners_text(doc.text or "")


# -------------------------------------------------------------------------------------- /stats
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


def _stats(fmt: str) -> Callable[[Document, SnapshotBuilder, EnvoyProxy], EnvoyStats]:
    def parse(doc: Document, builder: SnapshotBuilder, proxy: EnvoyProxy) -> EnvoyStats:
        return EnvoyStats(format=fmt, source=doc.data if fmt == "json" else doc.text, location=doc.location)

    return parse


# ------------------------------------------------------------------ /memory /runtime /logging
def _sniff_memory(doc: Document) -> bool:
    data = _dict(doc)
    return data is not None and "allocated" in data and "heap_size" in data and len(data) <= 12


def _sniff_runtime(doc: Document) -> bool:
    data = _dict(doc)
    return (data is not None and isinstance(data.get("entries"), dict) and isinstance(data.get("layers"), list)
            and set(data) <= {"entries", "layers"})


def _sniff_logging(doc: Document) -> bool:
    return bool(doc.text) and (doc.text or "").lstrip().startswith("active loggers:")


def _parse_logging(doc: Document, builder: SnapshotBuilder, proxy: EnvoyProxy) -> LogLevels:
    return LogLevels.from_text(doc.text or "")


def _mib(n: int | None) -> str:
    return f"{n / 2**20:.1f} MiB" if n is not None else "unknown"


# The registry: one entry per capture kind, in sniffing order (stricter sniffers first where two could
# claim a document). A new kind is one entry: sniffer, parser, slot, summary line.
CAPTURE_KINDS: tuple[CaptureKind, ...] = register((
    CaptureKind("envoy-clusters", "clusters", "/clusters", _sniff_clusters_json,
                _records(ac.clusters_from_json, "/clusters"), _clusters_summary, rank=0),
    CaptureKind("envoy-clusters-text", "clusters", "/clusters", _sniff_clusters_text,
                _records(ac.clusters_from_text, "/clusters", text=True), _clusters_summary, rank=1),
    CaptureKind("envoy-certs", "certs", "/certs", _sniff_certs, _parse_certs, _certs_summary),
    CaptureKind("envoy-server-info", "server_info", "/server_info", _sniff_server_info,
                _model(ServerInfo, "/server_info"), _server_info_summary, on_fill=_name_the_node),
    CaptureKind("envoy-listeners", "listeners", "/listeners", _sniff_listeners_json,
                _records(ac.listeners_from_json, "/listeners"), lambda r: _plural(len(r), "listener"), rank=0),
    CaptureKind("envoy-listeners-text", "listeners", "/listeners", _sniff_listeners_text,
                _records(ac.listeners_from_text, "/listeners", text=True), lambda r: _plural(len(r), "listener"),
                rank=1),
    CaptureKind("envoy-stats", "stats", "/stats", _sniff_stats_json, _stats("json"),
                lambda st: f"{st.format} form", rank=0),
    CaptureKind("envoy-stats-prometheus", "stats", "/stats", _sniff_stats_prometheus, _stats("prometheus"),
                lambda st: f"{st.format} form", rank=1),
    CaptureKind("envoy-stats-text", "stats", "/stats", _sniff_stats_text, _stats("text"),
                lambda st: f"{st.format} form", rank=2),
    CaptureKind("envoy-memory", "memory", "/memory", _sniff_memory, _model(Memory, "/memory"),
                lambda m: f"{_mib(m.allocated)} allocated, heap {_mib(m.heap_size)}"),
    CaptureKind("envoy-runtime", "runtime", "/runtime", _sniff_runtime, _model(Runtime, "/runtime"),
                lambda r: f"{_plural(len(r.entries), 'key')} in {_plural(len(r.layers), 'layer')}"),
    CaptureKind("envoy-logging", "logging", "/logging", _sniff_logging, _parse_logging,
                lambda lv: _plural(len(lv.levels), "logger")),
))

# Compatibility: the name meshlens.sources.LOADERS reads.
LOADERS: tuple[CaptureKind, ...] = CAPTURE_KINDS

# Kinds sharing a slot, richest first (kept for callers of the former names).
CLUSTER_KINDS = ("envoy-clusters", "envoy-clusters-text")
LISTENER_KINDS = ("envoy-listeners", "envoy-listeners-text")
STATS_KINDS = ("envoy-stats", "envoy-stats-prometheus", "envoy-stats-text")

__all__ = ["CAPTURE_KINDS", "CLUSTER_KINDS", "LISTENER_KINDS", "LOADERS", "STATS_KINDS", "Loader",
           "proxy_admin_extra"]
