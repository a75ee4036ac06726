"""Istio-shaped xDS resources (snake_case proto JSON) for the productpage-v1 sidecar.

The shapes follow what istiod 1.24 generates for a Bookinfo sidecar, with two deliberate
differences, both forced by feeding a stock Envoy from files:

* config sources are ``path_config_source`` files (``xds/...``, relative to Envoy's working
  directory) instead of ``{"ads": {}}`` / the ``sds-grpc`` cluster;
* Istio-only filters (metadata exchange, istio.stats, ...) are left out: upstream Envoy cannot load
  them. Everything here uses upstream Envoy types only.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from . import mesh
from .certs import WorkloadCerts

Json = dict[str, Any]

T = "type.googleapis.com/"
LISTENER = T + "envoy.config.listener.v3.Listener"
CLUSTER = T + "envoy.config.cluster.v3.Cluster"
ROUTE_CONFIG = T + "envoy.config.route.v3.RouteConfiguration"
CLA = T + "envoy.config.endpoint.v3.ClusterLoadAssignment"
SECRET = T + "envoy.extensions.transport_sockets.tls.v3.Secret"
HCM = T + "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
TCP_PROXY = T + "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy"
HTTP_PROTOCOL_OPTIONS_KEY = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"

XDS_DIR = "xds"
LDS_PATH = f"{XDS_DIR}/lds.json"
CDS_PATH = f"{XDS_DIR}/cds.json"
REDACTED_B64 = base64.b64encode(b"[redacted]").decode()

BLACKHOLE = "BlackHoleCluster"
PASSTHROUGH = "PassthroughCluster"
INBOUND_PASSTHROUGH = "InboundPassthroughCluster"
INBOUND_BIND_ADDRESS = "127.0.0.6"

# Istio's default proxy access-log text format (meshConfig.accessLogFormat unset).
ACCESS_LOG_FORMAT = (
    '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% '
    "%RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% "
    '"%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED% %BYTES_SENT% %DURATION% '
    '%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" '
    '"%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER_RAW% '
    "%UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% "
    "%REQUESTED_SERVER_NAME% %ROUTE_NAME%\n"
)
TLS_CIPHERS = [
    "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256", "AES256-GCM-SHA384", "AES128-GCM-SHA256",
]
MAX_U32 = 4294967295


# --------------------------------------------------------------------------- names and paths


def cluster_name(direction: str, port: int, subset: str = "", host: str = "") -> str:
    """Istio's BuildSubsetKey: ``direction|port|subset|hostname``."""
    return f"{direction}|{port}|{subset}|{host}"


def sni(port: int, subset: str, host: str) -> str:
    """Istio's DNS-SRV-style SNI for an outbound cluster."""
    return f"outbound_.{port}_.{subset or '_'}_.{host}"


def file_stem(resource_name: str) -> str:
    """File name of a one-resource file: ``|`` becomes ``_`` (portable file names)."""
    return resource_name.replace("|", "_").replace("/", "_")


def eds_path(cluster: str) -> str:
    return f"{XDS_DIR}/eds/{file_stem(cluster)}.json"


def rds_path(route: str) -> str:
    return f"{XDS_DIR}/rds/{file_stem(route)}.json"


def sds_path(secret: str) -> str:
    return f"{XDS_DIR}/sds/{file_stem(secret)}.json"


def file_source(path: str) -> Json:
    return {"path_config_source": {"path": path}, "initial_fetch_timeout": "0s",
            "resource_api_version": "V3"}


def address(ip: str, port: int) -> Json:
    return {"socket_address": {"address": ip, "port_value": port}}


# --------------------------------------------------------------------------- shared pieces


def access_log() -> list[Json]:
    return [{
        "name": "envoy.access_loggers.file",
        "typed_config": {
            "@type": T + "envoy.extensions.access_loggers.file.v3.FileAccessLog",
            "path": "/dev/stdout",
            "log_format": {"text_format_source": {"inline_string": ACCESS_LOG_FORMAT}},
        },
    }]


