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

GZIP_MAGIC = b"\x1f\x8b"
_LOG_LINE_RE = re.compile(r"^\[\d{4}-\d\d-\d\d[ T]")
_YAML_KEY_RE = re.compile(r"""^["']?[A-Za-z_@][\w.\-/@]*["']?:(\s|$)""")
MAX_MEMBER_BYTES = 2 * 1024**3  # refuse absurd archive members (zip bombs)
MAX_YAML_FALLBACK = 8 * 1024**2  # JSON that fails to parse is retried as YAML only up to this size
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


def _json_error_hint(data: bytes, exc: orjson.JSONDecodeError) -> str:
    pos = getattr(exc, "pos", None)
    if pos is not None and pos >= len(data.rstrip()) - 1:
        return f"truncated JSON (input ends at byte {len(data)} before the document is complete)"
    lineno = getattr(exc, "lineno", None)
    colno = getattr(exc, "colno", None)
    where = f" at line {lineno} column {colno}" if lineno else ""
    return f"invalid JSON{where}: {exc.msg if hasattr(exc, 'msg') else exc}"


def parse_bytes(data: bytes, location: Location, *, group: str = "", mtime: float | None = None) -> Document:
    """Parse one input's bytes into a :class:`Document` (decompressing gzip first)."""
    if data.startswith(GZIP_MAGIC):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise LoadError(f"corrupt or truncated gzip data ({exc})", file=location.file,
                            member=location.member) from exc
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
            # YAML is a superset of JSON: a flow-style YAML capture (istioctl -o yaml of a
            # ConfigDump can look like this) still loads; real JSON damage fails both ways.
            text = data.decode("utf-8", errors="replace")
            if _LOG_LINE_RE.match(text.lstrip()):
                # Envoy's default log format starts "[2026-11-22 13:31:36.123][14][info]...": text.
                doc.text = text
                doc.syntax = "text"
                return doc
            # (a large document that is not JSON is not flow-style YAML either: skip the slow parser)
            value = _try_yaml(text) if len(data) <= MAX_YAML_FALLBACK else None
            if not isinstance(value, (dict, list)):
                raise doc.error(_json_error_hint(data, exc)) from None
            doc.data = value
            doc.syntax = "yaml"
        return doc
    text = data.decode("utf-8", errors="replace")
    doc.text = text
    doc.syntax = "text"
    if _maybe_yaml(text):
        value = _try_yaml(text)
        if isinstance(value, (dict, list)):
            doc.data = value
            doc.syntax = "yaml"
    return doc


def _try_yaml(text: str) -> Any:
    import yaml  # only YAML captures pay for the YAML parser's import

    try:
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    except yaml.YAMLError:
        return None


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


def _read_stdin() -> bytes:
    return sys.stdin.buffer.read()


def _is_tar(data: bytes) -> bool:
    return len(data) > 262 and data[257:262] == b"ustar"


def _from_tar(data: bytes, file: str) -> Iterator[Document]:
    try:
        tar = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")  # noqa: SIM115 - closed by the with below
    except tarfile.TarError as exc:
        raise LoadError(f"not a readable tar archive ({exc})", file=file) from exc
    with tar:
        for member in tar:
            if not member.isfile():
                continue
            if member.size > MAX_MEMBER_BYTES:
                raise LoadError(f"archive member is {member.size} bytes, over the limit", file=file,
                                member=member.name)
            handle = tar.extractfile(member)
            if handle is None:
                continue
            body = handle.read()
            yield from _member_documents(body, Location(file=file, member=member.name),
                                         os.path.dirname(member.name), float(member.mtime))


def _member_documents(body: bytes, location: Location, group: str, mtime: float | None) -> Iterator[Document]:
    """Documents of one archive/directory member; unreadable members become 'unrecognized'."""
    if not body.strip():
        return
    try:
        yield parse_bytes(body, location, group=group, mtime=mtime)
    except LoadError as exc:
        yield Document(location=location, group=group, mtime=mtime, syntax="unreadable",
                       extra={"error": exc.message})


def _from_directory(root: Path) -> Iterator[Document]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            body = path.read_bytes()
            yield from _member_documents(body, Location(file=str(root), member=rel),
                                         os.path.dirname(rel), path.stat().st_mtime)


def read_source(source: Any) -> tuple[list[Document], bool]:
    """Read ``source`` into documents. Returns (documents, is_collection).

    ``is_collection`` is True for archives and directories, where members that are not captures
    are reported as findings instead of failing the whole load.
    """
    if isinstance(source, Document):
        return [source], False
    if isinstance(source, (dict, list)):
        return [Document(location=Location(file="<dict>"), data=source, group="<dict>")], False
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        label = "<bytes>"
    elif isinstance(source, (str, os.PathLike)):
        label = os.fspath(source)
        if label == "-":
            data = _read_stdin()
            label = "<stdin>"
        else:
            path = Path(label)
            if path.is_dir():
                return list(_from_directory(path)), True
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                raise LoadError("no such file or directory", file=label) from None
            except IsADirectoryError:
                raise LoadError("is a directory", file=label) from None
            except OSError as exc:
                raise LoadError(f"cannot read: {exc.strerror or exc}", file=label) from None
    else:
        raise LoadError(f"cannot load a {type(source).__name__}: expected a path, bytes, a dict or '-'")
    if data.startswith(GZIP_MAGIC):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise LoadError(f"corrupt or truncated gzip data ({exc})", file=label) from None
    if _is_tar(data):
        return list(_from_tar(data, label)), True
    return [parse_bytes(data, Location(file=label), group=label)], False
