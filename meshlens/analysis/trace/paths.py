r"""What Envoy's HTTP connection manager does to ``:path`` before route matching.

In Envoy's order (``ConnectionManagerUtility::maybeNormalizePath``), each step only when the HCM
asks for it:

1. ``path_with_escaped_slashes_action``: ``%2F``/``%5C`` (either case) in the path are decoded to
   ``/`` and ``\``; ``REJECT_REQUEST`` answers 400 instead, ``UNESCAPE_AND_REDIRECT`` answers 307
   to the rewritten path (400 for gRPC). Unset (``IMPLEMENTATION_SPECIFIC_DEFAULT``) and
   ``KEEP_UNCHANGED`` keep them.
2. ``normalize_path`` (RFC 3986 with the URL library's canonical form): percent-encoded unreserved
   characters are decoded, ``\`` becomes ``/``, characters a URL may not hold (space, ``"<>`{}|^``,
   controls, non-ASCII) are percent-encoded, ``.``/``..`` segments are resolved; a ``%00`` makes the
   path invalid (400).
3. ``merge_slashes``: runs of ``/`` collapse to one.

Only the path is touched, never the query string. Verified against Envoy 1.40 (the lab's
``hcm_paths`` configuration and ``tests/test_trace_semantics.py``).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field

UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
ESCAPED = frozenset(' "<>`{}|^')  # printable ASCII the canonical form percent-encodes
HEX = frozenset(string.hexdigits)
_ESCAPED_SLASH = re.compile(r"%(2[fF]|5[cC])")
_SLASHES = re.compile(r"/{2,}")
KEEP = (None, "", "IMPLEMENTATION_SPECIFIC_DEFAULT", "KEEP_UNCHANGED")


@dataclass
class PathResult:
    """The path Envoy routes on, and whether the request gets a local reply instead."""

    path: str  # path and query, as route matching (and a redirect) sees it
    action: str = "continue"  # continue | reject (400) | redirect (307 to ``path``)
    steps: list[str] = field(default_factory=list)  # what changed, in order, for the trace's hop


def _split(path: str) -> tuple[str, str]:
    i = path.find("?")
    return (path, "") if i < 0 else (path[:i], path[i:])


def _canonical_chars(path: str) -> str | None:
    """Percent-decoding of unreserved characters and escaping of the rest; None when invalid."""
    out: list[str] = []
    i, n = 0, len(path)
    while i < n:
        ch = path[i]
        if ch == "%" and i + 2 < n and path[i + 1] in HEX and path[i + 2] in HEX:
            value = int(path[i + 1:i + 3], 16)
            if value == 0:
                return None
            decoded = chr(value)
            out.append(decoded if decoded in UNRESERVED else path[i:i + 3])
            i += 3
            continue
        if ch == "\0":
            return None
        if ch == "\\":
            out.append("/")
        elif ch in ESCAPED or ord(ch) < 0x20 or ord(ch) >= 0x7F:
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8")))
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4 for an absolute path: ``/a/./b/../c`` -> ``/a/c``."""
    segments = path.split("/")[1:]
    out: list[str] = []
    last = len(segments) - 1
    for i, seg in enumerate(segments):
        if seg in (".", ".."):
            if seg == ".." and out:
                out.pop()
            if i == last:
                out.append("")  # "/a/." and "/a/b/.." end with a slash
            continue
        out.append(seg)
    return "/" + "/".join(out)


def canonical_path(path: str) -> str | None:
    """The path part under ``normalize_path``; None when Envoy rejects it (400)."""
    if not path.startswith("/"):
        return path
    chars = _canonical_chars(path)
    return None if chars is None else remove_dot_segments(chars)


def normalize(path: str, normalize_path: bool | None, merge_slashes: bool | None,
              escaped_slashes_action: str | None, grpc: bool = False) -> PathResult:
    """The request path after the connection manager's normalisation (see the module docstring)."""
    result = PathResult(path=path)
    part, query = _split(path)
    action = escaped_slashes_action if escaped_slashes_action not in KEEP else None
    if action is not None and _ESCAPED_SLASH.search(part):
        if action == "REJECT_REQUEST":
            result.action = "reject"
            result.steps.append(f"path_with_escaped_slashes_action REJECT_REQUEST: {part!r} has %2F/%5C")
            return result
        unescaped = _ESCAPED_SLASH.sub(lambda m: "/" if m.group(1) in ("2f", "2F") else "\\", part)
        result.steps.append(f"{action}: {part!r} -> {unescaped!r}")
        part = unescaped
        if action == "UNESCAPE_AND_REDIRECT":
            result.action = "reject" if grpc else "redirect"
            if grpc:
                result.steps.append("a gRPC request is not redirected: 400 instead")
    if normalize_path:
        canonical = canonical_path(part)
        if canonical is None:
            result.action = "reject"
            result.steps.append(f"normalize_path: {part!r} is not a valid path (%00)")
            result.path = part + query
            return result
        if canonical != part:
            result.steps.append(f"normalize_path: {part!r} -> {canonical!r}")
        part = canonical
    if merge_slashes:
        merged = _SLASHES.sub("/", part)
        if merged != part:
            result.steps.append(f"merge_slashes: {part!r} -> {merged!r}")
        part = merged
    result.path = part + query
    return result