def tcp_proxy(cluster: str, stat_prefix: str | None = None) -> Json:
    return {
        "name": "envoy.filters.network.tcp_proxy",
        "typed_config": {"@type": TCP_PROXY, "stat_prefix": stat_prefix or cluster, "cluster": cluster,
                         "access_log": access_log()},
    }


def http_filters() -> list[Json]:
    """The upstream-Envoy subset of a sidecar's HTTP filter chain (Istio also adds
    istio.metadata_exchange and istio.stats, which stock Envoy does not have)."""
    return [
        {"name": "envoy.filters.http.grpc_stats",
         "typed_config": {"@type": T + "envoy.extensions.filters.http.grpc_stats.v3.FilterConfig",
                          "emit_filter_state": True, "stats_for_all_methods": False}},
        {"name": "envoy.filters.http.fault",
         "typed_config": {"@type": T + "envoy.extensions.filters.http.fault.v3.HTTPFault"}},
        {"name": "envoy.filters.http.cors",
         "typed_config": {"@type": T + "envoy.extensions.filters.http.cors.v3.Cors"}},
        {"name": "envoy.filters.http.router",
         "typed_config": {"@type": T + "envoy.extensions.filters.http.router.v3.Router"}},
    ]


def hcm(stat_prefix: str, *, rds: str | None = None, route_config: Json | None = None,
        inbound: bool = False) -> Json:
    cfg: Json = {"@type": HCM, "stat_prefix": stat_prefix}
    if rds is not None:
        cfg["rds"] = {"config_source": file_source(rds_path(rds)), "route_config_name": rds}
    else:
        cfg["route_config"] = route_config
    cfg["http_filters"] = http_filters()
    cfg["access_log"] = access_log()
    cfg["use_remote_address"] = False
    if inbound:
        cfg["server_name"] = "istio-envoy"
        cfg["forward_client_cert_details"] = "APPEND_FORWARD"
        cfg["set_current_client_cert_details"] = {"subject": True, "dns": True, "uri": True}
    cfg["upgrade_configs"] = [{"upgrade_type": "websocket"}]
    cfg["stream_idle_timeout"] = "0s"
    cfg["normalize_path"] = True
    cfg["request_id_extension"] = {"typed_config": {
        "@type": T + "envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig",
        "use_request_id_for_trace_sampling": True,
    }}
    cfg["path_with_escaped_slashes_action"] = "KEEP_UNCHANGED"
    return {"name": "envoy.filters.network.http_connection_manager", "typed_config": cfg}


def common_tls(alpn: list[str], san_match: Json) -> Json:
    return {
        "tls_params": {"tls_minimum_protocol_version": "TLSv1_2", "tls_maximum_protocol_version": "TLSv1_3",
                       "cipher_suites": list(TLS_CIPHERS)},
        "alpn_protocols": alpn,
        "tls_certificate_sds_secret_configs": [{"name": "default", "sds_config": file_source(sds_path("default"))}],
        "combined_validation_context": {
            "default_validation_context": {"match_typed_subject_alt_names": [{"san_type": "URI",
                                                                              "matcher": san_match}]},
            "validation_context_sds_secret_config": {"name": "ROOTCA", "sds_config": file_source(sds_path("ROOTCA"))},
        },
    }


def downstream_mtls() -> Json:
    return {
        "name": "envoy.transport_sockets.tls",
        "typed_config": {
            "@type": T + "envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
            "common_tls_context": common_tls(["h2", "http/1.1"], {"prefix": f"spiffe://{mesh.TRUST_DOMAIN}/"}),
            "require_client_certificate": True,
        },
    }


def upstream_mtls(svc: mesh.Service, port: int, subset: str) -> Json:
    san = f"spiffe://{mesh.TRUST_DOMAIN}/ns/{svc.namespace}/sa/{svc.service_account}"
    return {
        "name": "envoy.transport_sockets.tls",
        "typed_config": {
            "@type": T + "envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
            "common_tls_context": common_tls(["istio-peer-exchange", "istio"], {"exact": san}),
            "sni": sni(port, subset, svc.hostname),
        },
    }


def circuit_breakers() -> Json:
    return {"thresholds": [{"max_connections": MAX_U32, "max_pending_requests": MAX_U32,
                            "max_requests": MAX_U32, "max_retries": MAX_U32, "track_remaining": True}]}


