"""``proxy-status -o json|yaml``: the syncz DiscoveryResponse(s), one per istiod, as istioctl prints them.

istioctl prints what each istiod answered to its ``istio.io/debug/syncz`` request: a
``DiscoveryResponse`` whose resources are ``envoy.service.status.v3.ClientConfig`` (camelCase, jsonpb
field order), keeping only the proxies whose node metadata ``NAMESPACE`` is ``-n``.

* XDS form: each response is rebuilt from the loaded model (node id and metadata as captured, one
  ``genericXdsConfigs`` entry per type in capture order with ``typeUrl``, ``versionInfo``,
  ``lastUpdated``, ``configStatus`` and ``errorState.details``). The model does not keep the
  response's own ``versionInfo``/``nonce`` nor ClientConfig fields it does not model; when a row
  carries the captured resource as ``raw`` (and its control plane the response as ``response``),
  those are printed verbatim instead.
* HTTP form (``/debug/syncz``): converted into the response istiod's XDS generator would have sent:
  ``node.id`` = ``proxy``, ``node.metadata`` = ``CLUSTER_ID``/``ISTIO_VERSION``/``NAMESPACE``
  (all the HTTP form tells of the metadata), ``configStatus`` derived from the nonces and
  ``lastError``, ``lastUpdated`` = ``sentTime``, ``errorState.details`` = ``lastError``;
  ``controlPlane.identifier`` names the istiod pod of the archive path.
"""

from __future__ import annotations

from typing import Any

from meshlens.encoding.gojson import marshal
from meshlens.models.istiod import ControlPlane, IstiodState, ProxySync, SyncStatus, TypeSync
from meshlens.views.status._time import go_timestamp, to_ns

CLIENT_CONFIG = "type.googleapis.com/envoy.service.status.v3.ClientConfig"
# istio's IstioControlPlaneInstance.Info (version.BuildInfo) JSON keys, in Go struct order.
_BUILD_INFO_KEYS = ("version", "revision", "golang_version", "status", "tag")


def is_struct(path: tuple[str, ...]) -> bool:
    """``ClientConfig.node.metadata`` is a ``google.protobuf.Struct`` (jsonpb indents it its own way)."""
    return path[-2:] == ("node", "metadata")


def identifier(plane: ControlPlane) -> str:
    """``controlPlane.identifier``: ``json.Marshal(IstioControlPlaneInstance{Component, ID, Info})``."""
    if plane.component is None and not plane.info:
        return plane.id  # the capture's identifier was not JSON: it is the id itself
    info = {key: plane.info.get(key, "") for key in _BUILD_INFO_KEYS}
    info.update({k: v for k, v in plane.info.items() if k not in info})
    return marshal({"Component": plane.component or "", "ID": plane.id, "Info": info})


def _generic_config(entry: TypeSync) -> dict[str, Any]:
    """One ``ClientConfig.GenericXdsConfig`` (proto field order; zero values omitted as jsonpb does)."""
    config: dict[str, Any] = {"typeUrl": entry.type_url}
    if entry.version_info:
        config["versionInfo"] = entry.version_info
    if entry.time is not None:
        config["lastUpdated"] = go_timestamp(to_ns(entry.time))
    if entry.status is not SyncStatus.IGNORED:  # UNKNOWN is the enum's zero value: omitted
        config["configStatus"] = entry.status.value
    if entry.last_error:
        config["errorState"] = {"details": entry.last_error}
    return config


def client_config(row: ProxySync) -> dict[str, Any]:
    """The ``ClientConfig`` resource of one proxy (an ``Any``: ``@type`` first)."""
    raw = getattr(row, "raw", None)
    if isinstance(raw, dict):
        return raw
    node: dict[str, Any] = {}
    if row.proxy:
        node["id"] = row.proxy
    metadata = dict(row.metadata)
    if row.form != "xds":
        derived = {"CLUSTER_ID": row.cluster_id, "ISTIO_VERSION": row.istio_version, "NAMESPACE": row.namespace}
        metadata = {k: v for k, v in derived.items() if v}
    if metadata:
        node["metadata"] = metadata
    types = list(row.types.values())
    if row.form != "xds":
        types.sort(key=lambda t: t.type_url)
    resource: dict[str, Any] = {"@type": CLIENT_CONFIG}
    if node:
        resource["node"] = node
    configs = [_generic_config(t) for t in types]
    if configs:
        resource["genericXdsConfigs"] = configs
    return resource


def _response(plane: ControlPlane | None, rows: list[ProxySync]) -> dict[str, Any]:
    captured = getattr(plane, "response", None) if plane is not None else None
    captured = captured if isinstance(captured, dict) else {}
    response: dict[str, Any] = {}
    if captured.get("versionInfo"):
        response["versionInfo"] = captured["versionInfo"]
    if rows:
        response["resources"] = [client_config(row) for row in rows]
    response["typeUrl"] = captured.get("typeUrl") or CLIENT_CONFIG
    if captured.get("nonce"):
        response["nonce"] = captured["nonce"]
    if plane is not None:
        response["controlPlane"] = {"identifier": identifier(plane)}
    return response


def responses(state: IstiodState, rows: list[ProxySync]) -> list[dict[str, Any]]:
    """One DiscoveryResponse per istiod (sorted by istiod id; rows without one last), with ``rows``
    (already filtered) as its resources in capture order. Istiods left with no proxy still answer.
    """
    planes = {plane.id: plane for plane in state.control_planes}
    by_istiod: dict[str | None, list[ProxySync]] = {key: [] for key in planes}
    for row in rows:
        by_istiod.setdefault(row.istiod, []).append(row)
    order = sorted(by_istiod, key=lambda key: (key is None, key or ""))
    out: list[dict[str, Any]] = []
    for key in order:
        plane = planes.get(key) if key is not None else None
        if plane is None and key is not None:
            plane = ControlPlane(id=key, component="istiod")
        out.append(_response(plane, by_istiod[key]))
    return out
