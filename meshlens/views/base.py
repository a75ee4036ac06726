"""Table: the result of every istioctl-compatible view.

A view is a function ``(proxy_or_ztunnel, **filters) -> Table``. The Table holds typed rows (for
notebooks: ``to_frame()``, ``_repr_html_()``, ``to_dict()``), the exact cells istioctl prints for
each row, and what ``-o json``/``-o yaml`` print (istioctl's own shapes, which are not the rows).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from meshlens.encoding.tabwriter import tabwriter
from meshlens.errors import UsageError
from meshlens.models.result import Result
from meshlens.views.spec import ViewSpec


@dataclass
class Table(Result):
    """An istioctl-style table.

    Attributes:
        view: the view's canonical name (``cluster``, ``workload``, ...).
        headers: the header cells, exactly as istioctl prints them.
        rows: typed records, one per printed row (the notebook/DataFrame form).
        cells: the printed cells of each row (strings), parallel to ``rows``.
        padding: Go tabwriter padding istioctl uses for this view.
        raw: what ``-o json`` / ``-o yaml`` print (istioctl's shape: usually camelCase resources).
        json_indent: indentation istioctl uses for ``-o json`` (2 or 4).
        notes: things to tell the user on stderr (e.g. "this capture has no EDS section").
        sections: the parts of an ``all`` view, rendered by ``text_override`` or joined.
        text_override: the whole short output, for views that are not one table.
        empty_message: printed instead of the table when there are no rows (when istioctl does so).
        default_output: what ``-o`` defaults to (the view's declared ``default_output``).
    """

    view: str
    headers: list[str]
    rows: list[BaseModel] = field(default_factory=list)
    cells: list[list[str]] = field(default_factory=list)
    padding: int = 1
    raw: Any = None
    json_indent: int = 2
    notes: list[str] = field(default_factory=list)
    sections: list[Table] = field(default_factory=list)
    text_override: str | None = None
    empty_message: str | None = None
    trailing_tab: bool = False
    default_output: str = "short"

    def text(self) -> str:
        """The ``-o short`` output, byte for byte as istioctl prints it (ending in a newline)."""
        if self.text_override is not None:
            return self.text_override
        if not self.cells and self.empty_message is not None:
            return self.empty_message + "\n"
        body = tabwriter([self.headers, *self.cells], padding=self.padding, trailing=self.trailing_tab)
        return body + "\n"

    __str__ = text

    def to_dict(self) -> list[dict[str, Any]]:
        """The rows as JSON-safe dicts (column name -> value)."""
        return [row.model_dump(mode="json") for row in self.rows]

    def _repr_html_(self) -> str:
        """The table as HTML (istioctl's cells), with its notes."""
        head = "".join(f"<th>{html.escape(h)}</th>" for h in self.headers)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in self.cells
        )
        notes = "".join(f"<p><em>{html.escape(n)}</em></p>" for n in self.notes)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{notes}"

    def __len__(self) -> int:
        return len(self.rows)


def resolve_view(registry: dict[str, ViewSpec], name: str, family: str) -> ViewSpec:
    """The spec named ``name`` or one of its aliases; UsageError listing the choices otherwise."""
    for spec in registry.values():
        if name == spec.name or name in spec.aliases:
            return spec
    choices = ", ".join(sorted(registry))
    raise UsageError(f"unknown {family} view {name!r} (choose from: {choices})")


def call_view(spec: ViewSpec, target: Any, filters: dict[str, Any]) -> Table:
    """Build view ``spec`` of ``target`` with ``filters`` (UsageError naming a filter it does not take)."""
    unknown = sorted(set(filters) - set(spec.filter_names))
    if unknown:
        allowed = ", ".join(spec.filter_names) or "none"
        raise UsageError(f"view {spec.name!r} takes no filter {', '.join(unknown)} (filters: {allowed})")
    table: Table = spec.resolve()(target, **{k: v for k, v in filters.items() if v is not None})
    table.default_output = spec.default_output
    return table