def downstream_protocol_options() -> Json:
    return {HTTP_PROTOCOL_OPTIONS_KEY: {
        "@type": T + HTTP_PROTOCOL_OPTIONS_KEY,
        "common_http_protocol_options": {"idle_timeout": "3600s"},
        "use_downstream_protocol_config": {"http_protocol_options": {}, "http2_protocol_options": {}},
    }}


def http2_protocol_options() -> Json:
    return {HTTP_PROTOCOL_OPTIONS_KEY: {
        "@type": T + HTTP_PROTOCOL_OPTIONS_KEY,
        "explicit_http_config": {"http2_protocol_options": {}},
    }}


def inspector_filters(original_dst: bool) -> list[Json]:
    lf = T + "envoy.extensions.filters.listener."
    filters = [
        {"name": "envoy.filters.listener.tls_inspector",
         "typed_config": {"@type": lf + "tls_inspector.v3.TlsInspector"}},
        {"name": "envoy.filters.listener.http_inspector",
         "typed_config": {"@type": lf + "http_inspector.v3.HttpInspector"}},
    ]
    if original_dst:
        filters.insert(0, {"name": "envoy.filters.listener.original_dst",
                           "typed_config": {"@type": lf + "original_dst.v3.OriginalDst"}})
    return filters


# --------------------------------------------------------------------------- clusters


def destination_rule_path(namespace: str, name: str) -> str:
    return f"/apis/networking.istio.io/v1/namespaces/{namespace}/destination-rule/{name}"


def virtual_service_path(namespace: str, name: str) -> str:
    return f"/apis/networking.istio.io/v1/namespaces/{namespace}/virtual-service/{name}"


def outbound_cluster(svc: mesh.Service, port: mesh.Port, subset: str = "") -> Json:
    name = cluster_name("outbound", port.number, subset, svc.hostname)
    istio_md: Json = {}
    if svc.destination_rule:
        istio_md["config"] = destination_rule_path(svc.namespace, svc.destination_rule)
    istio_md["default_original_port"] = port.number
    istio_md["services"] = [{"host": svc.hostname, "name": svc.name, "namespace": svc.namespace}]
    if subset:
        istio_md["subset"] = subset
    cluster: Json = {
        "@type": CLUSTER,
        "name": name,
        "type": "EDS",
        "eds_cluster_config": {"eds_config": file_source(eds_path(name)), "service_name": name},
        "connect_timeout": "10s",
        "lb_policy": "LEAST_REQUEST",
        "circuit_breakers": circuit_breakers(),
        "metadata": {"filter_metadata": {"istio": istio_md}},
        "transport_socket_matches": [
            {"name": "tlsMode-istio", "match": {"tlsMode": "istio"},
             "transport_socket": upstream_mtls(svc, port.number, subset)},
            {"name": "tlsMode-disabled", "match": {},
             "transport_socket": {"name": "envoy.transport_sockets.raw_buffer", "typed_config": {
                 "@type": T + "envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer"}}},
        ],
    }
    if port.protocol in ("GRPC", "HTTP2"):
        cluster["typed_extension_protocol_options"] = http2_protocol_options()
    return cluster


def special_clusters() -> list[Json]:
    bind = {"source_address": {"address": INBOUND_BIND_ADDRESS, "port_value": 0}}
    return [
        {"@type": CLUSTER, "name": BLACKHOLE, "type": "STATIC", "connect_timeout": "10s"},
        {"@type": CLUSTER, "name": PASSTHROUGH, "type": "ORIGINAL_DST", "connect_timeout": "10s",
         "lb_policy": "CLUSTER_PROVIDED", "circuit_breakers": circuit_breakers(),
         "typed_extension_protocol_options": downstream_protocol_options()},
        {"@type": CLUSTER, "name": INBOUND_PASSTHROUGH, "type": "ORIGINAL_DST", "connect_timeout": "10s",
         "lb_policy": "CLUSTER_PROVIDED", "circuit_breakers": circuit_breakers(),
         "upstream_bind_config": bind, "typed_extension_protocol_options": downstream_protocol_options()},
    ]


