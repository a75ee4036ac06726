"""A protojson tree re-marshalled as Go's protobuf writers would: declaration order, defaults left out.

istioctl parses JSON into typed messages and writes them back, so what it prints depends only on
the message, never on the input's key order or spelling: fields come in ``.proto`` declaration
order with camelCase names, default values are left out, and map keys and ``google.protobuf.Struct``
contents are sorted (marked here with :class:`GoMap` / :class:`GoStruct` for the Go-compatible
writers in :mod:`meshlens.encoding.gojson`). The field lists come from
:mod:`meshlens.models.envoy.proto_fields`. What it cannot place (a type outside Envoy's API, a field
the type does not have) keeps the input's order, in camelCase, after the known fields, and is
reported in ``notes`` — never silently taken as matching.
"""

from __future__ import annotations

from typing import Any

from meshlens.encoding.gojson import GoAnyWkt, GoMap, GoStruct
from meshlens.models.casing import snake_to_camel, to_camel_tree
from meshlens.models.envoy.proto_fields import ANY, SCALAR_WKT, STRUCT_WKT, ProtoMessage, message


class ProtoOrderer:
    """Re-marshals trees; ``notes`` collects one line per type or field it could not place."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        self._noted: set[str] = set()

    def _note(self, key: str, text: str) -> None:
        if key not in self._noted:
            self._noted.add(key)
            self.notes.append(text)

    def tree(self, value: Any, type_name: str, path: str = "$") -> Any:
        """``value`` (a JSON tree of message ``type_name``, snake_case or camelCase) in Go's form."""
        if type_name == ANY:
            return self._any(value, path)
        if type_name in STRUCT_WKT:
            return _struct_value(value)
        if type_name in SCALAR_WKT or not isinstance(value, dict):
            return value
        msg = message(type_name)
        if msg is None:
            self._note(type_name, f"{path}: message type {type_name} is not in Envoy's API table; "
                                  "its fields keep the capture's order")
            return to_camel_tree(value)
        return self._message(value, msg, path)

    def _message(self, obj: dict[str, Any], msg: ProtoMessage, path: str, type_url: str | None = None) -> Any:
        placed: list[tuple[int, str, Any]] = []
        unknown: list[tuple[str, Any]] = []
        for key, value in obj.items():
            if key == "@type":
                continue
            field = msg.by_name.get(key)
            if field is None:
                self._note(f"{msg.full_name}.{key}", f"{path}.{key}: {msg.full_name} has no field {key!r} in "
                                                     "Envoy's API table; kept after the known fields")
                unknown.append((snake_to_camel(key), to_camel_tree(value)))
                continue
            if field.is_default(value):
                continue
            placed.append((field.index, field.json_name, self._field(value, field.kind, field.value,
                                                                     field.repeated, f"{path}.{field.json_name}")))
        placed.sort(key=lambda item: item[0])
        out: dict[str, Any] = {"@type": type_url} if type_url is not None else {}
        out.update((name, value) for _, name, value in placed)
        out.update(unknown)
        return out

    def _field(self, value: Any, kind: str, value_type: str, repeated: bool, path: str) -> Any:
        if kind == "map":
            if not isinstance(value, dict):
                return value
            if not value_type:
                return GoMap(value)
            return GoMap({k: self.tree(v, value_type, f"{path}[{k!r}]") for k, v in value.items()})
        if kind != "m":
            return value
        if repeated and isinstance(value, list):
            return [self.tree(item, value_type, f"{path}[{i}]") for i, item in enumerate(value)]
        return self.tree(value, value_type, path)

    def _any(self, value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            return value
        type_url = value.get("@type")
        if not isinstance(type_url, str):
            self._note(f"{path}@type", f"{path}: an Any without @type; kept as given")
            return to_camel_tree(value)
        name = type_url.rpartition("/")[2]
        if name in SCALAR_WKT or name in STRUCT_WKT:
            wkt = GoAnyWkt({"@type": type_url})
            if "value" in value:
                wkt["value"] = _struct_value(value["value"]) if name in STRUCT_WKT else value["value"]
            return wkt
        msg = message(name)
        if msg is None:
            self._note(name, f"{path}: message type {name} is not in Envoy's API table; its fields keep "
                             "the capture's order")
            return {"@type": type_url, **{k: v for k, v in to_camel_tree(value).items() if k != "@type"}}
        return self._message(value, msg, path, type_url)


def _struct_value(value: Any) -> Any:
    if isinstance(value, dict):
        return GoStruct({k: _struct_value(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_struct_value(item) for item in value]
    return value
