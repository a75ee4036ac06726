"""Turn a user's source (path, directory, archive, bytes, dict, stdin) into parsed documents.

Detection is by content, never by file name: gzip by its magic bytes, tar by its header, JSON by
its first character, YAML when it parses to a mapping or list, anything else as text. File names
only serve to group the files of one proxy (a bug-report ``proxies/<ns>/<pod>/`` folder) and to
name things in messages.
"""

from __future__ import annotations

import codecs
import gzip
import io
import os
import re
import sys
import tarfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from meshlens.errors import LoadError
from meshlens.models.base import Location
from meshlens.sources.bounded import Budget, YamlRefused, current_limit, gunzip, load_yaml, read_file, read_stream
from meshlens.sources.ztunnel_log_grammar import looks_like_ztunnel_log

GZIP_MAGIC = b"\x1f\x8b"
_LOG_LINE_RE = re.compile(r"^\[\d{4}-\d\d-\d\d[ T]")
_YAML_KEY_RE = re.compile(r"""^["']?[A-Za-z_@][\w.\-/@]*["']?:(\s|$)""")
MAX_YAML_FALLBACK = 8 * 1024**2  # JSON that fails to parse is retried as YAML only up to this size
DEFERRED = "deferred"  # the syntax of a member read but not parsed yet (``defer_members``)
LOG_HEAD_BYTES = 65536  # how much of a file is read to tell a log (streamed) from a capture
_BINARY_MAGICS = {
    b"\x89PNG": "a PNG image",
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a zip archive",
    b"\x7fELF": "an ELF binary",
    b"GIF8": "a GIF image",
    b"\xff\xd8\xff": "a JPEG image",
}


@dataclass
class Document:
    """One parsed input: a JSON/YAML value (``data``) or text (``text``), and where it came from.

    ``group`` keys the proxy a document belongs to: files in one folder (a bug-report
    ``proxies/<ns>/<pod>/``) or given together describe one proxy.
    """

    location: Location
    data: Any = None
    text: str | None = None
    group: str = ""
    mtime: float | None = None
    syntax: str = "json"  # json | yaml | text
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def file(self) -> str | None:
        return self.location.file

    @property
    def basename(self) -> str:
        name = self.location.member or self.location.file or ""
        return name.rstrip("/").rsplit("/", 1)[-1]

    def error(self, message: str, json_path: str | None = None) -> LoadError:
        return LoadError(message, file=self.location.file, member=self.location.member,
                         json_path=json_path or None)