def inbound_cluster(port: int) -> Json:
    own = next(s for s in mesh.SERVICES if any(w.ip == mesh.POD_IP for w in s.workloads))
    return {
        "@type": CLUSTER,
        "name": cluster_name("inbound", port),
        "type": "ORIGINAL_DST",
        "connect_timeout": "10s",
        "lb_policy": "CLUSTER_PROVIDED",
        "circuit_breakers": circuit_breakers(),
        "cleanup_interval": "60s",
        "upstream_bind_config": {"source_address": {"address": INBOUND_BIND_ADDRESS, "port_value": 0}},
        "metadata": {"filter_metadata": {"istio": {
            "services": [{"host": own.hostname, "name": own.name, "namespace": own.namespace}],
        }}},
    }


# --------------------------------------------------------------------------- endpoints


def load_assignment(svc: mesh.Service, port: mesh.Port, subset: str) -> Json:
    name = cluster_name("outbound", port.number, subset, svc.hostname)
    lb_endpoints = []
    for wl in svc.workloads_of(subset):
        filter_md: Json = {}
        if wl.in_mesh:
            filter_md["envoy.transport_socket_match"] = {"tlsMode": "istio"}
        filter_md["istio"] = {
            "workload": f"{wl.name};{svc.namespace};{svc.canonical_name or svc.name};{wl.version};{mesh.CLUSTER_ID}"
        }
        lb_endpoints.append({
            "endpoint": {"address": address(wl.ip, port.number)},
            "health_status": "HEALTHY",
            "metadata": {"filter_metadata": filter_md},
            "load_balancing_weight": 1,
        })
    cla: Json = {"@type": CLA, "cluster_name": name}
    if lb_endpoints:
        cla["endpoints"] = [{"lb_endpoints": lb_endpoints, "load_balancing_weight": len(lb_endpoints)}]
    return cla


# --------------------------------------------------------------------------- routes


def domains(svc: mesh.Service, port: int, proxy_namespace: str) -> list[str]:
    """Istio's Host-header variants for one service port, each with and without ``:port``."""
    names = [svc.hostname]
    if svc.namespace == proxy_namespace:
        names.append(svc.name)
    names += [f"{svc.name}.{svc.namespace}.svc", f"{svc.name}.{svc.namespace}", svc.vip]
    out: list[str] = []
    for n in names:
        out += [n, f"{n}:{port}"]
    return out


def retry_policy() -> Json:
    return {
        "retry_on": "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes",
        "num_retries": 2,
        "retry_host_predicate": [{
            "name": "envoy.retry_host_predicates.previous_hosts",
            "typed_config": {"@type": T + "envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate"},
        }],
        "host_selection_retry_max_attempts": "5",
        "retriable_status_codes": [503],
    }


def route_action(**target: Any) -> Json:
    return {**target, "timeout": "0s", "retry_policy": retry_policy(),
            "max_stream_duration": {"max_stream_duration": "0s", "grpc_timeout_header_max": "0s"}}


def service_routes(svc: mesh.Service, port: int) -> list[Json]:
    decorator = {"operation": f"{svc.hostname}:{port}/*"}
    vs = next((v for v in mesh.VIRTUAL_SERVICES if v.host == svc.hostname), None)
    if vs is None:
        return [{"name": "default", "match": {"prefix": "/"},
                 "route": route_action(cluster=cluster_name("outbound", port, "", svc.hostname)),
                 "decorator": decorator}]
    md = {"filter_metadata": {"istio": {"config": virtual_service_path(vs.namespace, vs.name)}}}
    routes: list[Json] = []
    for hr in vs.header_routes:
        routes.append({
            "match": {"prefix": "/", "headers": [{"name": hr.header, "string_match": {"exact": hr.exact}}]},
            "route": route_action(cluster=cluster_name("outbound", port, hr.subset, svc.hostname)),
            "metadata": md, "decorator": decorator,
        })
    weighted = {"clusters": [{"name": cluster_name("outbound", port, subset, svc.hostname), "weight": w}
                             for subset, w in vs.weights]}
    routes.append({"match": {"prefix": "/"}, "route": route_action(weighted_clusters=weighted),
                   "metadata": md, "decorator": decorator})
    return routes


