"""Content sniffers of the capture kinds whose models are heavy to import (ztunnel, istiod syncz).

:mod:`meshlens.sources` tries every sniffer on every document; keeping these here, free of the
pydantic models, means an Envoy-only command (``meshlens pc cluster``) never imports the ztunnel or
istiod models. :class:`Deferred` is a loader whose module is imported on its first ``load``.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from meshlens.sources.builder import SnapshotBuilder
    from meshlens.sources.read import Document

__all__ = ["SYNCZ_KIND", "ZTUNNEL_KIND", "Deferred", "might_be", "syncz_sniff", "ztunnel_sniff"]

ZTUNNEL_KIND = "ztunnel-config-dump"
SYNCZ_KIND = "istiod-syncz"


class Deferred:
    """A loader (``KIND``, ``sniff``, ``load``) whose implementing module is imported on first use."""

    def __init__(self, kind: str, sniff: Callable[[Document], bool], module: str) -> None:
        self.KIND = kind
        self.sniff = sniff
        self._module = module

    def load(self, doc: Document, builder: SnapshotBuilder) -> None:
        """Load ``doc`` with the real loader module."""
        import_module(self._module).load(doc, builder)

    def __repr__(self) -> str:
        return f"Deferred({self.KIND!r}, {self._module!r})"


# ---------------------------------------------------------------------------------- ztunnel
# Keys only a ztunnel dump has at the top level.
_DUMP_KEYS = frozenset({"stagedServices", "staticConfig", "workloadState", "workloadstate"})
_STORE_KEYS = frozenset({"by_uid", "by_addr", "by_vip", "by_host", "staged_services", "static_config"})
_LOCAL_CONFIG_KEYS = frozenset({"workloads", "services", "policies"})
# Keys that tell a ztunnel record from other tools' "services:" lists (a LocalConfig has no others).
_RECORD_MARKERS = {
    "workloads": frozenset({"uid", "workloadIps", "workload_ips", "protocol", "serviceAccount"}),
    "services": frozenset({"hostname", "vips", "subjectAltNames"}),
    "policies": frozenset({"rules", "action", "scope"}),
}


def _looks_like_records(data: dict[str, Any]) -> bool:
    """LocalConfig-like content: lists whose first entries carry ztunnel's keys."""
    seen = False
    for key, markers in _RECORD_MARKERS.items():
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, list):
            return False
        if value:
            if not isinstance(value[0], dict) or markers.isdisjoint(value[0]):
                return False
            seen = True
    return seen


def ztunnel_sniff(doc: Document) -> bool:
    """A JSON/YAML object with ztunnel's top-level keys (not an Envoy dump, not Envoy /certs)."""
    data = doc.data
    if not isinstance(data, dict) or "configs" in data:
        return False
    if not _DUMP_KEYS.isdisjoint(data) or not _STORE_KEYS.isdisjoint(data):
        return True
    certs = data.get("certificates")
    if isinstance(certs, dict):
        certs = list(certs.values())
    # ztunnel's certificate entries have identity + state (Envoy /certs entries do not).
    if isinstance(certs, list) and certs and isinstance(certs[0], dict) and {"identity", "state"} <= certs[0].keys():
        return True
    if not _LOCAL_CONFIG_KEYS.isdisjoint(data) and "certificates" in data:
        return True  # a dump whose certificate list is empty
    return data.keys() <= _LOCAL_CONFIG_KEYS and _looks_like_records(data)



# ---------------------------------------------------------------------------------- istiod syncz
_CLIENT_CONFIG = "envoy.service.status.v3.ClientConfig"
_HTTP_ROW_KEYS = ("resources", "cluster_id", "proxy_type", "cluster_sent", "istio_version")


def _get(d: dict[str, Any], snake: str) -> Any:
    """``d[snake]``, accepting the camelCase spelling too."""
    if snake in d:
        return d[snake]
    head, *rest = snake.split("_")
    return d.get(head + "".join(p.capitalize() for p in rest))


def _is_discovery_response(d: Any) -> bool:
    if not isinstance(d, dict):
        return False
    if str(_get(d, "type_url") or "").endswith(_CLIENT_CONFIG):
        return True
    resources = d.get("resources")
    return isinstance(resources, list) and any(
        isinstance(r, dict) and str(r.get("@type", "")).endswith(_CLIENT_CONFIG) for r in resources[:5])


def _is_http_row(d: Any) -> bool:
    return isinstance(d, dict) and isinstance(d.get("proxy"), str) and any(k in d for k in _HTTP_ROW_KEYS)


def syncz_sniff(doc: Document) -> bool:
    """True when ``doc`` is istiod's syncz (XDS DiscoveryResponse(s) or ``/debug/syncz`` rows)."""
    data = doc.data
    if isinstance(data, dict):
        return _is_discovery_response(data)
    if isinstance(data, list) and data:
        return _is_discovery_response(data[0]) or _is_http_row(data[0])
    return False


# ---------------------------------------------------------------------------------- byte pre-checks
# What a member of an archive must contain (as bytes, before any parsing) to possibly be a capture of
# a kind: a command that needs only that kind (``ps`` needs a syncz) skips the rest unparsed, and says
# at once when the archive holds none.
_SYNCZ_MARKERS = (b"envoy.service.status.v3.ClientConfig", b"cluster_sent", b"proxy_type")


def might_be(kind: str, body: bytes) -> bool:
    """False when ``body`` cannot be a capture of ``kind`` (a cheap byte search; True when unsure)."""
    if kind == SYNCZ_KIND:
        return any(marker in body for marker in _SYNCZ_MARKERS)
    return True
