"""The result of a trace: where a request went through Envoy, hop by hop, and why."""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from meshlens.analysis.trace.text import render_trace
from meshlens.models.result import Result


class Disposition(str, Enum):
    """What Envoy does with the request (``interfaces.md``)."""

    ROUTED = "ROUTED"
    DIRECT_RESPONSE = "DIRECT_RESPONSE"
    REDIRECT = "REDIRECT"
    NO_ROUTE = "NO_ROUTE"  # Envoy's NR: 404, no route matched
    NO_CLUSTER = "NO_CLUSTER"  # Envoy's NC: the route's cluster does not exist
    NO_FILTER_CHAIN = "NO_FILTER_CHAIN"
    NO_LISTENER = "NO_LISTENER"
    BLACKHOLE = "BLACKHOLE"
    PASSTHROUGH = "PASSTHROUGH"
    NO_HEALTHY_UPSTREAM = "NO_HEALTHY_UPSTREAM"  # Envoy's UH: 503
    INSUFFICIENT_INFO = "INSUFFICIENT_INFO"  # the capture lacks what is needed (RDS, EDS): never a guess


class Skipped(BaseModel):
    """A candidate that was considered at a hop and not taken, with the reason."""

    model_config = ConfigDict(frozen=True)

    name: str
    reason: str


class Hop(BaseModel):
    """One step of the walk: what was selected (``name``), by which rule, and what was skipped."""

    model_config = ConfigDict(frozen=True)

    kind: str  # listener | filter_chain | route_config | virtual_host | route | action | cluster | endpoints
    name: str
    matched_by: str
    skipped: list[Skipped] = Field(default_factory=list)


class ClusterPick(BaseModel):
    """A cluster the route sends to, with its weight when the route splits traffic."""

    model_config = ConfigDict(frozen=True)

    name: str
    weight: int | None = None


class EndpointInfo(BaseModel):
    """One endpoint of the chosen cluster: address, health, locality and where the fact came from."""

    model_config = ConfigDict(frozen=True)

    address: str
    health: str
    locality: str = ""
    source: str = "eds"  # eds (config dump) | clusters (/clusters runtime state) | static


class HeaderField(BaseModel):
    """One header entry (a repeated header is several entries)."""

    model_config = ConfigDict(frozen=True)

    name: str
    value: str


class Trace(Result, BaseModel):
    """Where a request goes and why (``meshlens.trace``)."""

    model_config = ConfigDict(frozen=True)

    disposition: Disposition
    request: dict[str, Any]
    listener: str | None = None
    filter_chain: str | None = None
    route_config: str | None = None
    virtual_host: str | None = None
    route: str | None = None  # the route's name, else its index in the virtual host
    clusters: list[ClusterPick] = Field(default_factory=list)
    endpoints: list[EndpointInfo] = Field(default_factory=list)
    response_code: int | None = None
    redirect_location: str | None = None
    upstream_path: str | None = None  # the :path sent upstream (after rewrites)
    upstream_host: str | None = None  # the :authority sent upstream (after rewrites)
    request_headers: list[HeaderField] = Field(default_factory=list)  # the upstream request's other headers
    response_headers: list[HeaderField] = Field(default_factory=list)  # what the route config adds/removes
    response_body: str | None = None  # a direct response's body
    timeout: str | None = None  # the route timeout as protojson ("15s"); "0s" = none
    virtual_cluster: str | None = None
    unknown: dict[str, str] = Field(default_factory=dict)  # result fields meshlens cannot compute offline
    route_metadata: dict[str, Any] = Field(default_factory=dict)  # the route's filter_metadata
    hops: list[Hop] = Field(default_factory=list)
    assumptions: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    proxy: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The ``trace -o json`` document (JSON-safe)."""
        return self.model_dump(mode="json")

    @property
    def reaches_upstream(self) -> bool:
        """Whether the request reaches a healthy upstream: ROUTED (a cluster with healthy endpoints) or
        PASSTHROUGH (forwarded to its original destination). Everything else, including a local reply
        and INSUFFICIENT_INFO (not known), does not (``trace --exit-code`` exits 1).
        """
        return self.disposition in (Disposition.ROUTED, Disposition.PASSTHROUGH)

    @property
    def cluster(self) -> str | None:
        return self.clusters[0].name if len(self.clusters) == 1 else None

    def __str__(self) -> str:
        return render_trace(self)

    def _repr_html_(self) -> str:
        """Notebook display: the hops drawn as a diagram, the text below (rendered by the registered renderer)."""
        from meshlens.models import hooks

        return hooks.render(self, "html")

    def records(self) -> list[dict[str, Any]]:
        """One row per hop (kind, name, matched_by, skipped count): the rows of ``to_frame()``."""
        return [{"kind": h.kind, "name": h.name, "matched_by": h.matched_by, "skipped": len(h.skipped)}
                for h in self.hops]

    def columns(self) -> tuple[str, ...]:
        """The columns of ``to_frame()``."""
        return ("kind", "name", "matched_by", "skipped")