def outbound_route_config(port: int) -> Json:
    vhosts = []
    for svc in sorted(mesh.SERVICES, key=lambda s: s.hostname):
        if any(p.number == port and p.is_http for p in svc.ports):
            vhosts.append({"name": f"{svc.hostname}:{port}", "domains": domains(svc, port, mesh.POD_NAMESPACE),
                           "routes": service_routes(svc, port), "include_request_attempt_count": True})
    vhosts.append({"name": "allow_any", "domains": ["*"],
                   "routes": [{"name": "allow_any", "match": {"prefix": "/"},
                               "route": {"cluster": PASSTHROUGH, "timeout": "0s",
                                         "max_grpc_timeout": "0s"}}],
                   "include_request_attempt_count": True})
    return {"@type": ROUTE_CONFIG, "name": str(port), "virtual_hosts": vhosts, "validate_clusters": False}


def inbound_route_config(port: int) -> Json:
    own = next(s for s in mesh.SERVICES if any(w.ip == mesh.POD_IP for w in s.workloads))
    name = cluster_name("inbound", port)
    return {
        "name": name,
        "virtual_hosts": [{"name": f"inbound|http|{port}", "domains": ["*"], "routes": [{
            "name": "default", "match": {"prefix": "/"},
            "route": {"cluster": name, "timeout": "0s",
                      "max_stream_duration": {"max_stream_duration": "0s", "grpc_timeout_header_max": "0s"}},
            "decorator": {"operation": f"{own.hostname}:{port}/*"},
        }]}],
        "validate_clusters": False,
    }


def inbound_passthrough_route_config() -> Json:
    return {
        "name": INBOUND_PASSTHROUGH,
        "virtual_hosts": [{"name": "inbound|http|0", "domains": ["*"], "routes": [{
            "name": "default", "match": {"prefix": "/"},
            "route": {"cluster": INBOUND_PASSTHROUGH, "timeout": "0s",
                      "max_stream_duration": {"max_stream_duration": "0s", "grpc_timeout_header_max": "0s"}},
            "decorator": {"operation": ":0/*"},
        }]}],
        "validate_clusters": False,
    }


# --------------------------------------------------------------------------- listeners


def virtual_outbound() -> Json:
    return {
        "@type": LISTENER,
        "name": "virtualOutbound",
        "address": address("0.0.0.0", 15001),
        "filter_chains": [
            {"filter_chain_match": {"destination_port": 15001}, "filters": [tcp_proxy(BLACKHOLE)],
             "name": "virtualOutbound-blackhole"},
            {"filters": [tcp_proxy(PASSTHROUGH)], "name": "virtualOutbound-catchall-tcp"},
        ],
        "use_original_dst": True,
        "traffic_direction": "OUTBOUND",
    }


def virtual_inbound() -> Json:
    chains: list[Json] = [
        {"filter_chain_match": {"destination_port": 15006}, "filters": [tcp_proxy(BLACKHOLE)],
         "name": "virtualInbound-blackhole"},
    ]
    for port in mesh.INBOUND_PORTS:
        stat = f"inbound_0.0.0.0_{port}"
        chains.append({
            "filter_chain_match": {"destination_port": port, "transport_protocol": "tls"},
            "filters": [hcm(stat, route_config=inbound_route_config(port), inbound=True)],
            "transport_socket": downstream_mtls(),
            "name": f"0.0.0.0_{port}",
        })
        chains.append({
            "filter_chain_match": {"destination_port": port, "transport_protocol": "raw_buffer"},
            "filters": [hcm(stat, route_config=inbound_route_config(port), inbound=True)],
            "name": f"0.0.0.0_{port}",
        })
    chains += [
        {"filter_chain_match": {"transport_protocol": "tls"},
         "filters": [tcp_proxy(INBOUND_PASSTHROUGH)], "transport_socket": downstream_mtls(),
         "name": "virtualInbound"},
        {"filter_chain_match": {"transport_protocol": "raw_buffer", "application_protocols": ["http/1.1", "h2c"]},
         "filters": [hcm("inbound_0.0.0.0_0", route_config=inbound_passthrough_route_config(), inbound=True)],
         "name": "virtualInbound-catchall-http"},
        {"filter_chain_match": {"transport_protocol": "raw_buffer"},
         "filters": [tcp_proxy(INBOUND_PASSTHROUGH)], "name": "virtualInbound"},
    ]
    return {
        "@type": LISTENER,
        "name": "virtualInbound",
        "address": address("0.0.0.0", 15006),
        "filter_chains": chains,
        "listener_filters": inspector_filters(original_dst=True),
        "listener_filters_timeout": "0s",
        "continue_on_listener_filters_timeout": True,
        "traffic_direction": "INBOUND",
    }


