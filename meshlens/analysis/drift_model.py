"""The result of a diff: per-resource drift and a per-xDS-type verdict."""

from __future__ import annotations

import html
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from meshlens.models.result import Result

XDS_TYPES = ("CDS", "LDS", "RDS", "EDS", "SDS", "ECDS")
STATUS_ORDER = ("rejected", "missing", "warming", "changed", "added")


class Change(BaseModel):
    """One field that differs: its path inside the resource and both values.

    ``kind`` is ``changed``, ``added`` (only the loaded side has it), ``removed`` (only the intended
    side has it), ``reordered`` (same items, different order, in a list whose order Envoy uses) or
    ``health`` (an endpoint's health status: runtime state, not configuration drift).
    """

    model_config = ConfigDict(frozen=True)

    path: str
    intended: Any = None
    loaded: Any = None
    kind: str = "changed"


class ResourceDrift(BaseModel):
    """How one resource differs between the intended and the loaded side (``status``, field ``changes``)."""

    model_config = ConfigDict(frozen=True)

    type: str  # CDS LDS RDS EDS SDS ECDS
    name: str
    status: str  # added | missing | changed | rejected | warming
    changes: list[Change] = Field(default_factory=list)
    details: str | None = None  # Envoy's error text for rejected resources
    counterpart: str | None = None  # a missing/added pair that differs only by numbers: likely a rename
    runtime_only: bool = False

    def to_dict(self) -> dict[str, Any]:
        out = self.model_dump(mode="json", exclude={"runtime_only"})
        for key in ("details", "counterpart"):
            if out[key] is None:
                del out[key]
        return out


class Drift(Result, BaseModel):
    """Intended vs loaded (or before vs after), matched by resource identity."""

    model_config = ConfigDict(frozen=True)

    summary: dict[str, str]  # xDS type -> SYNCED | DRIFTED | NOT_COMPARED
    resources: list[ResourceDrift]  # drifted resources, the rejected/missing/warming ones first
    runtime_health: list[ResourceDrift] = Field(default_factory=list)  # EDS health-only differences
    notes: dict[str, str] = Field(default_factory=dict)  # why a type was not compared
    intended: str = ""
    loaded: str = ""

    @property
    def in_sync(self) -> bool:
        return all(v != "DRIFTED" for v in self.summary.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": dict(self.summary),
            "resources": [r.to_dict() for r in self.resources],
            "runtime_health": [r.to_dict() for r in self.runtime_health],
            "notes": dict(self.notes),
            "intended": self.intended,
            "loaded": self.loaded,
        }

    def records(self) -> list[dict[str, Any]]:
        """One row per changed field (resources without field changes get one row): ``to_frame()``'s rows."""
        rows = []
        for r in [*self.resources, *self.runtime_health]:
            if not r.changes:
                rows.append({"type": r.type, "name": r.name, "status": r.status, "path": None, "kind": None,
                             "intended": None, "loaded": None, "details": r.details})
            for c in r.changes:
                rows.append({"type": r.type, "name": r.name, "status": r.status, "path": c.path, "kind": c.kind,
                             "intended": c.intended, "loaded": c.loaded, "details": r.details})
        return rows

    def columns(self) -> tuple[str, ...]:
        """The columns of ``to_frame()``."""
        return ("type", "name", "status", "path", "kind", "intended", "loaded", "details")

    def __str__(self) -> str:
        from meshlens.analysis.drift_text import render_drift

        return render_drift(self)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{t}</th>" for t in self.summary)
        verdicts = "".join(f"<td>{v}</td>" for v in self.summary.values())
        rows = []
        for r in self.resources:
            detail = "<br>".join(html.escape(f"{c.kind} {c.path}: {c.intended!r} → {c.loaded!r}")
                                 for c in r.changes[:20])
            if r.details:
                detail = html.escape(r.details) + ("<br>" + detail if detail else "")
            rows.append(f"<tr><td>{r.type}</td><td>{html.escape(r.name)}</td><td>{r.status}</td><td>{detail}</td></tr>")
        return (f"<table><tr>{head}</tr><tr>{verdicts}</tr></table>"
                f"<table><tr><th>type</th><th>name</th><th>status</th><th>changes</th></tr>{''.join(rows)}</table>")
