"""Envoy's ``safe_regex`` (RE2) evaluated offline: google-re2 when installed, else a translation to ``re``.

Regexes are RE2 and must match the whole value. A pattern meshlens cannot evaluate is reported (its
reason via :func:`regex_problem`), never taken as a match.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache

# Envoy's safe_regex is RE2. The google-re2 bindings evaluate patterns exactly as Envoy does (on the
# UTF-8 bytes of the value); without them, RE2 syntax is translated to Python ``re`` where Python can
# express it (POSIX classes, \pL / \p{Greek}, \z, (?<name>, \Q..\E, \x{...}) and refused otherwise.
try:
    import re2 as _re2
except ImportError:  # pragma: no cover - google-re2 is a dependency; the translation is the fallback
    _re2 = None
if not hasattr(_re2, "Options"):  # another package's ``re2`` module, not google-re2
    _re2 = None

FullMatch = Callable[[str], bool]


class RegexNotUnderstood(ValueError):
    """An RE2 pattern meshlens cannot evaluate."""


@lru_cache(maxsize=4096)
def _compiled(pattern: str, use_re2: bool = True) -> FullMatch | str:
    """A full-match function for RE2 ``pattern``, or the reason it cannot be evaluated."""
    if use_re2 and _re2 is not None:
        options = _re2.Options()
        options.log_errors = False
        try:
            rx = _re2.compile(pattern.encode("utf-8", "surrogateescape"), options)
        except _re2.error as exc:
            detail = exc.args[0] if exc.args else exc
            return detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)
        return lambda value: rx.fullmatch(value.encode("utf-8", "surrogateescape")) is not None
    try:
        py = re.compile(translate_re2(pattern), re.ASCII)
    except (re.error, ValueError, OverflowError) as exc:
        return str(exc)
    return lambda value: py.fullmatch(value) is not None


def regex_problem(pattern: str) -> str | None:
    """Why meshlens cannot evaluate RE2 ``pattern`` (None when it can)."""
    compiled = _compiled(pattern)
    return compiled if isinstance(compiled, str) else None


def regex_match(pattern: str, value: str) -> bool | None:
    """RE2 full match of ``value``; None when the pattern cannot be evaluated."""
    compiled = _compiled(pattern)
    return None if isinstance(compiled, str) else compiled(value)


def regex_full_match(pattern: str, value: str) -> bool:
    """RE2 full match (False when the pattern cannot be evaluated: see ``regex_problem``)."""
    return regex_match(pattern, value) is True


Ranges = tuple[tuple[int, int], ...]


def _runs(code_points: Iterable[int]) -> Ranges:
    """Ascending code points -> ranges of consecutive ones."""
    out: list[tuple[int, int]] = []
    for cp in code_points:
        if out and out[-1][1] == cp - 1:
            out[-1] = (out[-1][0], cp)
        else:
            out.append((cp, cp))
    return tuple(out)


_POSIX = {name: _runs(cp for cp in range(128) if re.fullmatch(f"[{spec}]", chr(cp))) for name, spec in {
    "alnum": "0-9A-Za-z", "alpha": "A-Za-z", "ascii": r"\x00-\x7f", "blank": r"\t ", "cntrl": r"\x00-\x1f\x7f",
    "digit": "0-9", "graph": "!-~", "lower": "a-z", "print": " -~", "punct": r"!-/:-@\[-`{-~",
    "space": r"\t\n\x0b\f\r ", "upper": "A-Z", "word": "0-9A-Za-z_", "xdigit": "0-9A-Fa-f"}.items()}
_SCRIPT_NAMES = {"Han": ("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH")}


@lru_cache(maxsize=64)
def _unicode_ranges(name: str) -> Ranges:
    r"""The code points of RE2's ``\p{name}``: a general category from ``unicodedata``, or a script
    approximated by character names (GREEK ..., CYRILLIC ...).
    """
    if name == "Any":
        return ((0, 0x10FFFF),)
    if len(name) <= 2 and name[:1] in "CLMNPSZ" and name[1:] in ("", *"cdefiklmnopstu"):
        def test(ch: str) -> bool:
            return unicodedata.category(ch).startswith(name)
    else:
        prefixes = _SCRIPT_NAMES.get(name, (name.upper().replace("_", " ") + " ",))

        def test(ch: str) -> bool:
            return unicodedata.name(ch, "").startswith(prefixes)
    ranges = _runs(cp for cp in range(0x110000) if test(chr(cp)))
    if not ranges:
        raise RegexNotUnderstood(f"unknown Unicode class {name!r}")
    return ranges


def _class_body(ranges: Ranges, negate: bool = False) -> str:
    """Ranges (or their complement) as the inside of a Python character class."""
    if negate:
        out, start = [], 0
        for lo, hi in ranges:
            if lo > start:
                out.append((start, lo - 1))
            start = max(start, hi + 1)
        if start <= 0x10FFFF:
            out.append((start, 0x10FFFF))
        ranges = tuple(out)
    if not ranges:
        raise RegexNotUnderstood("an empty character class")
    return "".join(f"\\U{a:08x}" if a == b else f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges)


def _escape(pattern: str, i: int, in_class: bool) -> tuple[str, int]:
    """Translate the escape at ``pattern[i]`` (a backslash); returns (Python text, index after it)."""
    e = pattern[i + 1: i + 2]
    if not e:
        raise RegexNotUnderstood("trailing backslash")
    if e in "pP":
        if pattern[i + 2: i + 3] == "{":
            close = pattern.find("}", i + 3)
            if close < 0:
                raise RegexNotUnderstood("missing } in \\p{...}")
            name, after = pattern[i + 3: close], close + 1
        else:
            name, after = pattern[i + 2: i + 3], i + 3
        body = _class_body(_unicode_ranges(name.lstrip("^")), negate=(e == "P") != name.startswith("^"))
        return (body if in_class else f"[{body}]"), after
    if e == "x" and pattern[i + 2: i + 3] == "{":
        close = pattern.find("}", i + 3)
        return f"\\U{int(pattern[i + 3: close], 16):08x}", close + 1
    if e == "z" and not in_class:
        return r"\Z", i + 2
    if e == "Z" or (e.isdigit() and e != "0") or e == "C":
        raise RegexNotUnderstood(f"\\{e} is not supported")
    return pattern[i: i + 2], i + 2


def _group(pattern: str, i: int) -> tuple[str, int]:
    """Translate a ``(?`` construct at ``pattern[i]``."""
    rest = pattern[i + 2:]
    if rest.startswith("P<"):
        return "(?P<", i + 4
    if rest.startswith("<") and not rest.startswith(("<=", "<!")):
        return "(?P<", i + 3
    flags = re.match(r"[imsU]*(?:-[imsU]*)?[:)]", rest)
    if flags is None:
        raise RegexNotUnderstood(f"(?{rest[:2]} is not RE2 syntax")
    if "U" in flags.group():
        raise RegexNotUnderstood("the U (ungreedy) flag has no Python equivalent")
    return "(?" + flags.group(), i + 2 + flags.end()


def translate_re2(pattern: str) -> str:
    r"""RE2 ``pattern`` in Python ``re`` syntax (compile with ``re.ASCII``: RE2's \d \w \s \b are ASCII).

    Raises ``RegexNotUnderstood`` for RE2 constructs Python cannot express and for Python-only syntax
    RE2 rejects (lookaround, backreferences, possessive and atomic forms).
    """
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = class_start = False
    while i < n:
        c = pattern[i]
        if c == "\\" and pattern.startswith("\\Q", i) and not in_class:
            close = pattern.find("\\E", i + 2)
            literal = pattern[i + 2: close if close >= 0 else n]
            out.append(re.escape(literal))
            i = n if close < 0 else close + 2
        elif c == "\\":
            text, i = _escape(pattern, i, in_class)
            out.append(text)
            class_start = False
        elif in_class:
            if pattern.startswith("[:", i) and (close := pattern.find(":]", i + 2)) >= 0:
                name = pattern[i + 2: close]
                if name.lstrip("^") not in _POSIX:
                    raise RegexNotUnderstood(f"unknown POSIX class [:{name}:]")
                out.append(_class_body(_POSIX[name.lstrip("^")], negate=name.startswith("^")))
                i = close + 2
            else:
                in_class = not (c == "]" and not class_start)
                out.append("\\[" if c == "[" else c)
                i += 1
            class_start = False
        elif c == "[":
            in_class = class_start = True
            caret = pattern.startswith("[^", i)
            out.append("[^" if caret else "[")
            i += 2 if caret else 1
        elif pattern.startswith("(?", i):
            text, i = _group(pattern, i)
            out.append(text)
        elif c in "*+?" and pattern[i + 1: i + 2] == "+":
            raise RegexNotUnderstood(f"{c}+ (possessive) is not RE2 syntax")
        elif c == "{" and re.match(r"\{,\d*\}", pattern[i:]):
            out.append("\\{")  # RE2 reads {,n} literally
            i += 1
        else:
            out.append(c)
            i += 1
    if in_class:
        raise RegexNotUnderstood("missing ]")
    return "".join(out)


def _expand(rewrite: str, groups: list[str | None]) -> str:
    r"""RE2's rewrite string: ``\0``..``\9`` are groups, ``\\`` a backslash, the rest literal."""
    out: list[str] = []
    i = 0
    while i < len(rewrite):
        ch = rewrite[i]
        if ch == "\\" and i + 1 < len(rewrite):
            nxt = rewrite[i + 1]
            if nxt.isdigit():
                index = int(nxt)
                out.append((groups[index] if index < len(groups) else "") or "")
                i += 2
                continue
            if nxt == "\\":
                out.append("\\")
                i += 2
                continue
        out.append(ch)
        i += 1
    return "".join(out)


def regex_sub(pattern: str, rewrite: str, value: str) -> str | None:
    r"""RE2 ``GlobalReplace`` of ``pattern`` in ``value`` by ``rewrite`` (``\1`` style), as Envoy's
    ``regex_rewrite`` does; None when the pattern cannot be evaluated.
    """
    if regex_problem(pattern) is not None:
        return None
    if _re2 is not None:
        options = _re2.Options()
        options.log_errors = False
        rx = _re2.compile(pattern.encode("utf-8", "surrogateescape"), options)
        data = value.encode("utf-8", "surrogateescape")

        def sub_bytes(m: object) -> bytes:
            groups = [m.group(i) for i in range(rx.groups + 1)]  # type: ignore[attr-defined]
            text = [g.decode("utf-8", "surrogateescape") if g is not None else None for g in groups]
            return _expand(rewrite, text).encode("utf-8", "surrogateescape")

        result: bytes = rx.sub(sub_bytes, data)
        return result.decode("utf-8", "surrogateescape")
    py = re.compile(translate_re2(pattern), re.ASCII)
    return py.sub(lambda m: _expand(rewrite, [m.group(0), *m.groups()]), value)
