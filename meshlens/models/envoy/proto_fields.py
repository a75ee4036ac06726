"""Envoy's protobuf messages as field lists in ``.proto`` declaration order (from ``proto_fields.json``).

Go's protobuf JSON writers (istioctl) write a message's fields in declaration order, leave default
values out, and sort map keys; Envoy's admin writes field-number order. Which fields a message has,
in which order, and which of them are maps, enums or scalars without presence is a fact of Envoy's
API that only its protos know: ``scripts/gen_proto_fields.py`` extracts it from the PyPI
``xds-protos`` descriptors into the committed ``proto_fields.json`` (so this needs no protobuf
runtime). Types outside Envoy's API (Istio's own filters, e.g. ``istio.*`` or ``stats.PluginConfig``)
are not in it: :func:`message` returns None for them and callers report that.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import orjson

_TABLE = Path(__file__).with_name("proto_fields.json")

# google.protobuf types with a special JSON form (not an object of their fields)
SCALAR_WKT = frozenset({
    "google.protobuf.Duration", "google.protobuf.Timestamp", "google.protobuf.FieldMask",
    "google.protobuf.DoubleValue", "google.protobuf.FloatValue", "google.protobuf.Int64Value",
    "google.protobuf.UInt64Value", "google.protobuf.Int32Value", "google.protobuf.UInt32Value",
    "google.protobuf.BoolValue", "google.protobuf.StringValue", "google.protobuf.BytesValue",
})
STRUCT_WKT = frozenset({"google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue"})
ANY = "google.protobuf.Any"


@dataclass(frozen=True)
class ProtoField:
    """One field of a message: its names, what it holds, and its place in declaration order."""

    name: str  # snake_case, as Envoy's admin writes it
    json_name: str  # lowerCamelCase, as protojson writes it
    kind: str  # "m" message, "map", "e" enum, "s" scalar without presence, "o" scalar with presence
    value: str  # message type ("m"; "map": value message type or "" for scalars), enum zero name ("e")
    repeated: bool
    index: int

    def is_default(self, value: object) -> bool:
        """True when proto3 leaves ``value`` out of this field's JSON (empty, zero, the enum's zero)."""
        if self.repeated or self.kind == "map":
            return value in ([], {}, None)
        if self.kind == "s":
            return value in ("", 0, False, None)
        if self.kind == "e":
            return value in (self.value, 0, None)
        return value is None


@dataclass(frozen=True)
class ProtoMessage:
    """A message type: its fields in declaration order, found by either spelling of their name."""

    full_name: str
    fields: tuple[ProtoField, ...]
    by_name: dict[str, ProtoField]


@lru_cache(maxsize=1)
def _raw_table() -> dict[str, list[list[str]]]:
    table: dict[str, list[list[str]]] = orjson.loads(_TABLE.read_bytes())["messages"]
    return table


@lru_cache(maxsize=4096)
def message(full_name: str) -> ProtoMessage | None:
    """The message ``full_name`` (``envoy.config.cluster.v3.Cluster``), None when not in Envoy's API."""
    rows = _raw_table().get(full_name)
    if rows is None:
        return None
    fields = tuple(ProtoField(name, json_name, kind.rstrip("*"), value, kind.endswith("*"), i)
                   for i, (name, json_name, kind, value) in enumerate(rows))
    by_name = {f.name: f for f in fields} | {f.json_name: f for f in fields}
    return ProtoMessage(full_name, fields, by_name)


def table_source() -> str:
    """Which ``xds-protos`` release the table was generated from."""
    source: str = orjson.loads(_TABLE.read_bytes())["source"]
    return source


@lru_cache(maxsize=1)
def _sensitive_table() -> dict[str, frozenset[str]]:
    raw: dict[str, list[str]] = orjson.loads(_TABLE.read_bytes())["sensitive"]
    out: dict[str, frozenset[str]] = {}
    for type_name, names in raw.items():
        msg = message(type_name)
        spellings = {n for n in names}
        if msg is not None:
            spellings |= {msg.by_name[n].json_name for n in names if n in msg.by_name}
        out[type_name] = frozenset(spellings)
    return out


def sensitive_fields(type_name: str) -> frozenset[str]:
    """The fields of ``type_name`` Envoy's API marks sensitive (both spellings); Envoy prints them
    as ``[redacted]``.
    """
    return _sensitive_table().get(type_name, frozenset())


@lru_cache(maxsize=1)
def sensitive_by_parent() -> dict[str, frozenset[str]]:
    """Field name -> the sensitive fields of the message it holds, for trees whose types are unknown.

    ``{"tls_certificates": {"private_key", "password", "pkcs12", ...}, "generic_secret": {"secret",
    ...}}``: a message with sensitive fields is reached through these fields (both spellings).
    """
    holders = _sensitive_table()
    rules: dict[str, set[str]] = {}
    for type_name in _raw_table():
        msg = message(type_name)
        assert msg is not None
        for f in msg.fields:
            if f.kind in ("m", "map") and f.value in holders:
                for name in (f.name, f.json_name):
                    rules.setdefault(name, set()).update(holders[f.value])
    return {k: frozenset(v) for k, v in rules.items()}


def sensitive_holders() -> dict[str, frozenset[str]]:
    """Message type -> its sensitive fields (both spellings), for every type that has some."""
    return dict(_sensitive_table())


@lru_cache(maxsize=1)
def _reaching() -> frozenset[str]:
    """Message types whose subtree can hold a sensitive field or an ``Any`` (whose payload can),
    following message fields but not ``google.protobuf.Struct`` data (no fields of Envoy's API).
    """
    holders = set(_sensitive_table())
    children: dict[str, set[str]] = {}
    for type_name in _raw_table():
        msg = message(type_name)
        assert msg is not None
        children[type_name] = {f.value for f in msg.fields if f.kind in ("m", "map") and f.value}
    reach = holders | {ANY}
    changed = True
    while changed:
        changed = False
        for type_name, kids in children.items():
            if type_name not in reach and kids & reach:
                reach.add(type_name)
                changed = True
    return frozenset(reach)


def may_hold_sensitive(type_name: str) -> bool:
    """False when no value of ``type_name`` can hold a sensitive field (walks may skip it)."""
    return type_name in _reaching() or message(type_name) is None
