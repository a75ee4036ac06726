"""Bounded reading: every byte meshlens reads from a file, stdin or a decompressor goes through here.

A bug-report archive comes from a cluster in trouble and may be hostile. The rules, in one place:

- Only regular files are read. FIFOs, sockets and devices are refused before they are read from
  (a FIFO is opened non-blocking, so even opening it cannot hang).
- Inside a directory, a symlink is followed only to a regular file inside that directory's tree;
  a symlink elsewhere (``/dev/zero``, ``/etc/passwd``) or a dangling one is reported, not read.
- Every load has a byte budget (:data:`DEFAULT_MAX_BYTES`, 2 GiB, ``max_bytes=`` in
  :func:`meshlens.load`, ``--max-bytes`` / ``MESHLENS_MAX_BYTES`` on the command line): the bytes
  read from files plus the bytes produced by decompression. Decompression stops at the budget,
  and a gzip whose own size trailer announces more than the budget is refused before inflating.
- YAML aliases (``*name``) are refused: captures are written by Go and protojson marshallers,
  which never emit them, while an alias can make a document exponentially large (billion laughs)
  or cyclic (``&a [*a]``).
- A YAML value JSON could not hold (an integer beyond 64 bits, NaN, Infinity) is refused, as is a
  document nested deeper than :data:`MAX_DEPTH` levels.
"""

from __future__ import annotations

import contextvars
import errno
import gzip
import io
import os
import re
import stat
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from meshlens.errors import LoadError, UsageError
from meshlens.models.base import MAX_DEPTH, Location

DEFAULT_MAX_BYTES = 2 * 1024**3
_INT64_MIN = -(2**63)
_UINT64_MAX = 2**64 - 1

_limit: contextvars.ContextVar[int | None] = contextvars.ContextVar("meshlens_max_bytes", default=None)


def parse_size(text: str | int) -> int:
    """``2GiB``, ``500M``, ``64k`` or a plain number of bytes, as bytes.

    Raises:
        UsageError: the text is not a size.
    """
    if isinstance(text, int):
        value = text
    else:
        match = re.fullmatch(r"\s*(\d+)\s*([kmgt]?)(i?b?)\s*", str(text), re.IGNORECASE)
        if not match:
            raise UsageError(f"not a size: {text!r} (expected bytes, or a number with K, M, G or T, e.g. 2GiB)")
        unit = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}[match.group(2).lower()]
        value = int(match.group(1)) * unit
    if value <= 0:
        raise UsageError(f"the byte limit must be positive (got {text!r})")
    return value


def current_limit(max_bytes: int | None = None) -> int:
    """The byte budget of a load: ``max_bytes`` if given, else the one set by :func:`limit`, else 2 GiB."""
    if max_bytes is not None:
        return parse_size(max_bytes)
    env = os.environ.get("MESHLENS_MAX_BYTES")
    ctx = _limit.get()
    if ctx is not None:
        return ctx
    return parse_size(env) if env else DEFAULT_MAX_BYTES


@contextmanager
def limit(max_bytes: int | str | None) -> Iterator[None]:
    """Within the block, loads that pass no ``max_bytes`` use this budget (the CLI's ``--max-bytes``)."""
    token = _limit.set(parse_size(max_bytes) if max_bytes is not None else None)
    try:
        yield
    finally:
        _limit.reset(token)


@dataclass
class Budget:
    """Bytes a load may still read or inflate; shared by every member of an archive or directory."""

    total: int
    used: int = 0

    @property
    def remaining(self) -> int:
        return max(self.total - self.used, 0)

    def take(self, size: int, location: Location, what: str = "input") -> None:
        """Account for ``size`` more bytes, or raise a located :class:`LoadError` past the budget."""
        self.used += size
        if self.used > self.total:
            raise LoadError(f"{what} exceeds the byte limit of {_human(self.total)} "
                            "(raise it with --max-bytes / max_bytes= if the capture is genuine)",
                            file=location.file, member=location.member)


def _human(size: int) -> str:
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} bytes"


