r"""JSON text as istioctl's Go code writes it, for ``-o json`` byte parity.

istioctl uses three JSON writers, and they differ in layout and escaping:

* ``marshal_indent`` — Go ``encoding/json.MarshalIndent(v, "", indent)`` over protojson output
  (``pc cluster/listener/route/eds/endpoint -o json``): the usual layout, ``{}``/``[]`` for empty
  containers, and HTML-safe strings (``<`` ``>`` ``&`` U+2028 U+2029 as ``\u003c`` ...);
  ``marshal`` is ``json.Marshal`` (the same, compact).
* ``protojson_indent`` — Go ``protojson`` with ``Indent`` (``pc ecds -o json``): the same layout,
  without HTML escaping.
* ``jsonpb_indent`` — the legacy ``github.com/golang/protobuf/jsonpb`` Marshaler with ``Indent``
  (``pc bootstrap/secret -o json``). It indents ``google.protobuf.Struct`` contents one level too
  deep (entries two levels below their key, the closing brace one level below), writes an empty
  message as ``{`` newline newline ``}``, and nests Struct values deeper still. To reproduce that the
  tree must say which objects are Structs and maps: wrap them in :class:`GoStruct` / :class:`GoMap`
  (and an ``Any`` holding a well-known type in :class:`GoAnyWkt`), or name the Struct fields by
  their path with ``is_struct``; plain dicts are messages.

Numbers follow Go: integers as written, floats in Go's shortest form (``1e+21``, ``1e-7``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any


class GoMap(dict[str, Any]):
    """A protobuf ``map<...>`` field value (keys are data; Go writes them sorted)."""


class GoStruct(dict[str, Any]):
    """A ``google.protobuf.Struct`` value (keys are data; Go writes them sorted)."""


class GoAnyWkt(dict[str, Any]):
    """An ``Any`` whose payload is a well-known type: ``{"@type": ..., "value": <payload>}``."""


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_HTML = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def go_string(s: str, *, html: bool = True) -> str:
    """A JSON string literal as Go writes it (``html``: encoding/json's HTML-safe escaping)."""
    out = ['"']
    for ch in s:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch < " ":
            out.append(f"\\u{ord(ch):04x}")
        elif html and ch in _HTML:
            out.append(_HTML[ch])
        elif "\ud800" <= ch <= "\udfff":
            out.append("\\ufffd")  # a lone surrogate is not UTF-8: Go writes the replacement rune
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def go_float(value: float) -> str:
    """A float64 as Go's encoding/json (and protojson) write it."""
    if math.isnan(value) or math.isinf(value):
        return go_string("NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity"))
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    text = repr(value)
    absolute = abs(value)
    if absolute < 1e-6 or absolute >= 1e21:
        mantissa, _, exponent = text.partition("e")
        if not exponent:  # repr chose positional notation: force exponent form
            mantissa, _, exponent = f"{Decimal(text):e}".partition("e")
            mantissa = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
        sign = "-" if exponent.startswith("-") else "+"
        digits = exponent.lstrip("+-").lstrip("0") or "0"
        return f"{mantissa}e{sign}{digits}"
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text.removesuffix(".0")


def _scalar(value: Any, html: bool) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, str):
        return go_string(value, html=html)
    return go_string(str(value), html=html)


def _items(obj: dict[str, Any]) -> list[tuple[str, Any]]:
    items = list(obj.items())
    if isinstance(obj, (GoMap, GoStruct)):
        items.sort(key=lambda kv: kv[0].encode("utf-8", "surrogatepass"))
    return items


# --- encoding/json Marshal, MarshalIndent and protojson -----------------------------------------
def marshal(value: Any, *, html: bool = True) -> str:
    """Go ``json.Marshal(value)`` of a JSON tree: compact, dicts in their order (a Go struct's fields)."""
    out: list[str] = []
    _standard(value, 0, None, html, out)
    return "".join(out)


def marshal_indent(value: Any, indent: str = "    ", *, html: bool = True) -> str:
    """Go ``json.MarshalIndent(value, "", indent)`` of a JSON tree (dicts keep their order)."""
    out: list[str] = []
    _standard(value, 0, indent, html, out)
    return "".join(out)


def protojson_indent(value: Any, indent: str = "    ") -> str:
    """Go ``protojson.MarshalOptions{Indent: indent}``: standard layout, no HTML escaping."""
    return marshal_indent(value, indent, html=False)


def _standard(value: Any, depth: int, indent: str | None, html: bool, out: list[str]) -> None:
    """``value`` at nesting ``depth``; ``indent`` None is ``json.Marshal``'s compact form."""
    inner = "" if indent is None else "\n" + indent * (depth + 1)
    close = "" if indent is None else "\n" + indent * depth
    if isinstance(value, dict):
        items = _items(value)
        if not items:
            out.append("{}")
            return
        out.append("{")
        colon = ":" if indent is None else ": "
        for i, (key, item) in enumerate(items):
            out.append(("," if i else "") + inner + go_string(str(key), html=html) + colon)
            _standard(item, depth + 1, indent, html, out)
        out.append(close + "}")
    elif isinstance(value, (list, tuple)):
        if not value:
            out.append("[]")
            return
        out.append("[")
        for i, item in enumerate(value):
            out.append(("," if i else "") + inner)
            _standard(item, depth + 1, indent, html, out)
        out.append(close + "]")
    else:
        out.append(_scalar(value, html))


