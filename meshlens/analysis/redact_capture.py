"""``meshlens redact IN OUT``: a copy of a capture or archive that is safe to attach to a public issue.

Every member is rewritten: JSON and YAML documents through :func:`~meshlens.models.redaction.redact_tree`
(private keys and every field Envoy's API marks sensitive, as Envoy's ``[redacted]``), any other text
through :func:`~meshlens.models.redaction.redact_text` (PEM private key blocks). With
``pseudonymize``, IPs, pod names, namespaces, hostnames and SPIFFE ids are also replaced consistently
across all members (:mod:`meshlens.analysis.pseudonym`), member paths included. The input is never
modified; an archive is written as an archive of the same format (tar, tar.gz), a directory as a
directory, a file as a file (gzip if it was). A member that cannot be read as text (binary) is not
copied, and said so: nothing unchecked leaves.
"""

from __future__ import annotations

import gzip
import io
import os
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from meshlens.analysis.pseudonym import Pseudonymizer
from meshlens.errors import LoadError, UsageError
from meshlens.models.base import Location
from meshlens.models.redaction import redact_text, redact_tree
from meshlens.sources.bounded import Budget, current_limit, gunzip, load_yaml, read_file


@dataclass
class Member:
    """One file of the capture: its path inside it, its bytes, and tar metadata to keep."""

    path: str
    data: bytes
    mode: int = 0o644
    mtime: float = 0.0


@dataclass
class RedactionResult:
    """What ``redact`` wrote: the output, the members by what was done to them, and notes."""

    output: str
    members: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # not copied (binary, unreadable), with the reason
    pseudonyms: int = 0
    pseudonymizer: Pseudonymizer | None = field(default=None, repr=False)  # in memory only, never written

    def __str__(self) -> str:
        lines = [f"wrote {self.output}: {len(self.members)} member(s)"
                 + (f", {self.pseudonyms} name(s) pseudonymized" if self.pseudonyms else "")]
        lines += [f"not copied: {s}" for s in self.skipped]
        return "\n".join(lines) + "\n"


def _read_members(source: Path, budget: Budget) -> tuple[str, list[Member]]:
    """The members of ``source`` and its format: ``dir``, ``tar``, ``tar.gz``, ``gz`` or ``file``."""
    if source.is_dir():
        members = []
        root = os.path.realpath(source)
        for dirpath, _, names in os.walk(source):
            for name in sorted(names):
                path = Path(dirpath) / name
                rel = path.relative_to(source).as_posix()
                if os.path.commonpath([root, os.path.realpath(path)]) != root:
                    raise LoadError("symlink out of the directory: refused", file=str(source), member=rel)
                data = read_file(path, budget, Location(file=str(source), member=rel))
                members.append(Member(rel, data, path.stat().st_mode & 0o777, path.stat().st_mtime))
        return "dir", members
    data = read_file(source, budget, Location(file=str(source)))
    fmt = "file"
    if data[:2] == b"\x1f\x8b":
        data = gunzip(data, budget, Location(file=str(source)))
        fmt = "gz"
    if len(data) > 262 and data[257:262] == b"ustar":
        return ("tar.gz" if fmt == "gz" else "tar"), _tar_members(data, str(source))
    return fmt, [Member(source.name.removesuffix(".gz") if fmt == "gz" else source.name, data)]


def _tar_members(data: bytes, file: str) -> list[Member]:
    members = []
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
            for info in tar:
                if not info.isfile():
                    continue
                handle = tar.extractfile(info)
                body = handle.read() if handle is not None else b""
                if len(body) != info.size:
                    raise LoadError(f"truncated archive member ({len(body)} of {info.size} bytes)",
                                    file=file, member=info.name)
                members.append(Member(info.name, body, info.mode, float(info.mtime)))
    except tarfile.TarError as exc:
        raise LoadError(f"not a readable tar archive ({exc})", file=file) from None
    return members