def _strip_bom(data: bytes) -> bytes:
    """Text saved with a byte-order mark (Windows editors, PowerShell redirection) as plain UTF-8."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):]
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            return data
    return data


def _describe_binary(data: bytes) -> str | None:
    for magic, what in _BINARY_MAGICS.items():
        if data.startswith(magic):
            return what
    sample = data[:4096]
    if b"\x00" in sample:
        return "binary data"
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 4:  # not just a multi-byte char cut at the sample's end
            return "binary data (not UTF-8 text)"
    return None


_NOT_JSON_NUMBERS = (b"NaN", b"Infinity", b"-Infinity", b"+Infinity")


def _json_refusal(data: bytes, exc: orjson.JSONDecodeError) -> str | None:
    """Why JSON-looking ``data`` is refused outright (not retried as flow-style YAML), if it is."""
    msg = str(exc)
    pos = getattr(exc, "pos", None)
    where = f" at line {exc.lineno} column {exc.colno}" if getattr(exc, "lineno", None) else ""
    if "depth limit" in msg or "recursion" in msg.lower():
        return f"JSON nested too deeply{where}: over the 1024 levels a JSON parser accepts"
    if "number" in msg:
        return f"number out of range{where}: JSON parsers accept 64-bit integers and finite doubles only"
    if pos is not None and data[pos:pos + 9].startswith(_NOT_JSON_NUMBERS):
        return f"NaN or Infinity{where}: not a JSON value"
    return None


def _json_error_hint(data: bytes, exc: orjson.JSONDecodeError) -> str:
    pos = getattr(exc, "pos", None)
    if pos is not None and pos >= len(data.rstrip()) - 1:
        return f"truncated JSON (input ends at byte {len(data)} before the document is complete)"
    lineno = getattr(exc, "lineno", None)
    colno = getattr(exc, "colno", None)
    where = f" at line {lineno} column {colno}" if lineno else ""
    return f"invalid JSON{where}: {exc.msg if hasattr(exc, 'msg') else exc}"


def parse_bytes(data: bytes, location: Location, *, group: str = "", mtime: float | None = None,
                budget: Budget | None = None) -> Document:
    """Parse one input's bytes into a :class:`Document` (decompressing gzip first, within ``budget``)."""
    if data.startswith(GZIP_MAGIC):
        data = gunzip(data, budget if budget is not None else Budget(current_limit()), location)
    doc = Document(location=location, group=group, mtime=mtime)
    data = _strip_bom(data)
    stripped = data.lstrip()
    if not stripped:
        raise doc.error("empty input: expected a JSON, YAML or text capture "
                        "(Envoy /config_dump, /clusters, ztunnel /config_dump, syncz, ...)")
    binary = _describe_binary(stripped)
    if binary:
        raise doc.error(f"{binary}, not a capture: expected JSON, YAML or Envoy admin text")
    if stripped[:1] in (b"{", b"["):
        try:
            doc.data = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            refusal = _json_refusal(data, exc)
            if refusal:
                raise doc.error(refusal) from None
            # YAML is a superset of JSON: a flow-style YAML capture (istioctl -o yaml of a
            # ConfigDump can look like this) still loads; real JSON damage fails both ways.
            text = data.decode("utf-8", errors="replace")
            if _LOG_LINE_RE.match(text.lstrip()) or looks_like_ztunnel_log(text[:LOG_HEAD_BYTES]):
                # Envoy's default log format starts "[2026-11-22 13:31:36.123][14][info]...", ztunnel's
                # JSON logs are one object per line, kubectl --prefix starts "[pod/...]": text.
                doc.text = text
                doc.syntax = "text"
                return doc
            # (a large document that is not JSON is not flow-style YAML either: skip the slow parser)
            value = _try_yaml(text, doc) if len(data) <= MAX_YAML_FALLBACK else None
            if not isinstance(value, (dict, list)):
                raise doc.error(_json_error_hint(data, exc)) from None
            doc.data = value
            doc.syntax = "yaml"
        return doc
    text = data.decode("utf-8", errors="replace")
    doc.text = text
    doc.syntax = "text"
    if _maybe_yaml(text) and not looks_like_ztunnel_log(text[:LOG_HEAD_BYTES]):
        value = _try_yaml(text, doc)
        if isinstance(value, (dict, list)):
            doc.data = value
            doc.syntax = "yaml"
    return doc


def _try_yaml(text: str, doc: Document) -> Any:
    try:
        return load_yaml(text)
    except YamlRefused as exc:
        raise doc.error(str(exc)) from None


def _maybe_yaml(text: str) -> bool:
    """Cheap pre-check so big text captures (logs, /clusters text, Prometheus stats) skip the YAML parser."""
    lines = [line for line in text.lstrip().split("\n", 50)[:50] if line.strip()]
    # YAML comments are allowed before the document; Prometheus' "# HELP"/"# TYPE" are not YAML.
    body = [line for line in lines if not line.startswith("#")]
    if not body or any(line.startswith(("# HELP", "# TYPE")) for line in lines):
        return False
    first = body[0]
    if "::" in first or "\t" in first:  # Envoy admin text (/clusters, /listeners), Istio-format logs
        return False
    return first.startswith(("---", "- ", "{")) or _YAML_KEY_RE.match(first) is not None


