"""``envoy.config.route.v3``: route configurations, virtual hosts, routes, matchers and actions."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from meshlens.models.base import MeshModel
from meshlens.models.duration import Duration
from meshlens.models.envoy.core import DataSource, Metadata, RegexMatcher, StringMatcher


class HeaderValue(MeshModel):
    """``config.core.v3.HeaderValue``: a header name and value (``raw_value`` is base64 bytes)."""

    key: str = ""
    value: str = ""
    raw_value: str | None = None


class HeaderValueOption(MeshModel):
    """``config.core.v3.HeaderValueOption``: a header to add, and how (``append_action``, legacy ``append``)."""

    header: HeaderValue = HeaderValue()
    append: bool | None = None
    append_action: str | None = None
    keep_empty_value: bool = False

    @property
    def action(self) -> str:
        """The effective append action (``append: false`` is OVERWRITE_IF_EXISTS_OR_ADD; default APPEND)."""
        if self.append_action:
            return self.append_action
        if self.append is False:
            return "OVERWRITE_IF_EXISTS_OR_ADD"
        return "APPEND_IF_EXISTS_OR_ADD"


class HeaderMutations(MeshModel):
    """The header additions and removals a route, virtual host, route configuration or weighted cluster
    declares (``request_headers_to_add`` ... ``response_headers_to_remove``).
    """

    request_headers_to_add: list[HeaderValueOption] = Field(default_factory=list)
    request_headers_to_remove: list[str] = Field(default_factory=list)
    response_headers_to_add: list[HeaderValueOption] = Field(default_factory=list)
    response_headers_to_remove: list[str] = Field(default_factory=list)


class Int64Range(MeshModel):
    """Envoy's ``type.v3.Int64Range``: ``[start, end)``."""

    start: int = 0
    end: int = 0


class HeaderMatcher(MeshModel):
    """Header match; the deprecated ``*_match`` spellings and ``string_match`` are both kept."""

    name: str = ""
    exact_match: str | None = None
    safe_regex_match: RegexMatcher | None = None
    range_match: Int64Range | None = None
    present_match: bool | None = None
    prefix_match: str | None = None
    suffix_match: str | None = None
    contains_match: str | None = None
    string_match: StringMatcher | None = None
    invert_match: bool = False
    treat_missing_header_as_empty: bool = False


class QueryParameterMatcher(MeshModel):
    """Envoy's ``config.route.v3.QueryParameterMatcher``: a query parameter by name and value."""

    name: str = ""
    string_match: StringMatcher | None = None
    present_match: bool | None = None


class RuntimeFractionalPercent(MeshModel):
    """Envoy's ``config.core.v3.RuntimeFractionalPercent``: a default percentage and its runtime key."""

    default_value: dict[str, Any] = Field(default_factory=dict)
    runtime_key: str = ""


class RouteMatch(MeshModel):
    """Envoy's ``config.route.v3.RouteMatch``: path specifier, headers, query parameters and options."""

    prefix: str | None = None
    path: str | None = None
    safe_regex: RegexMatcher | None = None
    path_separated_prefix: str | None = None
    connect_matcher: dict[str, Any] | None = None
    path_match_policy: dict[str, Any] | None = None
    case_sensitive: bool | None = None
    runtime_fraction: RuntimeFractionalPercent | None = None
    headers: list[HeaderMatcher] = Field(default_factory=list)
    query_parameters: list[QueryParameterMatcher] = Field(default_factory=list)
    grpc: dict[str, Any] | None = None
    tls_context: dict[str, Any] | None = None
    dynamic_metadata: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def path_kind(self) -> str:
        """Which path specifier is set: prefix, path, safe_regex, path_separated_prefix, ..."""
        for kind in ("prefix", "path", "path_separated_prefix", "safe_regex", "connect_matcher",
                     "path_match_policy"):
            if getattr(self, kind) is not None:
                return kind
        return "none"


class ClusterWeight(HeaderMutations):
    """Envoy's ``WeightedCluster.ClusterWeight``: one cluster of a weighted split."""

    name: str = ""
    cluster_header: str | None = None
    weight: int | None = None
    metadata_match: dict[str, Any] | None = None


class WeightedCluster(MeshModel):
    """Envoy's ``config.route.v3.WeightedCluster``: clusters with weights."""

    clusters: list[ClusterWeight] = Field(default_factory=list)
    total_weight: int | None = None
    runtime_key_prefix: str | None = None
    header_name: str | None = None


