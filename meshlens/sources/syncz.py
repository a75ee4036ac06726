"""istiod syncz loader: both forms into :class:`~meshlens.models.istiod.IstiodState`.

Recognised by content:

* XDS form: a DiscoveryResponse (or a list of them, one per istiod) whose ``typeUrl`` or resource
  ``@type`` is ``envoy.service.status.v3.ClientConfig`` (``istioctl proxy-status -o json|yaml``).
* HTTP form: a JSON array of rows with ``proxy`` plus ``resources`` / ``cluster_id`` /
  ``proxy_type`` / ``*_sent`` (istiod ``/debug/syncz``).

Which istiod a row came from: ``controlPlane.identifier``'s ``ID`` for the XDS form; for the HTTP
form the istiod pod of the path ``<istiod-pod>/debug/syncz`` (as a bug-report lays it out), else
unknown. Several documents add rows to the one ``IstiodState``.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import ValidationError

from meshlens.models.base import ML0007_MALFORMED_RESOURCE, Location, Severity
from meshlens.models.casing import camel_to_snake
from meshlens.models.istiod import (
    CDS,
    ECDS,
    EDS,
    LDS,
    RDS,
    ControlPlane,
    IstiodState,
    ProxySync,
    SyncStatus,
    TypeSync,
    derive_status,
)
from meshlens.models.names import NodeId
from meshlens.sources.builder import SnapshotBuilder
from meshlens.sources.read import Document
from meshlens.sources.sniff import SYNCZ_KIND, _get, _is_discovery_response, _is_http_row, syncz_sniff

KIND = SYNCZ_KIND
sniff = syncz_sniff  # the loader protocol's name for it
# HTTP rows before the ``resources`` map: per-type nonce pairs.
_HTTP_PAIRS = (("cluster", CDS), ("listener", LDS), ("route", RDS), ("endpoint", EDS),
               ("extensionconfig", ECDS))
# Legacy ClientConfig ``xdsConfig[]`` (PerXdsConfig): which oneof key means which type.
_LEGACY_KEYS = {"listener_config": LDS, "cluster_config": CDS, "route_config": RDS,
                "scoped_route_config": "type.googleapis.com/envoy.config.route.v3.ScopedRouteConfiguration",
                "endpoint_config": EDS}


def istiod_from_location(location: Location) -> tuple[str | None, str | None]:
    """(istiod pod, namespace) from a path ending ``<ns>/<istiod-pod>/debug/syncz``, else (None, None)."""
    path = (location.member or location.file or "").replace("\\", "/")
    parts = [p for p in path.split("/") if p and p != "."]
    if len(parts) >= 3 and parts[-2] == "debug" and parts[-1].startswith("syncz"):
        return parts[-3], (parts[-4] if len(parts) >= 4 else None)
    return None, None


# ---------------------------------------------------------------------------------- XDS form
def _control_plane(response: dict[str, Any], location: Location) -> ControlPlane | None:
    plane = _get(response, "control_plane")
    if not isinstance(plane, dict) or not plane.get("identifier"):
        return None
    identifier = str(plane["identifier"])
    try:
        parsed = orjson.loads(identifier)
    except orjson.JSONDecodeError:
        parsed = None
    head = {k: v for k, v in response.items() if k != "resources"}  # kept for -o json/yaml
    if not isinstance(parsed, dict):
        return ControlPlane(id=identifier, location=location, response=head)
    info = found if isinstance(found := parsed.get("Info"), dict) else {}
    return ControlPlane(id=str(parsed.get("ID") or identifier), component=parsed.get("Component"),
                        info=info, location=location, response=head)


def _fold(types: dict[str, TypeSync], entry: TypeSync) -> None:
    """Keep one entry per type: the worst status (a ClientConfig may list a type per resource)."""
    known = types.get(entry.type_url)
    if known is None or entry.status.rank > known.status.rank:
        types[entry.type_url] = entry


def _xds_types(resource: dict[str, Any]) -> dict[str, TypeSync]:
    types: dict[str, TypeSync] = {}
    for item in _get(resource, "generic_xds_configs") or []:
        if not isinstance(item, dict):
            continue
        url = _get(item, "type_url")
        if not url:
            continue
        error = _get(item, "error_state")
        _fold(types, TypeSync(
            type_url=url, status=SyncStatus.from_config_status(_get(item, "config_status")),
            last_error=(_get(error, "details") or None) if isinstance(error, dict) else None,
            last_updated=_get(item, "last_updated"), version_info=_get(item, "version_info"),
        ))
    for item in _get(resource, "xds_config") or []:  # legacy PerXdsConfig
        if not isinstance(item, dict):
            continue
        keys = {camel_to_snake(k) for k in item}
        url = next((u for k, u in _LEGACY_KEYS.items() if k in keys), None)
        if url is not None:
            _fold(types, TypeSync(type_url=url, status=SyncStatus.from_config_status(item.get("status"))))
    return types


def _xds_row(resource: dict[str, Any], plane: ControlPlane | None, location: Location) -> ProxySync:
    node = found if isinstance(found := resource.get("node"), dict) else {}
    metadata = found if isinstance(found := node.get("metadata"), dict) else {}
    proxy = str(node.get("id") or "")
    parsed = NodeId.parse(proxy)
    proxy_type = parsed.type if parsed.kind == "node" else None
    return ProxySync(
        proxy=proxy, cluster_id=metadata.get("CLUSTER_ID"), proxy_type=proxy_type,
        istio_version=metadata.get("ISTIO_VERSION"), namespace=metadata.get("NAMESPACE"),
        istiod=plane.id if plane is not None else None, metadata=metadata, types=_xds_types(resource),
        form="xds", location=location, raw=resource,
    )


# --------------------------------------------------------------------------------- HTTP form
def _http_types(row: dict[str, Any]) -> dict[str, TypeSync]:
    types: dict[str, TypeSync] = {}
    resources = found if isinstance(found := row.get("resources"), dict) else {}
    for url, entry in resources.items():
        if not isinstance(entry, dict):
            continue
        sent, acked, error = entry.get("sent"), entry.get("acked"), _get(entry, "last_error")
        types[url] = TypeSync(type_url=url, status=derive_status(sent, acked, error), nonce_sent=sent or None,
                              nonce_acked=acked or None, last_error=error or None,
                              sent_at=_get(entry, "sent_time") or None)
    for prefix, url in _HTTP_PAIRS:  # older istiods: top-level nonce pairs only
        sent_key, acked_key = f"{prefix}_sent", f"{prefix}_acked"
        if url in types or (sent_key not in row and acked_key not in row):
            continue
        sent, acked = row.get(sent_key), row.get(acked_key)
        types[url] = TypeSync(type_url=url, status=derive_status(sent, acked), nonce_sent=sent or None,
                              nonce_acked=acked or None)
    return types


def _http_row(row: dict[str, Any], istiod: str | None, location: Location) -> ProxySync:
    proxy = str(row.get("proxy") or "")
    namespace = proxy.rpartition(".")[2] if "." in proxy and "~" not in proxy else None
    return ProxySync(
        proxy=proxy, cluster_id=row.get("cluster_id") or None, proxy_type=row.get("proxy_type") or None,
        istio_version=row.get("istio_version") or None, proxy_version=row.get("proxy_version") or None,
        namespace=namespace, istiod=istiod, types=_http_types(row), form="http", location=location,
    )


# ---------------------------------------------------------------------------------------- load
def _malformed(builder: SnapshotBuilder, location: Location, exc: Exception) -> None:
    detail = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
    builder.finding(ML0007_MALFORMED_RESOURCE, Severity.WARNING, f"syncz entry skipped: {detail}",
                    location=location, kind="syncz")


def _load_responses(responses: list[Any], base: str, doc: Document, state: IstiodState,
                    builder: SnapshotBuilder) -> None:
    for r_index, response in enumerate(responses):
        if not isinstance(response, dict):
            continue
        prefix = f"{base}[{r_index}]" if base else "$"
        plane = _control_plane(response, doc.location.child(prefix[1:] + ".controlPlane"))
        if plane is not None:
            plane = state.add_control_plane(plane)
        for i, resource in enumerate(response.get("resources") or []):
            location = doc.location.child(f"{prefix[1:]}.resources[{i}]")
            if not isinstance(resource, dict):
                continue
            try:
                state.sync.append(_xds_row(resource, plane, location))
            except (ValidationError, TypeError, ValueError) as exc:
                _malformed(builder, location, exc)


def load(doc: Document, builder: SnapshotBuilder) -> None:
    """Load istiod's syncz into ``builder``'s istiod state (one sync row per proxy)."""
    state = builder.istiod()
    data = doc.data
    if isinstance(data, dict):
        _load_responses([data], "", doc, state, builder)
        return
    if _is_discovery_response(data[0]):
        _load_responses(data, "$", doc, state, builder)
        return
    pod, namespace = istiod_from_location(doc.location)
    if pod is not None:
        state.add_control_plane(ControlPlane(id=pod, namespace=namespace, component="istiod",
                                             location=doc.location))
    for i, row in enumerate(data):
        location = doc.location.child(f"[{i}]")
        if not _is_http_row(row):
            _malformed(builder, location, ValueError("not a syncz row (no 'proxy')"))
            continue
        try:
            state.sync.append(_http_row(row, pod, location))
        except (ValidationError, TypeError, ValueError) as exc:
            _malformed(builder, location, exc)