# --- legacy jsonpb with Indent ----------------------------------------------------------------------
IsStruct = Callable[[tuple[str, ...]], bool]


def jsonpb_indent(message: dict[str, Any], indent: str = "    ", *, is_struct: IsStruct | None = None) -> str:
    """What ``jsonpb.Marshaler{Indent: indent}.MarshalToString(message)`` writes (see module doc).

    ``is_struct(path)`` names the ``google.protobuf.Struct`` fields of a tree that is not marked
    with :class:`GoStruct`: ``path`` is the field names from the top message (a list's items and a
    map's values have their field's path); a Struct's contents are ``Value`` s, not asked about.
    """
    if is_struct is not None:
        message = _mark_structs(message, (), is_struct)
    return _JsonPb(indent).message(message, "")


def _mark_structs(value: Any, path: tuple[str, ...], is_struct: IsStruct) -> Any:
    """``value`` (at ``path``) with the dicts ``is_struct`` names wrapped in :class:`GoStruct`."""
    if isinstance(value, list):
        return [_mark_structs(item, path, is_struct) for item in value]
    if not isinstance(value, dict) or isinstance(value, GoStruct):
        return value
    if path and is_struct(path):
        return GoStruct(value)
    if isinstance(value, GoMap):
        return GoMap({k: _mark_structs(v, path, is_struct) for k, v in value.items()})
    marked = {k: _mark_structs(v, (*path, str(k)), is_struct) for k, v in value.items()}
    return GoAnyWkt(marked) if isinstance(value, GoAnyWkt) else marked


class _JsonPb:
    """The legacy jsonpb writer's layout rules, one method per Go function they come from."""

    def __init__(self, indent: str) -> None:
        self.i = indent

    def message(self, msg: dict[str, Any], ind: str) -> str:  # marshalMessage
        if isinstance(msg, GoStruct):
            return self.struct(msg, ind)
        if isinstance(msg, GoAnyWkt):
            parts = [f"{ind}{self.i}\"@type\": {go_string(str(msg.get('@type', '')))}"]
            if "value" in msg:
                parts.append(f"{ind}{self.i}\"value\": {self.wkt(msg['value'], ind + self.i)}")
            return "{\n" + ",\n".join(parts) + "\n" + ind + "}"
        parts = [f"{ind}{self.i}{go_string(str(k))}: {self.field(v, ind)}" for k, v in msg.items()]
        return "{\n" + ",\n".join(parts) + "\n" + ind + "}"

    def wkt(self, value: Any, ind: str) -> str:  # marshalMessage of a well-known type at ``ind``
        if isinstance(value, dict):
            return self.struct(value, ind)
        if isinstance(value, list):  # ListValue: its ``values`` list at ``ind``
            return self.values_list(value, ind)
        return _scalar(value, True)

    def field(self, value: Any, ind: str) -> str:  # marshalValue, ``ind`` = the message's indent
        if isinstance(value, list):
            body = ",".join(f"\n{ind}{self.i}{self.i}{self.singular(v, ind + self.i)}" for v in value)
            return "[" + body + f"\n{ind}{self.i}]"
        if isinstance(value, GoMap):
            body = ",".join(f"\n{ind}{self.i}{self.i}{go_string(str(k))}: {self.singular(v, ind + self.i)}"
                            for k, v in _items(value))
            return "{" + body + f"\n{ind}{self.i}}}"
        return self.singular(value, ind)

    def singular(self, value: Any, ind: str) -> str:  # marshalSingularValue
        if isinstance(value, dict):
            return self.message(value, ind + self.i)
        if isinstance(value, list):  # a list in a list: no proto field is one; laid out as a field's
            return self.field(value, ind)
        return _scalar(value, True)

    def struct(self, struct: dict[str, Any], ind: str) -> str:  # Struct: its ``fields`` map at ``ind``
        body = ",".join(f"\n{ind}{self.i}{self.i}{go_string(str(k))}: {self.value(v, ind + self.i + self.i)}"
                        for k, v in _items(GoStruct(struct)))
        return "{" + body + f"\n{ind}{self.i}}}"

    def value(self, value: Any, ind: str) -> str:  # a google.protobuf.Value message at ``ind``
        if isinstance(value, dict):
            return self.struct(value, ind + self.i)
        if isinstance(value, list):
            return self.values_list(value, ind + self.i)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return go_float(float(value))  # Value numbers are doubles
        return _scalar(value, True)

    def values_list(self, values: list[Any], ind: str) -> str:  # ListValue.values at ``ind``
        body = ",".join(f"\n{ind}{self.i}{self.i}{self.value(v, ind + self.i + self.i)}" for v in values)
        return "[" + body + f"\n{ind}{self.i}]"
