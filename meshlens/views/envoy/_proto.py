"""Resources as istioctl's ``-o json`` writes them: camelCase field names, map and Struct keys as data.

istioctl re-marshals the resources it reads with Go's protobuf JSON writers, so field names become
camelCase while map keys and ``google.protobuf.Struct`` contents keep their spelling (and are
written in sorted order). Which objects are maps or Structs is a fact of the Envoy API, listed
here once; the result marks them with :class:`~meshlens.render.gojson.GoMap` /
:class:`~meshlens.render.gojson.GoStruct` so the Go-compatible writers lay them out as Go does.

Message fields keep the order the dump gives them (Envoy prints them in field-number order; Go's
writers use ``.proto`` declaration order, which differs only for a few messages, e.g. ``Cluster``
declares ``transport_socket_matches`` first).
"""

from __future__ import annotations

from typing import Any

from meshlens.models.casing import camel_to_snake, snake_to_camel
from meshlens.render.gojson import GoAnyWkt, GoMap, GoStruct

# map<string, Struct>
_MAP_OF_STRUCTS = frozenset({"filter_metadata", "per_filter_config"})
# map<string, string|number>
_MAP_OF_SCALARS = frozenset({"key_values", "labels", "context_extensions", "request_headers_to_add_map"})
# map<string, message> (usually Any)
_MAP_OF_MESSAGES = frozenset({
    "typed_filter_metadata", "typed_extension_protocol_options", "typed_per_filter_config", "policies",
    "named_endpoints", "providers", "requirement_map", "certificate_provider_instances", "source_codes",
    "dynamic_parameters",
})
# google.protobuf.Struct fields
_STRUCTS = frozenset({"default_subset", "json_format", "static_layer"})
_STRUCTS_UNDER = {
    "node": frozenset({"metadata"}),
    "user_agent_build_version": frozenset({"metadata"}),
    "transport_socket_matches": frozenset({"match"}),
}
_WKT_PREFIX = "google.protobuf."
_WKT = frozenset({"Struct", "Value", "ListValue", "Duration", "Timestamp", "StringValue", "BytesValue",
                  "BoolValue", "Int32Value", "UInt32Value", "Int64Value", "UInt64Value", "FloatValue",
                  "DoubleValue"})
_TYPED_STRUCTS = ("udpa.type.v1.TypedStruct", "xds.type.v3.TypedStruct")


def to_go(resource: dict[str, Any], *, drop_type: bool = True) -> dict[str, Any]:
    """``resource`` (snake_case or camelCase) as istioctl prints it; ``drop_type`` removes the top
    ``@type`` (istioctl unpacks the ``Any`` into its typed message before printing)."""
    out = _message(resource, None)
    if drop_type:
        out.pop("@type", None)
    return out


def _message(obj: dict[str, Any], parent: str | None) -> dict[str, Any]:
    type_url = obj.get("@type")
    if isinstance(type_url, str):
        name = type_url.rpartition("/")[2]
        if name.startswith(_WKT_PREFIX) and name[len(_WKT_PREFIX):] in _WKT:
            wkt = GoAnyWkt({"@type": type_url})
            if "value" in obj:
                wkt["value"] = _struct_value(obj["value"])
            return wkt
        if name in _TYPED_STRUCTS:
            return {snake_to_camel(camel_to_snake(k)): (_struct(v) if k == "value" else v) for k, v in obj.items()}
    structs_here = _STRUCTS_UNDER.get(parent or "", frozenset())
    out: dict[str, Any] = {}
    for key, value in obj.items():
        if key == "@type":
            out[key] = value
            continue
        canon = camel_to_snake(key)
        name = snake_to_camel(canon)
        if isinstance(value, dict) and canon in _MAP_OF_STRUCTS:
            out[name] = GoMap({k: _struct(v) for k, v in value.items()})
        elif isinstance(value, dict) and canon in _MAP_OF_SCALARS:
            out[name] = GoMap(value)
        elif isinstance(value, dict) and canon in _MAP_OF_MESSAGES:
            out[name] = GoMap({k: _any(v, canon) for k, v in value.items()})
        elif canon in _STRUCTS or canon in structs_here:
            out[name] = _struct(value)
        else:
            out[name] = _any(value, canon)
    return out


def _any(value: Any, parent: str | None) -> Any:
    if isinstance(value, dict):
        return _message(value, parent)
    if isinstance(value, list):
        return [_any(item, parent) for item in value]
    return value


def _struct(value: Any) -> Any:
    return GoStruct({k: _struct_value(v) for k, v in value.items()}) if isinstance(value, dict) else value


def _struct_value(value: Any) -> Any:
    if isinstance(value, dict):
        return _struct(value)
    if isinstance(value, list):
        return [_struct_value(item) for item in value]
    return value
