"""Small builders of Envoy v3 JSON used by the lab's configurations.

Every HTTP connection manager, TCP proxy and listener writes one JSON line per request / connection to
the same access-log file; ``kind`` tells which wrote it. Requests carry ``x-lab-id`` so HTTP lines join
to the request that caused them; connection lines join by the client's address (every probe connects
from a source port of its own).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

Json = dict[str, Any]

T_FILE_LOG = "type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog"
T_HCM = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
T_TCP_PROXY = "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy"
T_ROUTER = "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"
T_ROUTE_CONFIG = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"
T_CLA = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"

LAB_ID_HEADER = "x-lab-id"

# The fields every access-log line carries (absent values come out as null).
_COMMON_FIELDS: dict[str, str] = {
    "flags": "%RESPONSE_FLAGS%",
    "chain": "%FILTER_CHAIN_NAME%",
    "local": "%DOWNSTREAM_LOCAL_ADDRESS%",
    "remote": "%DOWNSTREAM_REMOTE_ADDRESS%",
    "direct_remote": "%DOWNSTREAM_DIRECT_REMOTE_ADDRESS%",
    "cluster": "%UPSTREAM_CLUSTER%",
    "upstream_host": "%UPSTREAM_HOST%",
}
_HTTP_FIELDS: dict[str, str] = {
    "id": f"%REQ({LAB_ID_HEADER.upper()})%",
    "route": "%ROUTE_NAME%",
    "code": "%RESPONSE_CODE%",
    "details": "%RESPONSE_CODE_DETAILS%",
    "authority": "%REQ(:AUTHORITY)%",
    "path": "%REQ(:PATH)%",
    "method": "%REQ(:METHOD)%",
    "protocol": "%PROTOCOL%",
    "location": "%RESP(LOCATION)%",
}


def access_log(path: str, kind: str) -> list[Json]:
    """A file access log writing JSON lines; ``kind`` is ``http``, ``tcp`` or ``conn`` (listener)."""
    fields: dict[str, Any] = {"kind": kind, **_COMMON_FIELDS}
    if kind == "http":
        fields.update(_HTTP_FIELDS)
    return [{
        "name": "envoy.access_loggers.file",
        "typed_config": {"@type": T_FILE_LOG, "path": path, "log_format": {"json_format": fields}},
    }]


def socket_address(ip: str, port: int) -> Json:
    return {"socket_address": {"address": ip, "port_value": port}}


def listener_filter(kind: str) -> Json:
    """``http_inspector``, ``tls_inspector``, ``original_dst`` or ``proxy_protocol``."""
    types = {
        "http_inspector": "type.googleapis.com/envoy.extensions.filters.listener.http_inspector.v3.HttpInspector",
        "tls_inspector": "type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector",
        "original_dst": "type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst",
        "proxy_protocol": "type.googleapis.com/envoy.extensions.filters.listener.proxy_protocol.v3.ProxyProtocol",
    }
    return {"name": f"envoy.filters.listener.{kind}", "typed_config": {"@type": types[kind]}}


def hcm(
    stat_prefix: str,
    log_path: str,
    *,
    route_config: Json | None = None,
    rds: tuple[str, str] | None = None,
    **extra: Any,
) -> Json:
    """An HTTP connection manager network filter with an inline ``route_config`` or RDS from a file.

    ``rds`` is ``(route_config_name, path_of_the_file_serving_it)``. HTTP/1.0 is accepted (Envoy
    answers 426 to it otherwise).
    """
    cfg: Json = {
        "@type": T_HCM,
        "stat_prefix": stat_prefix,
        "codec_type": "AUTO",
        "http_protocol_options": {"accept_http_10": True},
        "access_log": access_log(log_path, "http"),
        "http_filters": [{"name": "envoy.filters.http.router", "typed_config": {"@type": T_ROUTER}}],
    }
    if route_config is not None:
        cfg["route_config"] = route_config
    if rds is not None:
        name, path = rds
        cfg["rds"] = {"route_config_name": name, "config_source": file_config_source(path)}
    cfg.update(extra)
    return {"name": "envoy.filters.network.http_connection_manager", "typed_config": cfg}


def tcp_proxy(stat_prefix: str, log_path: str, cluster: str | None = None,
              weighted: Sequence[tuple[str, int]] | None = None) -> Json:
    cfg: Json = {"@type": T_TCP_PROXY, "stat_prefix": stat_prefix, "access_log": access_log(log_path, "tcp")}
    if weighted is not None:
        cfg["weighted_clusters"] = {"clusters": [{"name": n, "weight": w} for n, w in weighted]}
    else:
        cfg["cluster"] = cluster
    return {"name": "envoy.filters.network.tcp_proxy", "typed_config": cfg}


def chain(name: str, filters: list[Json], match: Json | None = None) -> Json:
    out: Json = {"name": name, "filters": filters}
    if match:
        out["filter_chain_match"] = match
    return out


def listener(
    name: str,
    ip: str,
    port: int,
    chains: list[Json],
    log_path: str,
    *,
    listener_filters: Iterable[str] = (),
    default_chain: Json | None = None,
    additional: Sequence[tuple[str, int]] = (),
    **extra: Any,
) -> Json:
    out: Json = {
        "name": name,
        "address": socket_address(ip, port),
        "filter_chains": chains,
        "access_log": access_log(log_path, "conn"),
    }
    filters = [listener_filter(k) for k in listener_filters]
    if filters:
        out["listener_filters"] = filters
    if default_chain is not None:
        out["default_filter_chain"] = default_chain
    if additional:
        out["additional_addresses"] = [{"address": socket_address(i, p)} for i, p in additional]
    out.update(extra)
    return out


def vhost(name: str, domains: Sequence[str], routes: list[Json], **extra: Any) -> Json:
    return {"name": name, "domains": list(domains), "routes": routes, **extra}


def route(name: str, match: Json, **action: Any) -> Json:
    """A route; ``action`` is one of ``cluster=``, ``weighted=[(name, weight)]``, ``cluster_header=``,
    ``redirect={...}``, ``direct_response={...}``, or ``route={...}`` for a raw RouteAction."""
    out: Json = {"name": name, "match": match}
    if "cluster" in action:
        out["route"] = {"cluster": action.pop("cluster"), **action.pop("route_extra", {})}
    elif "weighted" in action:
        clusters = [{"name": n, "weight": w} for n, w in action.pop("weighted")]
        out["route"] = {"weighted_clusters": {"clusters": clusters}}
    elif "cluster_header" in action:
        out["route"] = {"cluster_header": action.pop("cluster_header"), **action.pop("route_extra", {})}
    elif "redirect" in action:
        out["redirect"] = action.pop("redirect")
    elif "direct_response" in action:
        out["direct_response"] = action.pop("direct_response")
    elif "route" in action:
        out["route"] = action.pop("route")
    if action:
        raise ValueError(f"unknown route arguments: {sorted(action)}")
    return out


def route_config(name: str, vhosts: list[Json], **extra: Any) -> Json:
    return {"name": name, "virtual_hosts": vhosts, **extra}


def file_config_source(path: str) -> Json:
    return {"path_config_source": {"path": path}, "resource_api_version": "V3"}


def discovery_file(resources: list[Json], type_url: str) -> Json:
    """The content of a file-based xDS subscription: a DiscoveryResponse with typed resources."""
    return {"version_info": "1", "resources": [{"@type": type_url, **r} for r in resources]}


def lb_endpoint(ip: str, port: int, health: str | None = None) -> Json:
    out: Json = {"endpoint": {"address": socket_address(ip, port)}}
    if health:
        out["health_status"] = health
    return out


def load_assignment(name: str, endpoints: Sequence[Json]) -> Json:
    out: Json = {"cluster_name": name}
    if endpoints:
        out["endpoints"] = [{"lb_endpoints": list(endpoints)}]
    else:
        out["endpoints"] = []
    return out


def static_cluster(name: str, endpoints: Sequence[tuple[str, int]], **extra: Any) -> Json:
    return {
        "name": name,
        "type": "STATIC",
        "connect_timeout": "1s",
        "load_assignment": load_assignment(name, [lb_endpoint(i, p) for i, p in endpoints]),
        **extra,
    }


def eds_cluster(name: str, path: str, **extra: Any) -> Json:
    return {
        "name": name,
        "type": "EDS",
        "connect_timeout": "1s",
        "eds_cluster_config": {"eds_config": file_config_source(path), "service_name": name},
        **extra,
    }


def bootstrap(listeners: list[Json], clusters: list[Json], admin_port: int, node_id: str) -> Json:
    return {
        "node": {"id": node_id, "cluster": "envoy-lab"},
        "admin": {"address": socket_address("127.0.0.1", admin_port)},
        "static_resources": {"listeners": listeners, "clusters": clusters},
    }


def headers_match(name: str, **spec: Any) -> Json:
    """A HeaderMatcher: ``exact=``/``prefix=``/``suffix=``/``contains=``/``regex=`` (with ``ignore_case``),
    ``present=``, ``range=(start, end)``, plus ``invert_match`` / ``treat_missing_header_as_empty``."""
    out: Json = {"name": name}
    sm: Json = {}
    for key in ("exact", "prefix", "suffix", "contains"):
        if key in spec:
            sm[key] = spec.pop(key)
    if "regex" in spec:
        sm["safe_regex"] = {"regex": spec.pop("regex")}
    if "ignore_case" in spec:
        sm["ignore_case"] = spec.pop("ignore_case")
    if sm:
        out["string_match"] = sm
    if "present" in spec:
        out["present_match"] = spec.pop("present")
    if "range" in spec:
        start, end = spec.pop("range")
        out["range_match"] = {"start": str(start), "end": str(end)}
    for key in ("invert_match", "treat_missing_header_as_empty"):
        if key in spec:
            out[key] = spec.pop(key)
    if spec:
        raise ValueError(f"unknown header matcher arguments: {sorted(spec)}")
    return out


def query_match(name: str, **spec: Any) -> Json:
    out: Json = {"name": name}
    if "present" in spec:
        out["present_match"] = spec.pop("present")
    sm: Json = {}
    for key in ("exact", "prefix", "suffix", "contains"):
        if key in spec:
            sm[key] = spec.pop(key)
    if "regex" in spec:
        sm["safe_regex"] = {"regex": spec.pop("regex")}
    if "ignore_case" in spec:
        sm["ignore_case"] = spec.pop("ignore_case")
    if sm:
        out["string_match"] = sm
    if spec:
        raise ValueError(f"unknown query matcher arguments: {sorted(spec)}")
    return out


def match(**spec: Any) -> Json:
    """A RouteMatch: ``prefix=``/``path=``/``regex=``/``sep=`` (path_separated_prefix), plus ``headers=``,
    ``query=``, ``case_sensitive=``."""
    out: Json = {}
    if "prefix" in spec:
        out["prefix"] = spec.pop("prefix")
    if "path" in spec:
        out["path"] = spec.pop("path")
    if "regex" in spec:
        out["safe_regex"] = {"regex": spec.pop("regex")}
    if "sep" in spec:
        out["path_separated_prefix"] = spec.pop("sep")
    if "case_sensitive" in spec:
        out["case_sensitive"] = spec.pop("case_sensitive")
    if "headers" in spec:
        out["headers"] = list(spec.pop("headers"))
    if "query" in spec:
        out["query_parameters"] = list(spec.pop("query"))
    if spec:
        raise ValueError(f"unknown match arguments: {sorted(spec)}")
    return out


def merge(*parts: Mapping[str, Any]) -> Json:
    out: Json = {}
    for p in parts:
        out.update(p)
    return out