def _parse(data: bytes) -> tuple[str, Any]:
    """``("json", tree)``, ``("yaml", [docs])``, ``("text", str)`` or ``("binary", None)``."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "binary", None
    stripped = text.lstrip("\ufeff").strip()
    if stripped[:1] in ("{", "["):
        try:
            return "json", orjson.loads(stripped)
        except orjson.JSONDecodeError:
            pass
    if stripped and ":" in stripped.split("\n", 1)[0] and not stripped.startswith(("[", "{")):
        try:
            docs = load_yaml(text)
        except Exception:  # noqa: BLE001 - not YAML (a log, a table): handled as text
            docs = None
        if isinstance(docs, list) and docs and all(isinstance(d, (dict, list)) for d in docs):
            return "yaml", docs
    return "text", text


def _write(kind: str, value: Any) -> bytes:
    if kind == "json":
        return orjson.dumps(value, option=orjson.OPT_INDENT_2) + b"\n"
    if kind == "yaml":
        import yaml

        return yaml.safe_dump_all(value, sort_keys=False, allow_unicode=True).encode()
    return str(value).encode()


def _learnt(parsed: list[tuple[Member, str, Any]], key: bytes | None) -> Pseudonymizer:
    """A pseudonymizer that knows the names of every member (one mapping for the whole capture)."""
    names = Pseudonymizer(key)
    for member, kind, value in parsed:
        names.learn_path(member.path)
        if kind == "json":
            names.learn_tree(value)
        elif kind == "yaml":
            for doc in value:
                names.learn_tree(doc)
    return names


def redact_capture(source: str | os.PathLike[str], output: str | os.PathLike[str], *,
                   pseudonymize: bool = False, key: bytes | None = None,
                   max_bytes: int | None = None) -> RedactionResult:
    """Write a redacted copy of the capture ``source`` to ``output`` (which must not exist).

    Args:
        source: a capture file (JSON, YAML, text, gzip), a bug-report archive (tar, tar.gz) or a folder.
        output: where the copy goes; an archive stays an archive of the same format.
        pseudonymize: also replace IPs, pod names, namespaces, hostnames and SPIFFE ids, consistently
            across every member.
        key: the pseudonymization key (default: random, so the copy cannot be mapped back).
        max_bytes: the read/inflate budget (default: the loaders' limit).

    Raises:
        UsageError: ``output`` exists or is ``source``.
        LoadError: ``source`` cannot be read.
    """
    src, dst = Path(source), Path(output)
    if dst.exists():
        raise UsageError(f"{dst}: already exists (redact never overwrites; choose a new name)")
    if not src.exists():
        raise LoadError("no such file or directory", file=str(src))
    fmt, members = _read_members(src, Budget(current_limit(max_bytes)))
    parsed = [(m, *_parse(m.data)) for m in members]
    names = _learnt(parsed, key) if pseudonymize else None
    result = RedactionResult(output=str(dst), pseudonyms=len(names.names) if names else 0, pseudonymizer=names)
    written: list[Member] = []
    for member, kind, value in parsed:
        if kind == "binary":
            result.skipped.append(f"{member.path}: binary content, which redact cannot check")
            continue
        if kind == "json":
            value = redact_tree(value)
        elif kind == "yaml":
            value = [redact_tree(doc) for doc in value]
        else:
            value = redact_text(value)
        path = member.path
        if names is not None:
            value = names.tree(value) if kind in ("json", "yaml") else names.text(value)
            path = names.path(path)
        written.append(Member(path, _write(kind, value), member.mode, member.mtime))
        result.members.append(path)
    _emit(fmt, dst, written)
    return result


def _emit(fmt: str, dst: Path, members: list[Member]) -> None:
    if fmt == "dir":
        for m in members:
            path = dst / m.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(m.data)
        return
    if fmt in ("tar", "tar.gz"):
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            for m in members:
                info = tarfile.TarInfo(m.path)
                info.size, info.mode, info.mtime = len(m.data), m.mode, int(m.mtime)
                tar.addfile(info, io.BytesIO(m.data))
        data = buffer.getvalue()
        dst.write_bytes(gzip.compress(data, mtime=0) if fmt == "tar.gz" else data)
        return
    data = members[0].data if members else b""
    dst.write_bytes(gzip.compress(data, mtime=0) if fmt == "gz" else data)
