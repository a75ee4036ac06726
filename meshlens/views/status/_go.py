"""What Go prints for proxy-status: k8s ``HumanDuration``, jsonpb indentation, ``sigs.k8s.io/yaml``.

* :func:`human_duration`: ``k8s.io/apimachinery/pkg/util/duration.HumanDuration``, which istioctl's
  ``formatStatus`` uses for the age suffix (``SYNCED (3m2s)``); not Go's ``time.Duration.String``.
* :func:`jsonpb_dumps`: ``github.com/golang/protobuf/jsonpb`` with a 4-space indent (istio's
  ``protomarshal.ToJSONWithIndent``), including its quirk of indenting a ``google.protobuf.Struct``
  (``node.metadata``) one level deeper than other maps.
* :func:`json_to_yaml`: ``sigs.k8s.io/yaml.JSONToYAML`` (go-yaml v2: keys in its "natural" order,
  strings that would read as another type double-quoted, multi-line strings as literal blocks).

Instants are integers: nanoseconds since the Unix epoch, as Go keeps them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from functools import cmp_to_key
from typing import Any

import yaml

_NS = 1_000_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


# ------------------------------------------------------------------------------------- time
def to_ns(when: datetime) -> int:
    """``when`` (naive = UTC) as nanoseconds since the epoch, exactly."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    delta = when - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * _NS + delta.microseconds * 1_000


_RFC3339 = re.compile(r"(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})")


def parse_rfc3339_ns(text: str) -> int | None:
    """An RFC 3339 time (up to 9 fractional digits) as epoch nanoseconds; None when it is not one."""
    match = _RFC3339.fullmatch(text.strip())
    if match is None:
        return None
    day, clock, fraction, zone = match.groups()
    zone = "+00:00" if zone in ("Z", "z") else zone
    try:
        whole = datetime.fromisoformat(f"{day}T{clock}{zone}")
    except ValueError:
        return None
    return to_ns(whole) + int((fraction or "0").ljust(9, "0"))


def _trunc_div(a: int, b: int) -> int:
    """Go integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def human_duration(ns: int) -> str:
    """k8s ``duration.HumanDuration(d)`` for a duration of ``ns`` nanoseconds (~2-3 significant figures)."""
    whole = _trunc_div(ns, _NS)
    seconds = int(float(whole) + float(ns - whole * _NS) / 1e9)  # int(d.Seconds())
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 60 * 2:
        return f"{seconds}s"
    minutes = ns // (60 * _NS)
    if minutes < 10:
        sec = ns // _NS % 60
        return f"{minutes}m" if sec == 0 else f"{minutes}m{sec}s"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = ns // (3600 * _NS)
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h" if rest == 0 else f"{hours}h{rest}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d" if rest == 0 else f"{hours // 24}d{rest}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = hours // 24 % 365
        return f"{hours // 24 // 365}y" if days == 0 else f"{hours // 24 // 365}y{days}d"
    return f"{hours // 24 // 365}y"


def go_timestamp(ns: int) -> str:
    """A ``google.protobuf.Timestamp`` as jsonpb writes it: UTC, 0, 3, 6 or 9 fractional digits."""
    seconds, nanos = divmod(ns, _NS)
    text = (_EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S") + f".{nanos:09d}"
    for suffix in ("000", "000", ".000"):
        text = text.removesuffix(suffix)
    return text + "Z"


# ------------------------------------------------------------------------------------- JSON
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f",
            "<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_NEEDS_ESCAPE = re.compile('["\\\\<>&\u2028\u2029\x00-\x1f]')


def go_json_string(text: str) -> str:
    """A string as Go's ``encoding/json`` writes it (HTML-safe escapes, lower-case hex)."""
    return '"' + _NEEDS_ESCAPE.sub(lambda m: _ESCAPES.get(m.group(), f"\\u{ord(m.group()):04x}"), text) + '"'


