"""YAML as istioctl writes it: ``sigs.k8s.io/yaml.JSONToYAML``, i.e. Go's yaml.v2 emitter.

What that means for the text: every mapping's keys sorted (yaml.v2's order: numbers inside keys
compare by value and non-letters sort before letters), sequences inside mappings not indented
(``- `` at the key's column), 2-space indentation, ``{}``/``[]`` for empty containers, strings
plain when YAML 1.1 would read them back as the same string, else single-quoted (``'@type'``) or
double-quoted (``"1605"``, ``"true"``, timestamps), multi-line strings as ``|`` blocks, long
values folded at spaces past column 80 (yaml.v2's default width), and a key that spans lines or is
longer than 128 bytes written as an explicit ``? key`` / ``: value`` entry. Numbers are what the
JSON text reads back as: an integer when it is one that fits 64 bits, else a float in Go's ``%g``.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from functools import cmp_to_key
from typing import Any

from meshlens.encoding.gojson import go_float

_WIDTH = 80
_SIMPLE_KEY_BYTES = 128  # yaml.v2 writes a longer key as "? key"
# yaml.v2 resolve: plain scalars it reads as null, bool, float or merge key, and the first characters
# it tries to resolve at all (any other first character reads as a string, "<<" included).
_RESOLVED = frozenset({
    "", "~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "n", "N", "no", "No",
    "NO", "off", "Off", "OFF", "true", "True", "TRUE", "false", "False", "FALSE", ".nan", ".NaN", ".NAN",
    ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", "<<"})
_HINTED = frozenset("+-0123456789yYnNtTfFoO~.")
_YAML_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_DOT_FLOAT = re.compile(r"\.[0-9]+(?:[eE][-+]?[0-9]+)?")  # what Go's ParseFloat takes after a "."
_GO_INT = re.compile(r"([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)")  # ParseInt base 0
_BINARY = re.compile(r"0b([-+]?[01]+)|-0b([01]+)")
_BASE60 = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
_TIMESTAMP = re.compile(  # time.Parse layouts 2006-1-2T15:4:5.999999999Z07:00, 2006-1-2 15:4:5.999999999, 2006-1-2
    r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"
    r"(?:[Tt]([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:[.,][0-9]+)?(?:Z|[+-]([0-9]{2}):([0-9]{2}))"
    r"| ([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:[.,][0-9]+)?)?")
_INT64 = 1 << 63
_BREAKS = "\r\n\x85\u2028\u2029"


def go_yaml(value: Any) -> str:
    """``yaml.JSONToYAML(json.Marshal(value))`` as Go prints it (ends with a newline)."""
    out: list[str] = []
    _node(value, 0, out, top=True)
    text = "".join(out)
    return text if text.endswith("\n") else text + "\n"


# --- keys -------------------------------------------------------------------------------------------
def _key_less(a: str, b: str) -> bool:
    """yaml.v2 ``keyList.Less`` for string keys: letters after other runes, digit runs (Unicode
    decimal digits, each worth ``rune - '0'`` in a wrapping int64, as Go computes it) by value.
    """
    for i in range(min(len(a), len(b))):
        ca, cb = a[i], b[i]
        if ca == cb:
            continue
        al, bl = ca.isalpha(), cb.isalpha()
        if al and bl:
            return ca < cb
        if al or bl:
            return bl
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
            an = _wrap64(an * 10 + ord(a[ai]) - 48)
            ai += 1
        bi = i
        while bi < len(b) and b[bi].isdecimal():
            bn = _wrap64(bn * 10 + ord(b[bi]) - 48)
            bi += 1
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return ca < cb
    return len(a) < len(b)


def _wrap64(n: int) -> int:
    return (n + _INT64) % (2 * _INT64) - _INT64


def _key_cmp(a: str, b: str) -> int:
    return -1 if _key_less(a, b) else (1 if _key_less(b, a) else 0)


def _sorted_keys(obj: dict[str, Any]) -> list[str]:
    return sorted(obj, key=cmp_to_key(_key_cmp))

# --- scalars ----------------------------------------------------------------------------------------
def _resolves_to_string(s: str) -> bool:
    """Whether yaml.v2 reads the plain scalar ``s`` back as a string (else it must be quoted).

    This is ``resolve`` of the yaml.v2 that sigs.k8s.io/yaml vendors (an integer too large for 64
    bits still reads as one), and ``isBase60Float``, which yaml.v2 quotes too.
    """
    if s in _RESOLVED and (not s or s[0] in _HINTED):  # "" reads as null; "<<" is never looked up
        return False
    if s[0] not in _HINTED:
        return True
    if s[0] == ".":
        return not (_DOT_FLOAT.fullmatch(s) and math.isfinite(float(s)))
    if s[0] not in "+-0123456789":
        return True
    if _timestamp(s):
        return False
    plain = s.replace("_", "")
    match = _GO_INT.fullmatch(plain)
    if match and (not match.group(1) or -_INT64 <= _go_int(match.group(2), match.group(1)) < _INT64):
        return False  # ParseInt, ParseUint, or unsigned and too large for them: big.Int
    if _YAML_FLOAT.fullmatch(plain) and math.isfinite(float(plain)):
        return False
    binary = _BINARY.fullmatch(plain)
    if binary:
        digits = binary.group(1) or "-" + binary.group(2)
        value = int(digits, 2)
        if -_INT64 <= value < _INT64 or (digits[0] not in "+-" and value < 2 * _INT64):
            return False
    return not _BASE60.fullmatch(s)


def _go_int(literal: str, sign: str) -> int:
    """The value of a Go integer literal (``0x``/``0o``/``0b`` prefix, or a leading ``0``: octal)."""
    if literal[:2] in ("0x", "0X", "0o", "0O", "0b", "0B"):
        value = int(literal[2:], {"x": 16, "o": 8, "b": 2}[literal[1].lower()])
    else:
        value = int(literal, 8 if literal.startswith("0") else 10)
    return -value if sign == "-" else value


def _timestamp(s: str) -> bool:
    """Whether ``s`` parses with one of yaml.v2's timestamp layouts (Go ``time.Parse``, ranges checked)."""
    m = _TIMESTAMP.fullmatch(s)
    if m is None:
        return False
    year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not 1 <= month <= 12:
        return False
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if not 1 <= day <= (29 if month == 2 and leap else (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[month - 1]):
        return False
    clock = [int(g) for g in (m.group(4), m.group(5), m.group(6)) if g] or [
        int(g) for g in (m.group(9), m.group(10), m.group(11)) if g]
    if clock and not (clock[0] < 24 and clock[1] < 60 and clock[2] < 60):
        return False
    return m.group(7) is None or (int(m.group(7)) <= 24 and int(m.group(8)) <= 60)


def _printable(ch: str) -> bool:
    r"""yaml.v2 ``is_printable``: no C1 controls (NEL included) and nothing beyond U+FFFF (so an emoji
    makes a string double-quoted, written ``\U0001F600``).
    """
    o = ord(ch)
    return o == 0x0A or 0x20 <= o <= 0x7E or 0xA0 <= o <= 0xD7FF or (0xE000 <= o <= 0xFFFD and o != 0xFEFF)


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
    bom = s.startswith("\ufeff")  # yaml.v2's is_bom looks at the string's start: then it escapes every rune
    for i, ch in enumerate(s):
        if bom or not _printable(ch) or ch in _BREAKS or ch in '"\\':
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
    """Only U+2028/U+2029 can be line breaks here (a newline makes a block, the others are escaped):
    written as they are, the next rune after ``indent`` spaces (the emitter's ``write_indent``).
    """
    out = ["'"]
    column += 1
    spaces = breaks = False
    for i, ch in enumerate(s):
        if ch == " ":
            if allow_breaks and not spaces and column > _WIDTH and 0 < i < len(s) - 1 and s[i + 1] != " ":
                out.append("\n" + " " * indent)
                column = indent
            else:
                out.append(ch)
                column += 1
            spaces = True
        elif ch in _BREAKS:
            out.append(ch)
            column = 0
            breaks = True
        else:
            if breaks and column < indent:
                out.append(" " * (indent - column))
                column = indent
            if ch == "'":
                out.append("'")
                column += 1
            out.append(ch)
            column += 1
            spaces = breaks = False
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
        if ch in _BREAKS:  # U+2028/U+2029 are kept as they are, the next line indented all the same
            out.append(ch)
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
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
    if isinstance(value, (int, float)):
        return _number(value)
    return _string(str(value), column, indent, key=key)


def _number(value: float) -> str:
    """A number as JSONToYAML leaves it: Go's JSON text read back by yaml.v2, so an integer when the
    text is one that fits 64 bits (``1234567.0`` -> ``1234567``, ``-0.0`` -> ``0``), else a float in
    ``%g`` form (``1e+20``, ``1.2345675e+06``); integers too large for a float stay as they are.
    """
    text = str(value) if isinstance(value, int) else go_float(value)
    if "." in text or "e" in text:
        return _go_g(float(text))
    number = int(text)
    if -_INT64 <= number < 2 * _INT64:
        return str(number)
    try:
        return _go_g(float(number))
    except OverflowError:
        return str(number)


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
        if _simple_key(key):
            key_text = _scalar(key, indent, indent, key=True)
            out.append(key_text + ":")
            _value(obj[key], indent, indent + len(key_text) + 1, out, in_mapping=True)
        else:  # "? key" (folded, or a block) then ": value" at the key's column, the value inline
            key_text = _scalar(key, indent + 2, indent + 2)
            out.append("? " + key_text + ("" if key_text.endswith("\n") else "\n") + " " * indent + ":")
            _value(obj[key], indent, indent + 1, out, in_mapping=False)


def _simple_key(key: Any) -> bool:
    """yaml.v2 ``check_simple_key``: a key on one line, at most 128 bytes long."""
    if not isinstance(key, str):
        return True
    return not any(ch in _BREAKS for ch in key) and len(key.encode("utf-8", "surrogatepass")) <= _SIMPLE_KEY_BYTES


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
