"""Resources as istioctl's ``-o json`` writes them: camelCase field names, map and Struct keys as data.

istioctl re-marshals the resources it reads with Go's protobuf JSON writers, so field names become
camelCase while map keys and ``google.protobuf.Struct`` contents keep their spelling (and are
written in sorted order). Which objects are maps or Structs is a fact of the Envoy API, listed
once in :mod:`meshlens.models.casing`; the result marks them with :class:`~meshlens.encoding.gojson.GoMap` /
:class:`~meshlens.encoding.gojson.GoStruct` so the Go-compatible writers lay them out as Go does.

Message fields keep the order the dump gives them (Envoy prints them in field-number order; Go's
writers use ``.proto`` declaration order, which differs only for a few messages, e.g. ``Cluster``
declares ``transport_socket_matches`` first).
"""

from __future__ import annotations

from typing import Any

from meshlens.encoding.gojson import GoAnyWkt, GoMap, GoStruct
from meshlens.models.casing import (
    MAP_OF_MESSAGES,
    MAP_OF_SCALARS,
    MAP_OF_STRUCTS,
    STRUCTS,
    STRUCTS_UNDER,
    TYPED_STRUCTS,
    camel_to_snake,
    snake_to_camel,
)

_WKT_PREFIX = "google.protobuf."
_WKT = frozenset({"Struct", "Value", "ListValue", "Duration", "Timestamp", "StringValue", "BytesValue",
                  "BoolValue", "Int32Value", "UInt32Value", "Int64Value", "UInt64Value", "FloatValue",
                  "DoubleValue"})


def to_go(resource: dict[str, Any], *, drop_type: bool = True) -> dict[str, Any]:
    """``resource`` (snake_case or camelCase) as istioctl prints it; ``drop_type`` removes the top
    ``@type`` (istioctl unpacks the ``Any`` into its typed message before printing).
    """
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
        if name in TYPED_STRUCTS:
            return {snake_to_camel(camel_to_snake(k)): (_struct(v) if k == "value" else v) for k, v in obj.items()}
    structs_here = STRUCTS_UNDER.get(parent or "", frozenset())
    out: dict[str, Any] = {}
    for key, value in obj.items():
        if key == "@type":
            out[key] = value
            continue
        canon = camel_to_snake(key)
        name = snake_to_camel(canon)
        if isinstance(value, dict) and canon in MAP_OF_STRUCTS:
            out[name] = GoMap({k: _struct(v) for k, v in value.items()})
        elif isinstance(value, dict) and canon in MAP_OF_SCALARS:
            out[name] = GoMap(value)
        elif isinstance(value, dict) and canon in MAP_OF_MESSAGES:
            out[name] = GoMap({k: _any(v, canon) for k, v in value.items()})
        elif canon in STRUCTS or canon in structs_here:
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
