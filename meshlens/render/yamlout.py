"""YAML as istioctl writes it: ``sigs.k8s.io/yaml.JSONToYAML``, i.e. Go's yaml.v2 emitter.

What that means for the text: every mapping's keys sorted (yaml.v2's order: numbers inside keys
compare by value and non-letters sort before letters), sequences inside mappings not indented
(``- `` at the key's column), 2-space indentation, ``{}``/``[]`` for empty containers, strings
plain when YAML 1.1 would read them back as the same string, else single-quoted (``'@type'``) or
double-quoted (``"1605"``, ``"true"``, timestamps), multi-line strings as ``|`` blocks, and long
values folded at spaces past column 80 (yaml.v2's default width).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from functools import cmp_to_key
from typing import Any

_WIDTH = 80
_NULLS = {"", "~", "null", "Null", "NULL"}
_BOOLS = {"y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "n", "N", "no", "No", "NO", "off", "Off", "OFF",
          "true", "True", "TRUE", "false", "False", "FALSE"}
_FLOAT_WORDS = {".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf",
                "-.INF"}
_YAML_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_BASE60 = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
_TIMESTAMP = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:(?:[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}))"
    r"|(?: (\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.\d+)?))?$")
_GO_INT = re.compile(r"^[-+]?(0[xX][0-9a-fA-F]+|0[oO]?[0-7]*|0[bB][01]+|[1-9][0-9]*|0)$")
_BREAKS = "\r\n\x85\u2028\u2029"


def go_yaml(value: Any) -> str:
    """``yaml.JSONToYAML(json.Marshal(value))`` as Go prints it (ends with a newline)."""
    out: list[str] = []
    _node(value, 0, out, top=True)
    text = "".join(out)
    return text if text.endswith("\n") else text + "\n"


# --- keys -------------------------------------------------------------------------------------------
def _key_less(a: str, b: str) -> bool:
    """yaml.v2 ``keyList.Less`` for string keys."""
    ar, br = a, b
    for i in range(min(len(ar), len(br))):
        if ar[i] == br[i]:
            continue
        al, bl = ar[i].isalpha(), br[i].isalpha()
        if al and bl:
            return ar[i] < br[i]
        if al or bl:
            return bl
        an = bn = 0
        if ar[i] == "0" or br[i] == "0":
            j = i - 1
            while j >= 0 and ar[j].isdigit():
                if ar[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(ar) and ar[ai].isdigit():
            an = an * 10 + int(ar[ai]) if ar[ai].isascii() else an
            ai += 1
        bi = i
        while bi < len(br) and br[bi].isdigit():
            bn = bn * 10 + int(br[bi]) if br[bi].isascii() else bn
            bi += 1
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return ar[i] < br[i]
    return len(ar) < len(br)


def _sorted_keys(obj: dict[str, Any]) -> list[str]:
    return sorted(obj, key=cmp_to_key(lambda a, b: -1 if _key_less(a, b) else (1 if _key_less(b, a) else 0)))


# --- scalars ----------------------------------------------------------------------------------------
def _resolves_to_string(s: str) -> bool:
    """Whether yaml.v2 reads the plain scalar ``s`` back as a string (else it must be quoted)."""
    if s in _NULLS or s in _BOOLS or s in _FLOAT_WORDS or s == "<<":
        return False
    first = s[0]
    if first.isdigit() or first in "+-":
        if _timestamp(s):
            return False
        plain = s.replace("_", "")
        if _GO_INT.match(plain) or _YAML_FLOAT.match(plain):
            return False
        if plain.startswith(("0b", "-0b")):
            return False
    elif first == "." and _YAML_FLOAT.match(s):
        return False
    return not _BASE60.match(s)


def _timestamp(s: str) -> bool:
    m = _TIMESTAMP.match(s)
    if m is None:
        return False
    month, day = int(m.group(2)), int(m.group(3))
    clock = [g for g in (m.group(4), m.group(5), m.group(6), m.group(7), m.group(8), m.group(9)) if g]
    hours_ok = not clock or (int(clock[0]) < 24 and int(clock[1]) < 60 and int(clock[2]) < 60)
    return 1 <= month <= 12 and 1 <= day <= 31 and hours_ok


def _printable(ch: str) -> bool:
    o = ord(ch)
    return o == 0x0A or 0x20 <= o <= 0x7E or o == 0x85 or (
        0xA0 <= o <= 0xD7FF) or (0xE000 <= o <= 0xFFFD and o != 0xFEFF) or 0x10000 <= o <= 0x10FFFF


def _analyze(s: str) -> tuple[bool, bool, bool]:
    """(plain allowed, single-quoted allowed, block allowed) in block context, as libyaml decides."""
    if not s:
        return False, True, False
    block_ind = s.startswith(("---", "..."))  # flow indicators do not matter in block context
    special = line_breaks = False
    leading_space = leading_break = trailing_space = trailing_break = False
    break_space = space_break = previous_space = previous_break = False
    preceded_ws = True
    n = len(s)
    for i, ch in enumerate(s):
        followed_ws = i + 1 >= n or s[i + 1] in " \t" + _BREAKS
        if i == 0:
            if ch in "#,[]{}&*!|>'\"%@`" or (ch in "?:-" and followed_ws):
                block_ind = True
        elif (ch == ":" and followed_ws) or (ch == "#" and preceded_ws):
            block_ind = True
        if not _printable(ch):
            special = True
        if ch in _BREAKS:
            line_breaks = True
        if ch == " ":
            leading_space = leading_space or i == 0
            trailing_space = trailing_space or i == n - 1
            break_space = break_space or previous_break
            previous_space, previous_break = True, False
        elif ch in _BREAKS:
            leading_break = leading_break or i == 0
            trailing_break = trailing_break or i == n - 1
            space_break = space_break or previous_space
            previous_space, previous_break = False, True
        else:
            previous_space = previous_break = False
        preceded_ws = ch in " \t" + _BREAKS
    plain = not (leading_space or leading_break or trailing_space or trailing_break or break_space
                 or space_break or special or line_breaks or block_ind)
    single = not (break_space or space_break or special)
    block = not (trailing_space or space_break or special)
    return plain, single, block


def _double_quoted(s: str, column: int, indent: int, allow_breaks: bool) -> str:
    escapes = {"\0": "\\0", "\a": "\\a", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\v": "\\v", "\f": "\\f",
               "\r": "\\r", "\x1b": "\\e", '"': '\\"', "\\": "\\\\", "\x85": "\\N", "\xa0": "\\_",
               "\u2028": "\\L", "\u2029": "\\P"}
    out = ['"']
    column += 1
    spaces = False
    for i, ch in enumerate(s):
        if not _printable(ch) or ch in _BREAKS or ch in '"\\' or ch == "\ufeff":
            o = ord(ch)
            esc = escapes.get(ch) or (f"\\x{o:02X}" if o <= 0xFF else f"\\u{o:04X}" if o <= 0xFFFF
                                      else f"\\U{o:08X}")
            out.append(esc)
            column += len(esc)
            spaces = False
        elif ch == " ":
            if allow_breaks and not spaces and column > _WIDTH and 0 < i < len(s) - 1:
                out.append("\n" + " " * indent)
                column = indent
                if s[i + 1] == " ":
                    out.append("\\")
                    column += 1
            else:
                out.append(ch)
                column += 1
            spaces = True
        else:
            out.append(ch)
            column += 1
            spaces = False
    out.append('"')
    return "".join(out)


def _single_quoted(s: str, column: int, indent: int, allow_breaks: bool) -> str:
    out = ["'"]
    column += 1
    spaces = False
    for i, ch in enumerate(s):
        if ch == " ":
            if allow_breaks and not spaces and column > _WIDTH and 0 < i < len(s) - 1 and s[i + 1] != " ":
                out.append("\n" + " " * indent)
                column = indent
            else:
                out.append(ch)
                column += 1
            spaces = True
        else:
            if ch == "'":
                out.append("'")
                column += 1
            out.append(ch)
            column += 1
            spaces = False
    out.append("'")
    return "".join(out)


def _plain(s: str, column: int, indent: int, allow_breaks: bool) -> str:
    out = []
    spaces = False
    for i, ch in enumerate(s):
        if ch == " ":
            if allow_breaks and not spaces and column > _WIDTH and (i + 1 >= len(s) or s[i + 1] != " "):
                out.append("\n" + " " * indent)
                column = indent
            else:
                out.append(ch)
                column += 1
            spaces = True
        else:
            out.append(ch)
            column += 1
            spaces = False
    return "".join(out)


def _literal(s: str, indent: int) -> str:
    """A ``|`` block: indentation hint when the text starts with a blank, chomping from its end."""
    hints = "|"
    if s[0] in " " + _BREAKS:
        hints += "2"
    if s[-1] not in _BREAKS:
        hints += "-"
    elif len(s) == 1 or s[-2] in _BREAKS:
        hints += "+"
    out = [hints, "\n"]
    at_line_start = True
    for ch in s:
        if ch in _BREAKS:
            out.append("\n")
            at_line_start = True
        else:
            if at_line_start:
                out.append(" " * indent)
            out.append(ch)
            at_line_start = False
    return "".join(out)


def _string(s: str, column: int, indent: int, *, key: bool) -> str:
    """A string scalar starting at ``column``; continuation lines at ``indent``."""
    requested = "plain" if _resolves_to_string(s) else "double"
    if "\n" in s:
        requested = "literal"
    plain_ok, single_ok, block_ok = _analyze(s)
    style = requested
    if style == "literal" and (not block_ok or key):
        style = "double"
    if style == "plain" and not plain_ok:
        style = "single"
    if style == "single" and not single_ok:
        style = "double"
    if style == "plain":
        return _plain(s, column, indent, not key)
    if style == "single":
        return _single_quoted(s, column, indent, not key)
    if style == "literal":
        return _literal(s, indent)
    return _double_quoted(s, column, indent, not key)


def _scalar(value: Any, column: int, indent: int, *, key: bool = False) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return _go_g(value)
    return _string(str(value), column, indent, key=key)


def _go_g(value: float) -> str:
    """Go ``strconv.FormatFloat(v, 'g', -1, 64)``: shortest digits, exponent form outside [1e-4, 1e6)."""
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    sign, digit_tuple, exponent = Decimal(repr(value)).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0") or "0"
    exponent = int(exponent) + len(digit_tuple) - len(digits)
    dp = len(digits) + exponent  # position of the decimal point
    minus = "-" if sign else ""
    exp = dp - 1
    if exp < -4 or exp >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{minus}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if dp <= 0:
        return f"{minus}0.{'0' * -dp}{digits}"
    if dp >= len(digits):
        return minus + digits + "0" * (dp - len(digits))
    return f"{minus}{digits[:dp]}.{digits[dp:]}"


# --- nodes ------------------------------------------------------------------------------------------
def _is_empty_container(value: Any) -> bool:
    return isinstance(value, (dict, list, tuple)) and not value


def _node(value: Any, indent: int, out: list[str], *, top: bool = False) -> None:
    """A block node whose first line is already positioned (top level: column 0)."""
    if isinstance(value, dict) and value:
        _mapping(value, indent, out, first_inline=False)
    elif isinstance(value, (list, tuple)) and value:
        _sequence(list(value), indent, out, first_inline=False)
    elif isinstance(value, dict):
        out.append("{}\n")
    elif isinstance(value, (list, tuple)):
        out.append("[]\n")
    else:
        out.append(_scalar(value, 0, indent + 2) + "\n")


def _mapping(obj: dict[str, Any], indent: int, out: list[str], *, first_inline: bool) -> None:
    for n, key in enumerate(_sorted_keys(obj)):
        if n or not first_inline:
            out.append(" " * indent)
        key_text = _scalar(key, indent, indent, key=True)
        out.append(key_text + ":")
        _value(obj[key], indent, indent + len(key_text) + 1, out, in_mapping=True)


def _sequence(items: list[Any], indent: int, out: list[str], *, first_inline: bool) -> None:
    for n, item in enumerate(items):
        if n or not first_inline:
            out.append(" " * indent)
        out.append("-")
        _value(item, indent, indent + 1, out, in_mapping=False)


def _value(value: Any, indent: int, column: int, out: list[str], *, in_mapping: bool) -> None:
    """The value after ``key:`` or ``-`` (``column`` is where the indicator ends)."""
    if isinstance(value, dict) and value:
        if in_mapping:
            out.append("\n")
            _mapping(value, indent + 2, out, first_inline=False)
        else:
            out.append(" ")
            _mapping(value, indent + 2, out, first_inline=True)
    elif isinstance(value, (list, tuple)) and value:
        if in_mapping:
            out.append("\n")
            _sequence(list(value), indent, out, first_inline=False)
        else:
            out.append(" ")
            _sequence(list(value), indent + 2, out, first_inline=True)
    elif _is_empty_container(value):
        out.append(" {}\n" if isinstance(value, dict) else " []\n")
    else:
        text = _scalar(value, column + 1, indent + 2)
        out.append(" " + text + ("" if text.endswith("\n") else "\n"))
