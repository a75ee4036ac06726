"""Shared model plumbing: the pydantic base class, source locations and load findings."""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class MeshModel(BaseModel):
    """Base of every typed record parsed from a capture.

    Accepts Envoy's snake_case and protojson's camelCase field names alike, keeps fields it does
    not model (``model_extra``), and is immutable once built.
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        extra="allow",
        frozen=True,
        arbitrary_types_allowed=True,
        # Validators are built on first validation, not at import: a command pays only for the
        # models it uses (a typed ``.config`` is validated on first use anyway).
        defer_build=True,
    )


#: Containers nested deeper than this are refused, as a located error or finding: real Envoy and ztunnel
#: dumps stay under 30 levels, while recursive walks (casing, Go-style JSON writers, deepdiff, JSONPath)
#: need Python stack per level. YAML is checked when read; JSON resources when their model is validated.
MAX_DEPTH = 100


def too_deep(value: Any, limit: int = MAX_DEPTH) -> str | None:
    """The relative JSON path (its first levels, then ``…``) of a container nested deeper than ``limit``, else None.

    Iterative: arbitrarily deep input cannot exhaust the Python stack. It runs before every typed
    validation, so the common answer ("not too deep") comes from a level-by-level pass that builds no
    paths; only a document found too deep is walked again to name where.
    """
    level: list[Any] = [value]
    depth = 1
    while level:
        if depth > limit:
            return _deep_path(value, limit)
        below: list[Any] = []
        extend = below.extend
        for node in level:
            extend([v for v in (node.values() if isinstance(node, dict) else node)
                    if isinstance(v, (dict, list))])
        level = below
        depth += 1
    return None


def _deep_path(value: Any, limit: int) -> str | None:
    """The path walk behind :func:`too_deep`, once a document is known to be too deep."""
    shown = 12  # path components named in the answer; deeper ones are elided
    stack: list[tuple[Any, int, str]] = [(value, 1, "")]
    while stack:
        node, depth, path = stack.pop()
        if depth > limit:
            return path + "…"
        if isinstance(node, dict):
            stack.extend((v, depth + 1, f"{path}.{k}" if depth <= shown else path)
                         for k, v in node.items() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend((v, depth + 1, f"{path}[{i}]" if depth <= shown else path)
                         for i, v in enumerate(node) if isinstance(v, (dict, list)))
    return None


class Location(BaseModel):
    """Where something came from: file, archive member and JSON path inside the document."""

    model_config = ConfigDict(frozen=True)

    file: str | None = None
    member: str | None = None
    json_path: str = "$"

    def child(self, path: str) -> Location:
        """This location with ``path`` appended to the JSON path (``path`` starts with ``.`` or ``[``)."""
        return Location(file=self.file, member=self.member, json_path=self.json_path + path)

    def __str__(self) -> str:
        where = self.file or ""
        if self.member:
            where += f"[{self.member}]"
        return f"{where} {self.json_path}".strip()


class Severity(str, Enum):
    """How serious a finding is (ordered: ``ERROR > WARNING > INFO``)."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return {"info": 0, "warning": 1, "error": 2}[self.value]


class LoadFinding(BaseModel):
    """Something a capture lacks or holds in a bad state, reported by the loader (codes ML0xxx).

    Loading never raises for these: a rejected listener or an unknown ``@type`` is a fact about the
    capture, not an error in reading it.
    """

    model_config = ConfigDict(frozen=True)

    code: str
    severity: Severity
    message: str
    proxy: str | None = None
    kind: str | None = None
    name: str | None = None
    location: Location = Location()

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


# Load-finding codes. Codes are never reused; checks (ML1xxx and up) live in meshlens.checks.
ML0001_UNKNOWN_TYPE = "ML0001"
ML0002_NO_EDS = "ML0002"
ML0003_NO_SECRETS = "ML0003"
ML0004_REJECTED = "ML0004"
ML0005_WARMING = "ML0005"
ML0006_UNNAMED_DUPLICATE = "ML0006"
ML0007_MALFORMED_RESOURCE = "ML0007"
ML0008_UNRECOGNIZED_MEMBER = "ML0008"
ML0009_DRAINING = "ML0009"
ML0010_DUPLICATE_NAME = "ML0010"
ML0011_BAD_CERTIFICATE = "ML0011"
ML0012_PARTIAL_DUMP = "ML0012"
ML0013_DUPLICATE_CAPTURE = "ML0013"
ML0014_ZTUNNEL_STAGED_SERVICES = "ML0014"
ML0015_ZTUNNEL_CERT_NOT_READY = "ML0015"