def mtime_stamp(mtime: float | None) -> datetime | None:
    """A file or archive member's mtime as a UTC time; None when absent or out of range (hostile tar)."""
    if mtime is None:
        return None
    try:
        return datetime.fromtimestamp(mtime, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def _file_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a regular file"


def read_file(path: str | Path, budget: Budget, location: Location) -> bytes:
    """The bytes of a regular file, within ``budget``; anything else is a located :class:`LoadError`."""
    where = {"file": location.file, "member": location.member}
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        if os.path.islink(path):
            raise LoadError(f"dangling symlink (its target {os.readlink(path)!r} does not exist)", **where) from None
        raise LoadError("no such file or directory", **where) from None
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # opening a Unix socket
            raise LoadError("is a socket, not a regular file: refused", **where) from None
        raise LoadError(f"cannot read: {exc.strerror or exc}", **where) from None
    with os.fdopen(fd, "rb", buffering=0) as handle:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            if stat.S_ISDIR(mode):
                raise LoadError("is a directory", **where)
            raise LoadError(f"is {_file_kind(mode)}, not a regular file: refused", **where)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        try:
            data = _read_at_most(handle, budget.remaining + 1)
        except OSError as exc:
            raise LoadError(f"cannot read: {exc.strerror or exc}", **where) from None
    budget.take(len(data), location, "the input")
    return data


def read_stream(handle: Any, budget: Budget, location: Location) -> bytes:
    """Bytes from an open binary stream (stdin), within ``budget``."""
    data = _read_at_most(handle, budget.remaining + 1)
    budget.take(len(data), location, "the input")
    return data


def _read_at_most(handle: Any, size: int) -> bytes:
    chunks = []
    left = size
    while left > 0:
        chunk = handle.read(min(left, 1 << 24))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def gunzip(data: bytes, budget: Budget, location: Location) -> bytes:
    """Inflate gzip ``data`` (one or more members) within ``budget``."""
    where = {"file": location.file, "member": location.member}
    if len(data) >= 18:
        (announced,) = struct.unpack("<I", data[-4:])  # ISIZE: the last member's size mod 2**32
        if announced > budget.remaining:
            raise LoadError(f"gzip data announces {announced} bytes once inflated, over the byte limit of "
                            f"{_human(budget.total)} (raise it with --max-bytes / max_bytes= if genuine)", **where)
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data), mode="rb") as handle:
            out = _read_at_most(handle, budget.remaining + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise LoadError(f"corrupt or truncated gzip data ({exc})", **where) from None
    except MemoryError:
        raise LoadError("not enough memory to inflate the gzip data (lower --max-bytes)", **where) from None
    budget.take(len(out), location, "the inflated gzip data")
    return out


# --- YAML -------------------------------------------------------------------------------------------
_ANCHOR_RE = re.compile(r"(?:^|[\s\[{,:\-?])[&*][^\s\[\]{},]")


class YamlRefused(Exception):
    """A YAML document meshlens will not build (aliases, values JSON cannot hold, too deep)."""


def load_yaml(text: str) -> Any:
    """Parse YAML safely: aliases refused, JSON-incompatible values and deep nesting refused.

    Returns None when ``text`` is not YAML at all; raises :class:`YamlRefused` when it is YAML that
    meshlens refuses to build.
    """
    import yaml  # only YAML captures pay for the YAML parser's import

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    if _ANCHOR_RE.search(text):
        try:
            for event in yaml.parse(text, Loader=loader):
                if isinstance(event, yaml.AliasEvent):
                    raise YamlRefused(f"YAML alias *{event.anchor} refused: captures never use anchors and "
                                      "aliases, which can expand a small file without bound")
        except yaml.YAMLError:
            return None
    try:
        value = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        return None
    except RecursionError:
        raise YamlRefused(f"nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:  # int("9" * 5000) is refused by Python itself
        if "digits" in str(exc):
            raise YamlRefused("an integer beyond 64 bits, which JSON parsers do not accept") from None
        raise YamlRefused(f"a YAML value meshlens cannot build ({exc})") from None
    check_json_values(value)
    return value


def check_json_values(value: Any) -> None:  # noqa: C901 - one iterative walk, every JSON kind
    """Refuse what JSON cannot hold (integers beyond 64 bits, NaN, Infinity) and nesting beyond MAX_DEPTH.

    Iterative, so arbitrarily deep input cannot exhaust the Python stack.
    """
    stack: list[tuple[Any, int, str]] = [(value, 1, "$")]
    while stack:
        node, depth, path = stack.pop()
        if isinstance(node, dict):
            if depth > MAX_DEPTH:
                raise YamlRefused(f"nested deeper than {MAX_DEPTH} levels (at {path})")
            for key, item in node.items():
                if isinstance(key, (int, float)):  # YAML allows ``80: 8080`` (ztunnel's port maps)
                    stack.append((key, depth + 1, f"{path} key"))
                if isinstance(item, (dict, list, int, float)):
                    stack.append((item, depth + 1, f"{path}.{key}"))
        elif isinstance(node, list):
            if depth > MAX_DEPTH:
                raise YamlRefused(f"nested deeper than {MAX_DEPTH} levels (at {path})")
            for i, item in enumerate(node):
                if isinstance(item, (dict, list, int, float)):
                    stack.append((item, depth + 1, f"{path}[{i}]"))
        elif isinstance(node, bool):
            continue
        elif isinstance(node, int):
            if not _INT64_MIN <= node <= _UINT64_MAX:
                raise YamlRefused(f"integer at {path} is beyond 64 bits, which JSON parsers do not accept")
        elif isinstance(node, float) and (node != node or node in (float("inf"), float("-inf"))):
            raise YamlRefused(f"{node} at {path}: NaN and Infinity are not JSON numbers")