def http_outbound_listener(port: int) -> Json:
    name = f"0.0.0.0_{port}"
    return {
        "@type": LISTENER,
        "name": name,
        "address": address("0.0.0.0", port),
        "filter_chains": [{
            "filter_chain_match": {"transport_protocol": "raw_buffer", "application_protocols": ["http/1.1", "h2c"]},
            "filters": [hcm(f"outbound_0.0.0.0_{port}", rds=str(port))],
            "name": name,
        }],
        "default_filter_chain": {"filters": [tcp_proxy(PASSTHROUGH)], "name": "PassthroughFilterChain"},
        "listener_filters": inspector_filters(original_dst=False),
        "listener_filters_timeout": "0s",
        "continue_on_listener_filters_timeout": True,
        "traffic_direction": "OUTBOUND",
        "bind_to_port": False,
    }


def tcp_outbound_listener(svc: mesh.Service, port: mesh.Port) -> Json:
    cluster = cluster_name("outbound", port.number, "", svc.hostname)
    return {
        "@type": LISTENER,
        "name": f"{svc.vip}_{port.number}",
        "address": address(svc.vip, port.number),
        "filter_chains": [{"filters": [tcp_proxy(cluster)]}],
        "traffic_direction": "OUTBOUND",
        "bind_to_port": False,
    }


# --------------------------------------------------------------------------- secrets


def secrets(certs: WorkloadCerts) -> dict[str, Json]:
    b64 = lambda data: base64.b64encode(data).decode()  # noqa: E731
    return {
        "default": {"@type": SECRET, "name": "default", "tls_certificate": {
            "certificate_chain": {"inline_bytes": b64(certs.leaf_pem)},
            "private_key": {"inline_bytes": b64(certs.leaf_key_pem)},
        }},
        "ROOTCA": {"@type": SECRET, "name": "ROOTCA", "validation_context": {
            "trusted_ca": {"inline_bytes": b64(certs.root_pem)},
        }},
    }


def redact_secret(secret: Json) -> Json:
    """The secret as Envoy and istiod print it: private key replaced by ``[redacted]``."""
    out = {**secret}
    tls = secret.get("tls_certificate")
    if tls and "private_key" in tls:
        out["tls_certificate"] = {**tls, "private_key": {"inline_bytes": REDACTED_B64}}
    return out


# --------------------------------------------------------------------------- bootstrap


