"""The result of a cross-proxy trace: the source proxy's walk, then one path per upstream endpoint followed."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from meshlens.analysis.mesh.text import render_mesh_trace
from meshlens.analysis.trace.model import Skipped, Trace
from meshlens.models.result import Result


class MeshHop(BaseModel):
    """One hop of a cross-proxy walk, naming the proxy (or ztunnel) it happened in."""

    model_config = ConfigDict(frozen=True)

    proxy: str
    kind: str  # the trace's hop kinds, plus endpoint | transport | ztunnel | waypoint
    name: str
    matched_by: str
    skipped: list[Skipped] = Field(default_factory=list)


class MeshPath(BaseModel):
    """The walk from the source to one upstream endpoint, and on into the destination when the archive holds it.

    ``disposition`` is the destination trace's when the walk continued, else the source's;
    ``outside_archive`` says the endpoint's IP is behind nothing the snapshot holds.
    """

    model_config = ConfigDict(frozen=True)

    endpoint: str
    health: str
    cluster: str | None = None
    destination: str | None = None  # the destination proxy (pod.namespace), else what places the IP
    pod: str | None = None
    workload: str | None = None
    namespace: str | None = None
    placed_by: str | None = None  # sidecar | ztunnel | eds: which source placed the IP
    outside_archive: bool = False
    transport: dict[str, Any] = Field(default_factory=dict)
    disposition: str
    hops: list[MeshHop] = Field(default_factory=list)
    destination_trace: Trace | None = None
    notes: list[str] = Field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (the destination trace as its own ``trace -o json`` document)."""
        data = self.model_dump(mode="json", exclude={"destination_trace"})
        data["destination_trace"] = self.destination_trace.to_dict() if self.destination_trace else None
        return data


class MeshTrace(Result, BaseModel):
    """A trace that continues from the source proxy into the destinations' proxies (``meshlens.trace(from_=...)``).

    ``to_dict()`` is the source trace's document (the ``trace -o json`` contract) with ``hops`` naming
    each hop's proxy along the first path, plus ``paths``: one per endpoint followed.
    """

    model_config = ConfigDict(frozen=True)

    source: Trace
    paths: list[MeshPath] = Field(default_factory=list)
    all_endpoints: bool = False
    notes: list[str] = Field(default_factory=list)

    @property
    def disposition(self) -> Any:
        """The source trace's disposition (what the source Envoy does with the request)."""
        return self.source.disposition

    @property
    def reaches_upstream(self) -> bool:
        """Whether every path followed ends ROUTED or PASSTHROUGH (in the destination's proxy when the walk
        continued there); with no path followed, the source trace's answer.
        """
        if not self.paths:
            return self.source.reaches_upstream
        return all(p.disposition in ("ROUTED", "PASSTHROUGH") for p in self.paths)

    @property
    def hops(self) -> list[MeshHop]:
        """One hop list: the first path's (the source's hops when no endpoint was followed)."""
        if self.paths:
            return self.paths[0].hops
        name = self.source.proxy or ""
        return [MeshHop(proxy=name, kind=h.kind, name=h.name, matched_by=h.matched_by, skipped=h.skipped)
                for h in self.source.hops]

    def to_dict(self) -> dict[str, Any]:
        """The source trace's JSON document, ``hops`` with their proxy, and ``paths``."""
        data = self.source.to_dict()
        data["hops"] = [h.model_dump(mode="json") for h in self.hops]
        data["paths"] = [p.to_dict() for p in self.paths]
        data["all_endpoints"] = self.all_endpoints
        data["notes"] = [*data.get("notes", []), *self.notes]
        return data

    def records(self) -> list[dict[str, Any]]:
        """One row per hop of every path: path (endpoint), proxy, kind, name, matched_by."""
        groups: list[tuple[str | None, list[MeshHop]]] = [(p.endpoint, p.hops) for p in self.paths]
        return [{"endpoint": endpoint, "proxy": h.proxy, "kind": h.kind, "name": h.name, "matched_by": h.matched_by}
                for endpoint, hops in groups or [(None, self.hops)] for h in hops]

    def columns(self) -> tuple[str, ...]:
        """The columns of ``to_frame()``."""
        return ("endpoint", "proxy", "kind", "name", "matched_by")

    def __str__(self) -> str:
        return render_mesh_trace(self)

    def _repr_html_(self) -> str:
        """Notebook display: the hops drawn in one lane per proxy, the text below (the registered renderer)."""
        from meshlens.models import hooks

        return hooks.render(self, "html")