def _read_stdin(budget: Budget) -> bytes:
    return read_stream(sys.stdin.buffer, budget, Location(file="<stdin>"))


def _is_tar(data: bytes) -> bool:
    return len(data) > 262 and data[257:262] == b"ustar"


def _from_tar(data: bytes, file: str, budget: Budget, defer: bool = False) -> Iterator[Document]:
    """Documents of a tar archive; a member that cannot be read is an 'unreadable' document, and a
    truncated archive keeps the members read before the damage.
    """
    try:
        tar = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")  # noqa: SIM115 - closed by the with below
    except tarfile.TarError as exc:
        raise LoadError(f"not a readable tar archive ({exc})", file=file) from exc
    with tar:
        members = iter(tar)
        while True:
            try:
                member = next(members)
            except StopIteration:
                break
            except tarfile.TarError as exc:
                read_so_far: list[tarfile.TarInfo] = getattr(tar, "members", [])  # no re-read of a damaged tar
                last = read_so_far[-1].name if read_so_far else "the start"
                yield _unreadable(Location(file=file, member=f"<after {last}>"), "", None,
                                  f"damaged or truncated tar archive: no further member readable ({exc})")
                break
            if not member.isfile():
                continue
            location = Location(file=file, member=member.name)
            group = os.path.dirname(member.name)
            try:
                handle = tar.extractfile(member)
                body = handle.read() if handle is not None else b""
                if len(body) != member.size:
                    raise tarfile.ReadError(f"member is {member.size} bytes, {len(body)} present")
            except (tarfile.TarError, OSError, EOFError) as exc:
                yield _unreadable(location, group, float(member.mtime),
                                  f"truncated or damaged archive member ({exc})")
                continue
            yield from _member_documents(body, location, group, float(member.mtime), budget, defer)


def _unreadable(location: Location, group: str, mtime: float | None, message: str) -> Document:
    return Document(location=location, group=group, mtime=mtime, syntax="unreadable", extra={"error": message})


def _member_documents(body: bytes, location: Location, group: str, mtime: float | None,
                      budget: Budget, defer: bool = False) -> Iterator[Document]:
    """Documents of one archive/directory member; unreadable members become 'unrecognized'.

    With ``defer`` the member is not parsed: a ``deferred`` document carries its bytes, for
    :func:`parse_member` to parse later (in a worker process: :mod:`meshlens.sources.parallel`).
    """
    if not body.strip():
        return
    if defer:
        yield Document(location=location, group=group, mtime=mtime, syntax=DEFERRED, extra={"body": body})
        return
    try:
        yield parse_bytes(body, location, group=group, mtime=mtime, budget=budget)
    except LoadError as exc:
        yield _unreadable(location, group, mtime, exc.message)
    except MemoryError:
        yield _unreadable(location, group, mtime, "not enough memory to parse this member (lower --max-bytes)")


def parse_member(doc: Document, budget: Budget) -> Iterator[Document]:
    """The documents of a ``deferred`` member (see :func:`read_source`'s ``defer_members``)."""
    if doc.syntax != DEFERRED:
        yield doc
        return
    yield from _member_documents(doc.extra["body"], doc.location, doc.group, doc.mtime, budget)