def node() -> Json:
    return {
        "id": mesh.NODE_ID,
        "cluster": "productpage.default",
        "locality": {},
        "metadata": {
            "ANNOTATIONS": {
                "kubectl.kubernetes.io/default-container": "productpage",
                "prometheus.io/path": "/stats/prometheus",
                "prometheus.io/port": "15020",
                "prometheus.io/scrape": "true",
                "sidecar.istio.io/status": '{"initContainers":["istio-init"],"containers":["istio-proxy"],'
                                           '"volumes":["workload-socket","credential-socket","workload-certs",'
                                           '"istio-envoy","istio-data","istio-podinfo","istio-token",'
                                           '"istiod-ca-cert"],"imagePullSecrets":null,"revision":"default"}',
            },
            "APP_CONTAINERS": "productpage",
            "CLUSTER_ID": mesh.CLUSTER_ID,
            "ENVOY_PROMETHEUS_PORT": 15090,
            "ENVOY_STATUS_PORT": 15021,
            "INSTANCE_IPS": mesh.POD_IP,
            "INTERCEPTION_MODE": "REDIRECT",
            "ISTIO_VERSION": mesh.ISTIO_VERSION,
            "LABELS": {
                "app": "productpage",
                "pod-template-hash": "6c886ff494",
                "security.istio.io/tlsMode": "istio",
                "service.istio.io/canonical-name": "productpage",
                "service.istio.io/canonical-revision": "v1",
                "version": "v1",
            },
            "MESH_ID": mesh.TRUST_DOMAIN,
            "MESHLENS_SAMPLE": "true",
            "NAME": mesh.POD_NAME,
            "NAMESPACE": mesh.POD_NAMESPACE,
            "NODE_NAME": "kind-control-plane",
            "OWNER": "kubernetes://apis/apps/v1/namespaces/default/deployments/productpage-v1",
            "PILOT_SAN": ["istiod.istio-system.svc"],
            "POD_PORTS": '[{"name":"http","containerPort":9080,"protocol":"TCP"}]',
            "PROXY_CONFIG": {
                "binaryPath": "/usr/local/bin/envoy",
                "concurrency": 2,
                "configPath": "./etc/istio/proxy",
                "controlPlaneAuthPolicy": "MUTUAL_TLS",
                "discoveryAddress": "istiod.istio-system.svc:15012",
                "drainDuration": "45s",
                "proxyAdminPort": 15000,
                "serviceCluster": "istio-proxy",
                "statNameLength": 189,
                "statusPort": 15020,
                "terminationDrainDuration": "5s",
            },
            "SERVICE_ACCOUNT": mesh.SERVICE_ACCOUNT,
            "WORKLOAD_NAME": "productpage-v1",
        },
    }


def _static_cluster(name: str, addr: Json, http2: bool = False) -> Json:
    c: Json = {"name": name, "type": "STATIC", "connect_timeout": "1s",
               "load_assignment": {"cluster_name": name, "endpoints": [{"lb_endpoints": [
                   {"endpoint": {"address": addr}}]}]}}
    if http2:
        c["typed_extension_protocol_options"] = http2_protocol_options()
    return c


def _static_http_listener(port: int, stat_prefix: str, prefix: str, cluster: str) -> Json:
    """Istio's bootstrap listeners (prometheus 15090, readiness 15021): unnamed, inline route."""
    return {
        "address": address("0.0.0.0", port),
        "filter_chains": [{"filters": [{
            "name": "envoy.filters.network.http_connection_manager",
            "typed_config": {
                "@type": HCM,
                "stat_prefix": stat_prefix,
                "route_config": {"virtual_hosts": [{"name": "backend", "domains": ["*"], "routes": [
                    {"match": {"prefix": prefix}, "route": {"cluster": cluster}}]}]},
                "http_filters": [{"name": "envoy.filters.http.router", "typed_config": {
                    "@type": T + "envoy.extensions.filters.http.router.v3.Router"}}],
            },
        }]}],
    }


def bootstrap() -> Json:
    return {
        "node": node(),
        "layered_runtime": {"layers": [
            {"name": "global config", "static_layer": {
                "envoy.reloadable_features.http_reject_path_with_fragment": "false",
                "re2.max_program_size.error_level": "32768"}},
            {"name": "admin", "admin_layer": {}},
        ]},
        "admin": {"address": address("127.0.0.1", 15000)},
        "overload_manager": {"resource_monitors": [{
            "name": "envoy.resource_monitors.global_downstream_max_connections",
            "typed_config": {
                "@type": T + "envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig",
                "max_active_downstream_connections": 2147483647,
            },
        }]},
        "dynamic_resources": {
            "lds_config": file_source(LDS_PATH),
            "cds_config": file_source(CDS_PATH),
        },
        "static_resources": {
            "clusters": [
                _static_cluster("prometheus_stats", address("127.0.0.1", 15000)),
                _static_cluster("agent", address("127.0.0.1", 15020)),
                # Present for shape: an istio-proxy bootstrap has them. Nothing uses them here
                # (configuration comes from files), so Envoy never dials the unix sockets.
                _static_cluster("sds-grpc", {"pipe": {"path": "./var/run/secrets/workload-spiffe-uds/socket"}},
                                http2=True),
                _static_cluster("xds-grpc", {"pipe": {"path": "./etc/istio/proxy/XDS"}}, http2=True),
            ],
            "listeners": [
                _static_http_listener(15090, "stats", "/stats/prometheus", "prometheus_stats"),
                _static_http_listener(15021, "agent", "/healthz/ready", "agent"),
            ],
        },
    }