def go_json_compact(value: Any) -> str:
    """``json.Marshal(value)`` for JSON-like data (keys in the given order, as a Go struct keeps them)."""
    if isinstance(value, dict):
        return "{" + ",".join(go_json_string(str(k)) + ":" + go_json_compact(v) for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(go_json_compact(v) for v in value) + "]"
    return _scalar(value)


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    return go_json_string(str(value))


_IND = "    "  # istioctl: protomarshal.ToJSONWithIndent(resp, "    ")
IsStruct = Callable[[tuple[str, ...]], bool]


def jsonpb_dumps(message: dict[str, Any], is_struct: IsStruct) -> str:
    """A message (JSON-like dict in proto field order) as jsonpb prints it with a 4-space indent.

    ``is_struct(path)`` tells which message fields (by key path) are ``google.protobuf.Struct``;
    their contents are ``google.protobuf.Value``s (nested dicts and lists included).
    """
    return _message(message, "", (), is_struct)


def _message(message: dict[str, Any], indent: str, path: tuple[str, ...], is_struct: IsStruct) -> str:
    fields = [f"{indent}{_IND}{go_json_string(k)}: {_field(v, indent, (*path, k), is_struct)}"
              for k, v in message.items()]
    return "{\n" + ",\n".join(fields) + "\n" + indent + "}"


def _field(value: Any, indent: str, path: tuple[str, ...], is_struct: IsStruct) -> str:
    if isinstance(value, list):
        items = "".join(("," if i else "") + "\n" + indent + _IND * 2 + _singular(v, indent + _IND, path, is_struct)
                        for i, v in enumerate(value))
        return "[" + items + "\n" + indent + _IND + "]"
    return _singular(value, indent, path, is_struct)


def _singular(value: Any, indent: str, path: tuple[str, ...], is_struct: IsStruct) -> str:
    if isinstance(value, dict):
        if is_struct(path):
            return _struct_map(value, indent + _IND)
        return _message(value, indent + _IND, path, is_struct)
    return _scalar(value)


def _struct_map(fields: dict[str, Any], indent: str) -> str:
    """``Struct.fields`` (jsonpb sorts map keys), each value a ``Value`` message."""
    items = "".join(("," if i else "") + "\n" + indent + _IND * 2 + go_json_string(k) + ": "
                    + _value(fields[k], indent + _IND * 2) for i, k in enumerate(sorted(fields)))
    return "{" + items + "\n" + indent + _IND + "}"


def _value(value: Any, indent: str) -> str:
    """A ``google.protobuf.Value`` marshalled at ``indent``: its one field, a level deeper for messages."""
    if isinstance(value, dict):
        return _struct_map(value, indent + _IND)
    if isinstance(value, list):
        inner = indent + _IND
        items = "".join(("," if i else "") + "\n" + inner + _IND * 2 + _value(v, inner + _IND * 2)
                        for i, v in enumerate(value))
        return "[" + items + "\n" + inner + _IND + "]"
    return _scalar(value)


# ------------------------------------------------------------------------------------- YAML
# go-yaml v2 resolve table: plain scalars that read as bool, null, float or merge key.
_YAML_SPECIAL = frozenset((
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false", "False",
    "FALSE", "on", "On", "ON", "off", "Off", "OFF", "", "~", "null", "Null", "NULL", ".nan", ".NaN", ".NAN",
    ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", "<<"))
_YAML_INT = re.compile(r"[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)")
_YAML_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_BASE60_FLOAT = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
_YAML_TIMESTAMPS = (
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"),
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})"),
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.\d+)?"),
)


def _is_timestamp(text: str) -> bool:
    for pattern in _YAML_TIMESTAMPS:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        parts = [int(p) for p in match.groups()]
        try:
            datetime(*parts[:3])
        except ValueError:
            return False
        return len(parts) == 3 or (parts[3] < 24 and parts[4] < 60 and parts[5] < 60)
    return False


def yaml_reads_as_non_string(text: str) -> bool:
    """go-yaml v2 ``resolve``: would ``text`` written plain read back as a bool, number, null, ...?"""
    if text in _YAML_SPECIAL or _BASE60_FLOAT.fullmatch(text):
        return True
    first = text[0]
    if first == ".":
        return bool(_YAML_FLOAT.fullmatch(text))
    if first not in "+-0123456789":
        return False
    if _is_timestamp(text):
        return True
    plain = text.replace("_", "")
    if _YAML_INT.fullmatch(plain):
        return True
    return bool(_YAML_FLOAT.fullmatch(plain)) and not math.isinf(float(plain))


def _natural_key_less(a: str, b: str) -> bool:
    """go-yaml v2 ``keyList.Less`` for two string keys (letters after other runes, digit runs by value)."""
    for i in range(min(len(a), len(b))):
        ca, cb = a[i], b[i]
        if ca == cb:
            continue
        la, lb = ca.isalpha(), cb.isalpha()
        if la and lb:
            return ca < cb
        if la or lb:
            return lb
        an = bn = 0
        if ca == "0" or cb == "0":
            j = i - 1
            while j >= 0 and a[j].isdecimal():
                if a[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(a) and a[ai].isdecimal():
            an, ai = an * 10 + int(a[ai]), ai + 1
        bi = i
        while bi < len(b) and b[bi].isdecimal():
            bn, bi = bn * 10 + int(b[bi]), bi + 1
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return ca < cb
    return len(a) < len(b)


def _sorted_keys(keys: Iterable[str]) -> list[str]:
    return sorted(keys, key=cmp_to_key(lambda x, y: -1 if _natural_key_less(x, y) else
                                       (1 if _natural_key_less(y, x) else 0)))


class _GoYamlDumper(yaml.SafeDumper):
    """PyYAML's emitter (libyaml's algorithm, as go-yaml's) with go-yaml's choices of scalar style."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


# No implicit resolvers: every plain scalar is a string to the emitter, so the style decision is
# :func:`yaml_reads_as_non_string`'s (go-yaml's), never PyYAML's YAML 1.1 resolver's.
_GoYamlDumper.yaml_implicit_resolvers = {}
_STR = "tag:yaml.org,2002:str"


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else ('"' if yaml_reads_as_non_string(text) else None)
    return dumper.represent_scalar(_STR, text, style=style)


def _represent_plain(dumper: yaml.SafeDumper, value: Any) -> yaml.ScalarNode:
    return dumper.represent_scalar(_STR, _scalar(value))


def _represent_dict(dumper: yaml.SafeDumper, value: dict[str, Any]) -> yaml.MappingNode:
    return dumper.represent_mapping("tag:yaml.org,2002:map", [(k, value[k]) for k in _sorted_keys(value)])


_GoYamlDumper.add_representer(str, _represent_str)
_GoYamlDumper.add_representer(dict, _represent_dict)
for _type in (bool, int, float, type(None)):
    _GoYamlDumper.add_representer(_type, _represent_plain)


def json_to_yaml(value: Any) -> str:
    """``sigs.k8s.io/yaml.JSONToYAML`` of the JSON form of ``value`` (ends with one newline)."""
    return yaml.dump(value, Dumper=_GoYamlDumper, default_flow_style=False, sort_keys=False,
                     allow_unicode=True, width=80, indent=2)