def _from_directory(root: Path, budget: Budget, defer: bool = False) -> Iterator[Document]:
    """Documents of the regular files under ``root``; symlinks are followed only to regular files
    inside the tree (never to devices, FIFOs or files elsewhere), and what is skipped is said.
    """
    real_root = os.path.realpath(root)
    for dirpath, dirnames, filenames in os.walk(root):  # never descends into symlinked directories
        dirnames.sort()
        for name in sorted(dirnames):
            path = Path(dirpath) / name
            if path.is_symlink():
                rel = path.relative_to(root).as_posix()
                yield _unreadable(Location(file=str(root), member=rel), os.path.dirname(rel), None,
                                  "symlink to a directory: not followed")
        for name in sorted(filenames):
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            location = Location(file=str(root), member=rel)
            group = os.path.dirname(rel)
            if path.is_symlink():
                target = os.path.realpath(path)
                if not os.path.exists(target):
                    yield _unreadable(location, group, None,
                                      f"dangling symlink (its target {os.readlink(path)!r} does not exist)")
                    continue
                if os.path.commonpath([real_root, target]) != real_root:
                    yield _unreadable(location, group, None,
                                      f"symlink to {target}, outside the directory: not followed")
                    continue
            try:
                body = read_file(path, budget, location)
                mtime: float | None = path.stat().st_mtime
            except LoadError as exc:
                if "byte limit" in exc.message:
                    raise
                yield _unreadable(location, group, None, exc.message)
                continue
            except OSError as exc:
                yield _unreadable(location, group, None, f"cannot read: {exc.strerror or exc}")
                continue
            yield from _member_documents(body, location, group, mtime, budget, defer)


def _streamed_log(path: Path, label: str) -> Document | None:
    """A Document that streams ``path`` when its head is a ztunnel log (never read whole), else None.

    Only regular files are peeked at: FIFOs, sockets and devices go to ``read_file``, which refuses them.
    """
    try:
        if not path.is_file():
            return None
        with path.open("rb") as handle:
            head = handle.read(LOG_HEAD_BYTES)
            if head.startswith(GZIP_MAGIC):
                handle.seek(0)
                with gzip.GzipFile(fileobj=handle) as unzipped:
                    head = unzipped.read(LOG_HEAD_BYTES)
    except (OSError, EOFError, zlib.error):
        return None  # read_bytes below reports it in one line
    head = _strip_bom(head)
    if _describe_binary(head.lstrip()):
        return None
    text = head.decode("utf-8", errors="replace")
    cut = text.rfind("\n")
    if cut > 0 and len(head) == LOG_HEAD_BYTES:
        text = text[:cut]  # only whole lines
    if not looks_like_ztunnel_log(text):
        return None
    return Document(location=Location(file=label), group=label, syntax="text", mtime=path.stat().st_mtime,
                    extra={"stream": str(path)})


def read_source(source: Any, *, max_bytes: int | None = None,
                defer_members: bool = False) -> tuple[list[Document], bool]:
    """Read ``source`` into documents. Returns (documents, is_collection).

    ``is_collection`` is True for archives and directories, where members that are not captures
    are reported as findings instead of failing the whole load. Everything read or inflated counts
    against ``max_bytes`` (default: :func:`meshlens.sources.bounded.current_limit`, 2 GiB). With
    ``defer_members`` an archive's or directory's members are read but not parsed (``deferred``
    documents, parsed by :func:`parse_member`, e.g. in parallel worker processes).
    """
    if isinstance(source, Document):
        return [source], False
    if isinstance(source, (dict, list)):
        return [Document(location=Location(file="<dict>"), data=source, group="<dict>")], False
    budget = Budget(current_limit(max_bytes))
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        label = "<bytes>"
        budget.take(len(data), Location(file=label), "the input")
    elif isinstance(source, (str, os.PathLike)):
        label = os.fspath(source)
        if label == "-":
            data = _read_stdin(budget)
            label = "<stdin>"
        else:
            path = Path(label)
            if path.is_dir():
                return list(_from_directory(path, budget, defer_members)), True
            streamed = _streamed_log(path, label)
            if streamed is not None:
                return [streamed], False
            data = read_file(path, budget, Location(file=label))
    else:
        raise LoadError(f"cannot load a {type(source).__name__}: expected a path, bytes, a dict or '-'")
    if data.startswith(GZIP_MAGIC):
        data = gunzip(data, budget, Location(file=label))
    if _is_tar(data):
        return list(_from_tar(data, label, budget, defer_members)), True
    return [parse_bytes(data, Location(file=label), group=label, budget=budget)], False