# --------------------------------------------------------------------------- the whole set


@dataclass
class XdsSet:
    """Everything Envoy is fed, in sending order (as istiod would order CDS/LDS)."""

    version: str
    bootstrap: Json
    clusters: list[Json]
    listeners: list[Json]
    routes: dict[str, Json]  # route config name -> RouteConfiguration
    endpoints: dict[str, Json]  # EDS cluster name -> ClusterLoadAssignment
    secrets: dict[str, Json]  # secret name -> Secret (with the real private key)
    static_route_configs: int = field(default=0)

    def files(self, redact: bool) -> dict[str, Json]:
        """Relative path -> file content (a DiscoveryResponse in JSON), one resource per
        RDS/EDS/SDS file as Envoy's filesystem subscriptions require."""

        def response(resources: list[Json]) -> Json:
            return {"version_info": self.version, "resources": resources}

        out = {LDS_PATH: response(self.listeners), CDS_PATH: response(self.clusters)}
        out.update({rds_path(n): response([r]) for n, r in self.routes.items()})
        out.update({eds_path(n): response([e]) for n, e in self.endpoints.items()})
        for n, s in self.secrets.items():
            out[sds_path(n)] = response([redact_secret(s) if redact else s])
        return out

    def expected(self) -> Json:
        """Counts a faithful dump of this configuration must show."""
        return {
            "static_clusters": len(self.bootstrap["static_resources"]["clusters"]),
            "dynamic_clusters": len(self.clusters),
            "eds_clusters": sum(1 for c in self.clusters if c.get("type") == "EDS"),
            "static_listeners": len(self.bootstrap["static_resources"]["listeners"]),
            "dynamic_listeners": len(self.listeners),
            "route_configs": len(self.routes),
            "static_route_configs": self.static_route_configs,
            "virtual_hosts": sum(len(r["virtual_hosts"]) for r in self.routes.values()),
            "endpoints": sum(len(le["lb_endpoints"]) for e in self.endpoints.values()
                             for le in e.get("endpoints", [])),
            "secrets": len(self.secrets),
        }


def _count_inline_routes(listeners: list[Json]) -> int:
    n = 0
    for lst in listeners:
        chains = list(lst.get("filter_chains", []))
        if "default_filter_chain" in lst:
            chains.append(lst["default_filter_chain"])
        for ch in chains:
            n += sum(1 for f in ch.get("filters", []) if "route_config" in f.get("typed_config", {}))
    return n


def build(version: str, certs: WorkloadCerts) -> XdsSet:
    clusters: list[Json] = []
    endpoints: dict[str, Json] = {}
    http_ports: list[int] = []
    tcp_listeners: list[Json] = []
    for svc in sorted(mesh.SERVICES, key=lambda s: s.hostname):
        for port in svc.ports:
            for subset in ("", *svc.subsets):
                c = outbound_cluster(svc, port, subset)
                clusters.append(c)
                endpoints[c["name"]] = load_assignment(svc, port, subset)
            if port.is_http:
                if port.number not in http_ports:
                    http_ports.append(port.number)
            else:
                tcp_listeners.append(tcp_outbound_listener(svc, port))
    clusters += special_clusters()
    clusters += [inbound_cluster(p) for p in mesh.INBOUND_PORTS]
    http_ports.sort()
    listeners = [virtual_outbound(), virtual_inbound()]
    listeners += [http_outbound_listener(p) for p in http_ports]
    listeners += tcp_listeners
    routes = {str(p): outbound_route_config(p) for p in http_ports}
    boot = bootstrap()
    static_routes = _count_inline_routes(listeners) + _count_inline_routes(boot["static_resources"]["listeners"])
    return XdsSet(version=version, bootstrap=boot, clusters=clusters, listeners=listeners, routes=routes,
                  endpoints=endpoints, secrets=secrets(certs), static_route_configs=static_routes)
