r"""The line grammar of ztunnel logs (``ztunnel.md`` section 3.1), with no dependency on the loaders.

Plain lines: ``<time>\\t<level>\\t<target>[:span{k=v}]…\\t<message>\\t<k=v k=v …>``, where copy-paste
often turns the tabs into runs of spaces. Values are bare (addresses, numbers) or double-quoted with
Rust escapes; pre-1.23 ztunnel quoted only some fields, 1.23+ quotes every string: either is
accepted for every key. JSON lines (``LOG_FORMAT=json``): ``{"level", "time", "scope", "message",
"<dotted field>": …}``. ``kubectl logs --prefix`` puts ``[pod/<pod>/<container>] `` in front,
``--timestamps`` a second time stamp.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

ZTUNNEL_LOG_KIND = "ztunnel-log"

_V = r'("[^"\\]*(?:\\.[^"\\]*)*"|[^\s"]\S*)'
TIME = r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|z|[+-]\d\d:?\d\d)?"
LEVELS = ("trace", "debug", "info", "warn", "error")

# [pod/ztunnel-x/istio-proxy] (kubectl logs --prefix); the pod may also be written without "pod/".
PREFIX_RE = re.compile(r"^\[(?:pod/)?([^/\]\s]+)/([^\]\s]+)\]\s?")
# A kubectl --timestamps stamp (RFC 3339, nanoseconds) before ztunnel's own.
KUBECTL_TS_RE = re.compile(rf"^{TIME}\s+(?={TIME}\s)")

LINE_RE = re.compile(
    rf"^(?P<ts>{TIME})\s+(?P<level>(?i:trace|debug|info|warn|warning|error))\s+"
    r'(?P<target>[A-Za-z_][\w:.\-]*(?:\{(?:[^{}"]|"[^"\\]*(?:\\.[^"\\]*)*")*\}(?::[\w\-]+(?:\{(?:[^{}"]|"[^"\\]*(?:\\.[^"\\]*)*")*\})?)*)?)'
    r"(?:[ \t]+(?P<rest>.*?))?\s*$"
)
TIME_START_RE = re.compile(rf"^{TIME}\s")

ACCESS_KEYS = ("src.addr", "src.workload", "src.namespace", "src.identity", "src.cluster", "dst.addr",
               "dst.hbone_addr", "dst.service", "dst.workload", "dst.namespace", "dst.identity", "dst.cluster",
               "direction", "bytes_sent", "bytes_recv", "duration", "error")
# An access line in ztunnel's own field order, every field optional but src.addr: one C-level match
# for almost every line of a real log; anything else goes through the generic tokenizer.
FAST_ACCESS_RE = re.compile(
    rf"^({TIME})[ \t]+(info|error|warn|debug)[ \t]+access[ \t]+(connection (?:complete|opened|failed))[ \t]+"
    rf"src\.addr={_V}" + "".join(rf"(?:[ \t]+{re.escape(k)}={_V})?" for k in ACCESS_KEYS[1:]) + r"\s*$"
)
FIELD_RE = re.compile(rf"([\w.]+)={_V}")
FIELDS_FULL_RE = re.compile(rf"^(?:\s*[\w.]+={_V})*\s*$")
# Where the fields start when the message is not tab-separated from them.
FIELDS_START_RE = re.compile(r"(?:^|\s)[\w.]+=")
# An incomplete tail: the fields so far, then perhaps a partial token (cut inside a key or a value).
FIELDS_PREFIX_RE = re.compile(rf'^(?:\s*[\w.]+={_V})*\s*(?:[\w.]+(?:=(?:"(?:[^"\\]|\\.)*\\?|[^\s"]\S*)?)?)?$')
COMPLETE_TAIL_RE = re.compile(rf"(?:^|\s)[\w.]+={_V}$")
KEY_START_RE = re.compile(r"^[\w.]+=")

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"', "'": "'"}
_ESCAPE_RE = re.compile(r"\\(u\{[0-9a-fA-F]{1,6}\}|.)")


def _unescape_one(m: re.Match[str]) -> str:
    body = m.group(1)
    if body.startswith("u{"):
        return chr(int(body[2:-1], 16))
    return _ESCAPES.get(body, "\\" + body)


def unquote(value: str) -> str:
    r"""A field value as ztunnel meant it: quotes removed and Rust escapes (``\\"``, ``\\n``, ``\\u{…}``) decoded."""
    if value[:1] == '"' and value[-1:] == '"' and len(value) >= 2:
        inner = value[1:-1]
        return _ESCAPE_RE.sub(_unescape_one, inner) if "\\" in inner else inner
    return value


def split_message(rest: str) -> tuple[str, str]:
    """``(message, fields text)`` of what follows the target."""
    if "\t" in rest:
        message, _, fields = rest.partition("\t")
        return message.strip(), fields.strip()
    m = FIELDS_START_RE.search(rest)
    if m is None:
        return rest.strip(), ""
    return rest[:m.start()].strip(), rest[m.start():].strip()


def tokenize(fields: str) -> dict[str, str] | None:
    """The ``k=v`` fields, unquoted; None when the text is not entirely fields."""
    if not fields:
        return {}
    if FIELDS_FULL_RE.match(fields) is None:
        return None
    return {k: unquote(v) for k, v in FIELD_RE.findall(fields)}


def join_separator(previous: str, continuation: str) -> str:
    """How a wrapped continuation line joins the line before it: ``" "`` or ``""``.

    A space when the break was at whitespace (either side has it) or fell between two fields (the
    previous text ends with a complete ``k=v`` and the continuation starts a key); nothing when it
    cut a key or a value in two (terminal copy-paste wraps at a fixed column).
    """
    if continuation[:1].isspace() or previous[-1:].isspace():
        return " "
    if KEY_START_RE.match(continuation) and ("=" not in previous or COMPLETE_TAIL_RE.search(previous)):
        return " "
    return ""


_SNIFF_LINES = 200


def _is_ztunnel_line(line: str) -> bool:
    line = line.strip()
    m = PREFIX_RE.match(line)
    if m is not None:
        line = line[m.end():]
    if line.startswith("{"):
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError:
            return False
        if not isinstance(obj, dict) or "level" not in obj or not ({"time", "timestamp"} & obj.keys()):
            return False
        target = str(obj.get("scope") or obj.get("target") or "")
        return target == "access" or "::" in target or "src.addr" in obj
    m2 = KUBECTL_TS_RE.match(line)
    if m2 is not None:
        line = line[m2.end():]
    m3 = LINE_RE.match(line)
    if m3 is None:
        return False
    target = m3.group("target") or ""
    return (target == "access" and (m3.group("rest") or "").startswith("connection ")) or "::" in target


def looks_like_ztunnel_log(head: str) -> bool:
    """True when one of the first lines of ``head`` is a ztunnel line (access, or a Rust target)."""
    for i, line in enumerate(head.splitlines()):
        if i >= _SNIFF_LINES:
            break
        if line.strip() and _is_ztunnel_line(line):
            return True
    return False


def ztunnel_log_sniff(doc: Any) -> bool:
    """A streamed log file (see ``read.py``), or text whose first lines are ztunnel's."""
    if doc.extra.get("stream"):
        return True
    return doc.syntax == "text" and doc.text is not None and looks_like_ztunnel_log(doc.text[:65536])