class RouteAction(MeshModel):
    """Envoy's ``config.route.v3.RouteAction``: where a route sends the request and how."""

    cluster: str | None = None
    cluster_header: str | None = None
    weighted_clusters: WeightedCluster | None = None
    cluster_specifier_plugin: str | None = None
    inline_cluster_specifier_plugin: dict[str, Any] | None = None
    cluster_not_found_response_code: str | None = None
    timeout: Duration | None = None
    prefix_rewrite: str | None = None
    regex_rewrite: dict[str, Any] | None = None
    host_rewrite_literal: str | None = None
    auto_host_rewrite: bool | None = None
    host_rewrite_header: str | None = None
    host_rewrite_path_regex: dict[str, Any] | None = None
    append_x_forwarded_host: bool | None = None
    path_rewrite_policy: dict[str, Any] | None = None
    retry_policy: dict[str, Any] | None = None
    max_stream_duration: dict[str, Any] | None = None
    hash_policy: list[dict[str, Any]] = Field(default_factory=list)
    request_mirror_policies: list[dict[str, Any]] = Field(default_factory=list)


class RedirectAction(MeshModel):
    """Envoy's ``config.route.v3.RedirectAction``: the redirect a route answers with."""

    https_redirect: bool | None = None
    scheme_redirect: str | None = None
    host_redirect: str | None = None
    port_redirect: int | None = None
    path_redirect: str | None = None
    prefix_rewrite: str | None = None
    regex_rewrite: dict[str, Any] | None = None
    response_code: str = "MOVED_PERMANENTLY"
    strip_query: bool | None = None

    @property
    def status(self) -> int:
        """The HTTP status Envoy sends for ``response_code``."""
        return {
            "MOVED_PERMANENTLY": 301,
            "FOUND": 302,
            "SEE_OTHER": 303,
            "TEMPORARY_REDIRECT": 307,
            "PERMANENT_REDIRECT": 308,
        }.get(self.response_code, 301)


class DirectResponseAction(MeshModel):
    """Envoy's ``config.route.v3.DirectResponseAction``: a status (and body) answered directly."""

    status: int = 0
    body: DataSource | None = None


class Decorator(MeshModel):
    """Envoy's ``config.route.v3.Decorator``: the route's operation name for tracing."""

    operation: str = ""
    propagate: bool | None = None


class Route(HeaderMutations):
    """Envoy's ``config.route.v3.Route``: a match and one action (route, redirect or direct response)."""

    name: str = ""
    match: RouteMatch = RouteMatch()
    route: RouteAction | None = None
    redirect: RedirectAction | None = None
    direct_response: DirectResponseAction | None = None
    non_forwarding_action: dict[str, Any] | None = None
    filter_action: dict[str, Any] | None = None
    metadata: Metadata | None = None
    decorator: Decorator | None = None
    typed_per_filter_config: dict[str, Any] = Field(default_factory=dict)

    @property
    def action_kind(self) -> str:
        for kind in ("route", "redirect", "direct_response", "non_forwarding_action", "filter_action"):
            if getattr(self, kind) is not None:
                return kind
        return "none"

    @property
    def istio_config(self) -> str | None:
        """The Istio config (VirtualService path) that produced this route, from its metadata."""
        return self.metadata.istio.get("config") if self.metadata is not None else None


class VirtualCluster(MeshModel):
    """``config.route.v3.VirtualCluster``: requests whose headers all match are counted under ``name``."""

    name: str = ""
    headers: list[HeaderMatcher] = Field(default_factory=list)


class VirtualHost(HeaderMutations):
    """Envoy's ``config.route.v3.VirtualHost``: domains and their routes, in order."""

    name: str = ""
    domains: list[str] = Field(default_factory=list)
    routes: list[Route] = Field(default_factory=list)
    virtual_clusters: list[VirtualCluster] = Field(default_factory=list)
    require_tls: str | None = None
    include_request_attempt_count: bool | None = None
    retry_policy: dict[str, Any] | None = None
    typed_per_filter_config: dict[str, Any] = Field(default_factory=dict)
    metadata: Metadata | None = None


class RouteConfiguration(HeaderMutations):
    """Envoy's ``config.route.v3.RouteConfiguration``: virtual hosts and options."""

    name: str = ""
    virtual_hosts: list[VirtualHost] = Field(default_factory=list)
    validate_clusters: bool | None = None
    ignore_port_in_host_matching: bool = False
    most_specific_header_mutations_wins: bool | None = None
    vhds: dict[str, Any] | None = None
    internal_only_headers: list[str] = Field(default_factory=list)
