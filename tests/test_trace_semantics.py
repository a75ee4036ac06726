"""trace() follows Envoy where the review found it did not: waypoints' internal listener, require_tls,
path normalisation, the headers the connection manager adds, inbound traffic, address families,
redirect Locations and trailing dots.

Every expectation here is what Envoy 1.40 answered for the same configuration and request (the
reviewer's reproductions, and the lab configurations ``hcm_paths``, ``hcm_requests``,
``inbound_sidecar`` and ``address_family`` in ``tests/envoy_lab/configs.py``, which pin most of these
against a running Envoy in ``test_trace_vs_envoy.py``). What the lab cannot send (IPv6 clients, HBONE
tunnels, requests Envoy answers before routing with details the lab does not join) is pinned here
from one-off runs of the same Envoy.
"""

from __future__ import annotations

from typing import Any

import pytest

import meshlens
from meshlens.analysis.trace.model import Disposition, Trace
from meshlens.analysis.trace.paths import normalize, remove_dot_segments
from tests.conftest import fixture_path, needs_shared

A = "type.googleapis.com/envoy.admin.v3."
HCM = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
TCP = "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy"
SV = "type.googleapis.com/google.protobuf.StringValue"
NET_INPUT = "type.googleapis.com/envoy.extensions.matching.common_inputs.network.v3."
ORIGINAL_DST = [{"name": "envoy.filters.listener.original_dst"}]


def dump(listeners: list[dict[str, Any]], clusters: list[dict[str, Any]] = (), node: str | None = None,  # type: ignore[assignment]
         ) -> dict[str, Any]:
    configs: list[dict[str, Any]] = [
        {"@type": A + "ClustersConfigDump", "dynamic_active_clusters": [{"cluster": c} for c in clusters]},
        {"@type": A + "ListenersConfigDump",
         "dynamic_listeners": [{"name": lst["name"], "active_state": {"listener": lst}} for lst in listeners]},
    ]
    if node:
        configs.insert(0, {"@type": A + "BootstrapConfigDump", "bootstrap": {"node": {"id": node}}})
    return {"configs": configs}


def lis(name: str, ip: str | None, port: int, chains: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    out = {"name": name, "filter_chains": chains, **extra}
    if ip is not None:
        out["address"] = {"socket_address": {"address": ip, "port_value": port}}
    return out


def http_chain(vhosts: list[dict[str, Any]], name: str | None = None, match: dict[str, Any] | None = None,
               **hcm: Any) -> dict[str, Any]:
    chain: dict[str, Any] = {"filters": [{"name": "hcm", "typed_config": {
        "@type": HCM, "stat_prefix": "s", "route_config": {"name": "rc", "virtual_hosts": vhosts}, **hcm}}]}
    if name:
        chain["name"] = name
    if match:
        chain["filter_chain_match"] = match
    return chain


def dr(name: str, match: dict[str, Any] | None = None, status: int = 200) -> dict[str, Any]:
    return {"name": name, "match": match or {"prefix": "/"}, "direct_response": {"status": status}}


def rd(name: str, match: dict[str, Any], **redirect: Any) -> dict[str, Any]:
    return {"name": name, "match": match, "redirect": redirect}


def vh(name: str, domains: list[str], routes: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"name": name, "domains": domains, "routes": routes, **extra}


def proxy_of(listeners: list[dict[str, Any]], **kw: Any) -> meshlens.EnvoyProxy:
    return meshlens.load(dump(listeners, **kw)).proxy()


def one_listener(vhosts: list[dict[str, Any]], port: int = 8000, **hcm: Any) -> meshlens.EnvoyProxy:
    return proxy_of([lis("l", "127.0.0.1", port, [http_chain(vhosts, **hcm)])])


def go(proxy: meshlens.EnvoyProxy, to: str = "h", path: str = "/", port: int = 8000, **kw: Any) -> Trace:
    kw.setdefault("dst", f"127.0.0.1:{port}")
    return meshlens.trace(proxy, to=to, path=path, **kw)


def hop(t: Trace, kind: str) -> str:
    return " | ".join(f"{h.name}: {h.matched_by}" for h in t.hops if h.kind == kind)


# --- 1. waypoints: HBONE to the internal listener ---------------------------------------------------
@needs_shared
def test_waypoint_reaches_main_internal_by_the_original_destination() -> None:
    wp = meshlens.load(fixture_path("istio", "envoy-configdump__waypoint-cds-lds-rds__2024-03.json")).proxy()
    t = meshlens.trace(wp, to="details.default.svc.cluster.local:9080", dst="10.96.1.201:9080")
    assert t.listener == "main_internal"
    assert "waypoint: HBONE via connect_terminate → main_internal (assumed)" in hop(t, "listener")
    assert t.filter_chain == "inbound-vip|9080||details.default.svc.cluster.local-http"
    assert t.route_config == "inbound-vip|9080|http|details.default.svc.cluster.local"
    assert t.clusters[0].name == "inbound-vip|9080|http|details.default.svc.cluster.local"
    # the capture lacks that cluster: Envoy would answer 503 NC too
    assert t.disposition == Disposition.NO_CLUSTER
    assert any("HBONE" in a for a in t.assumptions)

    full = meshlens.load(fixture_path("istio", "envoy-configdump__waypoint-full__istio1.21.json")).proxy()
    t = meshlens.trace(full, to="httpbin.default.svc.cluster.local:8000", dst="10.104.171.68:8000")
    assert (t.listener, t.filter_chain) == ("main_internal", "inbound-vip|8000||httpbin.default.svc.cluster.local-http")
    # a workload address: the direct chains, by the application protocol http_inspector reports
    t = meshlens.trace(full, to="x", dst="192.168.195.248:80")
    assert (t.listener, t.filter_chain) == ("main_internal", "direct-http")
    # the waypoint's own bound listener still takes its own port
    assert meshlens.trace(full, to="x:15021", dst="192.168.252.229:15021").listener != "main_internal"


def _waypoint(extra: list[dict[str, Any]] = ()) -> meshlens.EnvoyProxy:  # type: ignore[assignment]
    def act(name: str) -> dict[str, Any]:
        return {"action": {"name": name, "typed_config": {"@type": SV, "value": name}}}

    matcher = {"matcher_tree": {
        "input": {"name": "ip", "typed_config": {"@type": NET_INPUT + "DestinationIPInput"}},
        "exact_match_map": {"map": {"10.96.0.7": {"matcher": {"matcher_tree": {
            "input": {"name": "port", "typed_config": {"@type": NET_INPUT + "DestinationPortInput"}},
            "exact_match_map": {"map": {"9080": act("vip-9080")}}}}}}}}}
    internal = lis("main_internal", None, 0, [http_chain([vh("v", ["*"], [dr("r-vip")])], name="vip-9080")],
                   internal_listener={}, traffic_direction="INBOUND", filter_chain_matcher=matcher,
                   listener_filters=ORIGINAL_DST)
    originate = lis("connect_originate", None, 0, [http_chain([vh("o", ["*"], [dr("r-orig")])])],
                    internal_listener={})
    terminate = lis("connect_terminate", "0.0.0.0", 15008, [http_chain([vh("t", ["*"], [dr("r-term")])])])
    return proxy_of([terminate, originate, internal, *extra], node="waypoint~10.0.0.9~wp.ns~ns.svc.cluster.local")


def test_internal_listener_only_when_no_socket_listener_takes_the_destination() -> None:
    t = meshlens.trace(_waypoint(), to="svc:9080", dst="10.96.0.7:9080")
    assert (t.listener, t.filter_chain, t.route) == ("main_internal", "vip-9080", "r-vip")
    assert "HBONE via connect_terminate → main_internal" in hop(t, "listener")
    assert any("client address unknown" in a for a in t.assumptions)  # not the waypoint's own IP
    assert meshlens.trace(_waypoint(), to="svc:9081", dst="10.96.0.7:9081").disposition == Disposition.NO_FILTER_CHAIN
    bound = lis("0.0.0.0_9080", "0.0.0.0", 9080, [http_chain([vh("b", ["*"], [dr("r-bound")])])])
    assert meshlens.trace(_waypoint([bound]), to="svc:9080", dst="10.96.0.7:9080").route == "r-bound"
    # without internal listeners nothing changes: no listener
    plain = proxy_of([lis("l", "127.0.0.1", 8000, [http_chain([vh("v", ["*"], [dr("r")])])])])
    assert meshlens.trace(plain, to="h", dst="10.96.0.7:9080").disposition == Disposition.NO_LISTENER


# --- 2. require_tls ---------------------------------------------------------------------------------
def _tls_vhosts() -> list[dict[str, Any]]:
    return [vh("secure", ["secure.example", "secure.example:*"], [dr("r-secure")], require_tls="ALL"),
            vh("ext", ["ext.example"], [dr("r-ext")], require_tls="EXTERNAL_ONLY"),
            vh("empty", ["empty.example"], [], require_tls="ALL"),
            vh("any", ["*"], [dr("r-any")])]


def test_require_tls_redirects_plaintext_before_route_matching() -> None:
    p = one_listener(_tls_vhosts())
    # Envoy: 301 https://secure.example/p?q=1; the Host's port is kept as sent (https://secure.example:80/p)
    for host, path, location in [("secure.example", "/p?q=1", "https://secure.example/p?q=1"),
                                 ("secure.example:80", "/p", "https://secure.example:80/p"),
                                 ("secure.example:8000", "/p", "https://secure.example:8000/p"),
                                 ("ext.example", "/p", "https://ext.example/p"),
                                 ("empty.example", "/p", "https://empty.example/p")]:
        t = go(p, host, path)
        assert (t.disposition, t.response_code, t.redirect_location, t.route) == (
            Disposition.REDIRECT, 301, location, None), (host, path)
        assert "requires TLS" in hop(t, "action")
    # x-forwarded-proto: https (trusted without use_remote_address) is what Envoy checks; "HTTPS" is not it
    assert go(p, "secure.example", headers={"x-forwarded-proto": "https"}).route == "r-secure"
    assert go(p, "secure.example", headers={"x-forwarded-proto": "HTTPS"}).disposition == Disposition.REDIRECT
    assert go(p, "ext.example", headers={"x-forwarded-proto": "https"}).route == "r-ext"
    # a client's own x-envoy-internal does not make a request internal
    assert go(p, "ext.example", headers={"x-envoy-internal": "true"}).disposition == Disposition.REDIRECT
    assert go(p, "other.example").route == "r-any"


def test_require_tls_under_use_remote_address() -> None:
    remote = one_listener(_tls_vhosts(), use_remote_address=True)
    # the client's x-forwarded-proto is overwritten with the connection's scheme: redirected anyway
    t = go(remote, "secure.example", headers={"x-forwarded-proto": "https"})
    assert t.redirect_location == "https://secure.example/"
    assert go(remote, "ext.example", src="127.0.0.1").disposition == Disposition.REDIRECT  # no internal addresses
    internal = one_listener(_tls_vhosts(), use_remote_address=True, internal_address_config={
        "cidr_ranges": [{"address_prefix": "127.0.0.0", "prefix_len": 8}]})
    assert go(internal, "ext.example", src="127.0.0.1").route == "r-ext"
    assert go(internal, "ext.example", src="10.1.1.1").disposition == Disposition.REDIRECT
    assert go(internal, "secure.example", src="127.0.0.1").disposition == Disposition.REDIRECT  # ALL: always


# --- 3. path normalisation ----------------------------------------------------------------------------
NORMALISED = [  # path, normalize_path, merge_slashes, escaped slashes action -> Envoy's :path
    ("/x/../exact", True, None, None, "/exact"),
    ("/%2e%2e/exact", True, None, None, "/exact"),
    ("/ex%61ct", True, None, None, "/exact"),
    ("/ex%41ct", True, None, None, "/exAct"),
    ("//exact", True, None, None, "//exact"),
    ("/a\\..\\exact", True, None, None, "/exact"),
    ("/a%5C..%5Cexact", True, None, None, "/a%5C..%5Cexact"),
    ("/public/..%2Fadmin/x", True, None, "KEEP_UNCHANGED", "/public/..%2Fadmin/x"),
    ("/public/..%2fadmin/x", True, None, "UNESCAPE_AND_FORWARD", "/admin/x"),
    ("/a%5C..%5Cexact", True, None, "UNESCAPE_AND_FORWARD", "/exact"),
    ("/a%2fb?q=%2F/../x", None, None, "UNESCAPE_AND_FORWARD", "/a/b?q=%2F/../x"),
    ("/a%5Cb", None, None, "UNESCAPE_AND_FORWARD", "/a\\b"),
    ("/..", True, None, None, "/"),
    ("/a/b/..", True, None, None, "/a/"),
    ("/exact/.", True, None, None, "/exact/"),
    ("/a/.%2e/b", True, None, None, "/b"),
    ("/a/..%2e/b", True, None, None, "/a/.../b"),
    ("/A%7Eb%5fc%2Dd%2e", True, None, None, "/A~b_c-d."),
    ("/a{b}|^`\"<>", True, None, None, "/a%7Bb%7D%7C%5E%60%22%3C%3E"),
    ("/a%3ab%zz%2", True, None, None, "/a%3ab%zz%2"),
    ("/x/..//exact", True, True, None, "/exact"),
    ("/admin//x/../y", True, None, None, "/admin//y"),
    ("/admin//x/../y", None, True, None, "/admin/x/../y"),
    ("/x/../y?a=/../b", True, True, None, "/y?a=/../b"),
]


@pytest.mark.parametrize(("path", "norm", "merge", "escaped", "expected"), NORMALISED)
def test_normalize_matches_envoy(path: str, norm: bool | None, merge: bool | None, escaped: str | None,
                                 expected: str) -> None:
    result = normalize(path, norm, merge, escaped)
    assert (result.action, result.path) == ("continue", expected)


def test_normalize_local_replies() -> None:
    assert normalize("/a%2Fb", True, None, "REJECT_REQUEST").action == "reject"
    assert normalize("/a/b", True, None, "REJECT_REQUEST").action == "continue"
    assert normalize("/a%00b", True, None, None).action == "reject"
    r = normalize("/a%2fb/../c?q=%2F", True, True, "UNESCAPE_AND_REDIRECT")
    assert (r.action, r.path) == ("redirect", "/a/c?q=%2F")
    assert normalize("/a%2fb", True, None, "UNESCAPE_AND_REDIRECT", grpc=True).action == "reject"
    assert remove_dot_segments("/a/./b/../../c/") == "/c/"


def test_routes_see_the_normalised_path() -> None:
    vhosts = [vh("v", ["*"], [dr("exact", {"path": "/exact"}), dr("admin", {"prefix": "/admin/"}),
                              rd("moved", {"prefix": "/rd/"}, host_redirect="new.example"),
                              dr("fallback", {"prefix": "/"})])]
    p = one_listener(vhosts, normalize_path=True, merge_slashes=True)
    for path, route in [("/x/../exact", "exact"), ("/ex%61ct", "exact"), ("//exact", "exact"),
                        ("/public/../admin/x", "admin"), ("/public/..%2Fadmin/x", "fallback")]:
        t = go(p, path=path)
        assert t.route == route, path
    t = go(p, path="/x/../exact")
    assert [h.name for h in t.hops if h.kind == "request"] == ["/exact"]
    assert "normalize_path: '/x/../exact' -> '/exact'" in hop(t, "request")
    assert go(p, path="/rd/x/../y?q=1").redirect_location == "http://new.example/rd/y?q=1"
    assert go(one_listener(vhosts), path="/x/../exact").route == "fallback"  # off by default

    reject = one_listener(vhosts, normalize_path=True, path_with_escaped_slashes_action="REJECT_REQUEST")
    t = go(reject, path="/public/..%2Fadmin/x")
    assert (t.disposition, t.response_code, t.route) == (Disposition.DIRECT_RESPONSE, 400, None)
    assert any("400" in n for n in t.notes)
    redirect = one_listener(vhosts, normalize_path=True, path_with_escaped_slashes_action="UNESCAPE_AND_REDIRECT")
    t = go(redirect, path="/a%2fb?q=%2F/../x")  # Envoy: 307, Location: /a/b?q=%2F/../x
    assert (t.disposition, t.response_code, t.redirect_location) == (Disposition.REDIRECT, 307, "/a/b?q=%2F/../x")
    t = go(redirect, path="/a%2fb", headers={"content-type": "application/grpc"})
    assert (t.disposition, t.response_code) == (Disposition.DIRECT_RESPONSE, 400)
    assert go(redirect, path="/x/../exact").route == "exact"  # nothing to unescape: routed


# --- 4. headers the connection manager adds -------------------------------------------------------
def _header_vhosts() -> list[dict[str, Any]]:
    def hdr(name: str, **m: Any) -> dict[str, Any]:
        return {"name": name, **m}

    return [vh("v", ["*"], [
        dr("xfp-http", {"prefix": "/xfp", "headers": [hdr("x-forwarded-proto", string_match={"exact": "http"})]}),
        dr("xfp-https", {"prefix": "/xfp", "headers": [hdr("x-forwarded-proto", string_match={"exact": "https"})]}),
        dr("rid", {"prefix": "/rid", "headers": [hdr("x-request-id", present_match=True)]}),
        rd("to-https", {"prefix": "/edge", "headers": [hdr("x-forwarded-proto", string_match={"exact": "http"})]},
           https_redirect=True),
        rd("tohttp", {"prefix": "/tohttp"}, scheme_redirect="http"),
        rd("keep", {"prefix": "/keep"}, host_redirect="k.example"),
        dr("fallback")])]


def test_x_forwarded_proto_and_x_request_id_before_routing() -> None:
    p = one_listener(_header_vhosts())
    t = go(p, path="/xfp")
    assert t.route == "xfp-http"
    assert any("x-forwarded-proto: http" in a for a in t.assumptions)
    assert go(p, path="/xfp", headers={"x-forwarded-proto": "https"}).route == "xfp-https"  # kept as sent
    assert go(p, path="/rid").route == "rid"
    assert any("x-request-id" in a for a in go(p, path="/rid").assumptions)
    assert go(p, "www.example.com", path="/edge").redirect_location == "https://www.example.com/edge"
    # the redirect scheme is x-forwarded-proto: https -> http drops https' default port
    assert go(p, "h:443", "/tohttp", headers={"x-forwarded-proto": "https"}).redirect_location == "http://h/tohttp"
    assert go(p, "h:443", "/tohttp").redirect_location == "http://h:443/tohttp"
    assert go(p, "h:443", "/keep", headers={"x-forwarded-proto": "https"}).redirect_location == \
        "https://k.example/keep"

    remote = one_listener(_header_vhosts(), use_remote_address=True)
    assert go(remote, path="/xfp", headers={"x-forwarded-proto": "https"}).route == "xfp-http"  # overwritten
    assert go(remote, "h:443", "/tohttp", headers={"x-forwarded-proto": "https"}).redirect_location == \
        "http://h:443/tohttp"
    no_id = one_listener(_header_vhosts(), generate_request_id=False)
    assert go(no_id, path="/rid").route == "fallback"
    assert go(no_id, path="/rid", headers={"x-request-id": "mine"}).route == "rid"


# --- 5. inbound -------------------------------------------------------------------------------------
POD = "10.0.0.1"


def _sidecar(**hcm: Any) -> meshlens.EnvoyProxy:
    inbound = lis("virtualInbound", "0.0.0.0", 15006, [
        http_chain([vh("in-svc", ["svc"], [dr("in-svc")]), vh("in-svc15006", ["svc:15006"], [dr("in-svc15006")]),
                    vh("in-any", ["*"], [dr("in-any")])], name="inb-9080", match={"destination_port": 9080},
                   strip_matching_host_port=True, **hcm),
        http_chain([vh("l", ["*"], [dr("r-local")])], name="inb-local",
                   match={"destination_port": 9090, "source_type": "SAME_IP_OR_LOOPBACK"}),
        http_chain([vh("e", ["*"], [dr("r-external")])], name="inb-external",
                   match={"destination_port": 9090, "source_type": "EXTERNAL"}),
    ], listener_filters=ORIGINAL_DST, traffic_direction="INBOUND")
    health = lis("0.0.0.0_15021", "0.0.0.0", 15021, [http_chain([vh("hz", ["*"], [dr("hz-ready")])])])
    outbound = lis("virtualOutbound", "0.0.0.0", 15001, [http_chain([vh("c", ["*"], [dr("r-catch")])])],
                   use_original_dst=True, traffic_direction="OUTBOUND", listener_filters=ORIGINAL_DST)
    own = lis(f"{POD}_8088", POD, 8088, [http_chain([vh("o", ["*"], [dr("r-own-8088")])])])
    return proxy_of([outbound, inbound, health, own], node=f"sidecar~{POD}~pod.ns~ns.svc.cluster.local")


def test_inbound_ports_istio_does_not_redirect_reach_the_bound_listener() -> None:
    p = _sidecar()
    t = meshlens.trace(p, to=f"{POD}:15021", path="/healthz/ready")
    assert (t.listener, t.route) == ("0.0.0.0_15021", "hz-ready")
    assert "do not redirect inbound port 15021" in hop(t, "listener")
    t = meshlens.trace(p, to="x", dst=f"{POD}:15020")  # excluded and nothing bound: refused
    assert t.disposition == Disposition.NO_LISTENER and t.notes
    assert meshlens.trace(p, to="x", dst=f"{POD}:8088").route == "r-own-8088"  # bound on the pod IP itself
    assert meshlens.trace(p, to="svc", dst=f"{POD}:9080").listener == "virtualInbound"
    assert meshlens.trace(p, to="svc", dst=f"{POD}:15001").listener == "virtualInbound"  # capture: redirected


@needs_shared
def test_productpage_health_port_is_not_redirected() -> None:
    pp = meshlens.load(fixture_path("envoy", "sidecar-productpage", "config_dump_include_eds.json")).proxy()
    t = meshlens.trace(pp, to="10.244.0.22:15021", path="/healthz/ready")
    assert t.listener == "0.0.0.0_15021" and t.disposition == Disposition.ROUTED
    assert meshlens.trace(pp, to="10.244.0.22:9080", path="/productpage").listener == "virtualInbound"


def test_inbound_strip_matching_host_port_uses_the_original_destination_port() -> None:
    p = _sidecar()
    # Envoy: Host svc:9080 on a connection to 10.0.0.1:9080 redirected to 15006 matches domain "svc"
    for host, route in [("svc:9080", "in-svc"), ("svc", "in-svc"), ("svc:15006", "in-svc15006"), ("svc:1", "in-any")]:
        t = meshlens.trace(p, to=host, dst=f"{POD}:9080")
        assert t.route == route, host
    assert "strip_matching_host_port" in hop(meshlens.trace(p, to="svc:9080", dst=f"{POD}:9080"), "request")


def test_inbound_default_source_is_not_the_proxy_itself() -> None:
    p = _sidecar()
    t = meshlens.trace(p, to="svc", dst=f"{POD}:9090")
    assert t.filter_chain == "inb-external"
    assert any("client address unknown" in a for a in t.assumptions)
    assert meshlens.trace(p, to="svc", dst=f"{POD}:9090", src=POD).filter_chain == "inb-local"
    # outbound traces still come from the app next to the proxy
    t = meshlens.trace(p, to="x", dst="10.9.9.9:80")
    assert any(f"client address {POD}" in a for a in t.assumptions)


# --- 6. address families ----------------------------------------------------------------------------
def _families() -> meshlens.EnvoyProxy:
    def only(name: str) -> list[dict[str, Any]]:
        return [http_chain([vh(name, ["*"], [dr(f"r-{name}")])])]

    compat = lis("compat6_7002", "::", 7002, only("compat6"), bind_to_port=False)
    compat["address"]["socket_address"]["ipv4_compat"] = True
    return proxy_of([
        lis("virtualOutbound", "0.0.0.0", 15001, only("catch"), use_original_dst=True, traffic_direction="OUTBOUND",
            listener_filters=ORIGINAL_DST,
            additional_addresses=[{"address": {"socket_address": {"address": "::", "port_value": 15001}}}]),
        lis("v4_9080", "0.0.0.0", 9080, only("v4"), bind_to_port=False),
        lis("v6_9080", "::", 9080, only("v6"), bind_to_port=False),
        lis("only4_7000", "0.0.0.0", 7000, only("only4"), bind_to_port=False),
        lis("only6_7001", "::", 7001, only("only6"), bind_to_port=False),
        compat,
        lis("fd00::9_8080", "fd00:0:0::9", 8080, only("exact6"), bind_to_port=False),
    ])


@pytest.mark.parametrize(("dst", "route"), [
    ("[fd00::5]:9080", "r-v6"), ("10.0.0.5:9080", "r-v4"),  # Envoy: r-v6 / r-v4
    ("[fd00::5]:7000", "r-catch"), ("10.0.0.5:7001", "r-catch"),  # Envoy: no cross-family hand-off
    ("10.0.0.5:7000", "r-only4"), ("[fd00::5]:7001", "r-only6"),
    ("10.0.0.5:7002", "r-compat6"), ("[FD00:0::9]:8080", "r-exact6"), ("[fd00::9]:8080", "r-exact6"),
])
def test_original_destination_hand_off_respects_the_address_family(dst: str, route: str) -> None:
    assert meshlens.trace(_families(), to="h", dst=dst).route == route


def test_bound_wildcard_listener_takes_only_its_family() -> None:
    p = proxy_of([lis("v4", "0.0.0.0", 8000, [http_chain([vh("v", ["*"], [dr("r-v4")])])])])
    assert meshlens.trace(p, to="h", dst="[fd00::5]:8000").disposition == Disposition.NO_LISTENER
    assert meshlens.trace(p, to="h", dst="10.1.1.1:8000").route == "r-v4"


# --- 7. redirect Locations --------------------------------------------------------------------------
def test_redirect_location_details() -> None:
    p = one_listener([vh("v", ["*"], [
        rd("pq", {"prefix": "/pq"}, path_redirect="/p?new=1", strip_query=True),
        rd("strip", {"prefix": "/strip"}, path_redirect="/p", strip_query=True),
        rd("re", {"safe_regex": {"regex": "/re/.*"}}, prefix_rewrite="/new"),
        rd("pp", {"path": "/pp"}, prefix_rewrite="/np"),
        rd("pre", {"prefix": "/pre/"}, prefix_rewrite="/x/"),
        rd("ns", {"prefix": "/ns"}, path_redirect="rel"),
    ])])
    # as Envoy 1.40 answered (reviewer's t1.py and the lab's hcm_requests configuration)
    for path, location in [("/pq?old=1", "http://h/p?new=1"), ("/strip?old=1", "http://h/p"),
                           ("/re/x?k=1", "http://h/new?k=1"), ("/pp?k=1", "http://h/np?k=1"),
                           ("/pre/a/b?c=1", "http://h/x/a/b?c=1"), ("/ns", "http://h/rel")]:
        assert go(p, path=path).redirect_location == location, path


# --- 8. trailing dots -------------------------------------------------------------------------------
def test_strip_trailing_host_dot() -> None:
    vhosts = [vh("plain", ["svc.example"], [dr("r-plain")]), vh("port", ["svc.example:8100"], [dr("r-port")]),
              vh("any", ["*"], [dr("r-any")])]
    p = one_listener(vhosts, port=8100, strip_trailing_host_dot=True)
    assert go(p, "svc.example.", port=8100).route == "r-plain"
    assert go(p, "svc.example.:8100", port=8100).route == "r-port"
    assert go(p, "SVC.example.", port=8100).route == "r-plain"
    assert go(one_listener(vhosts, port=8100), "svc.example.", port=8100).route == "r-any"
    both = one_listener(vhosts, port=8100, strip_trailing_host_dot=True, strip_matching_host_port=True)
    assert go(both, "svc.example.:8100", port=8100).route == "r-plain"


def test_fully_qualified_name_with_trailing_dot_resolves() -> None:
    kube_dns = "outbound|53||kube-dns.kube-system.svc.cluster.local"
    p = proxy_of([
        lis("virtualOutbound", "0.0.0.0", 15001, [{"filters": [{"name": "tcp", "typed_config": {
            "@type": TCP, "stat_prefix": "p", "cluster": "PassthroughCluster"}}]}], use_original_dst=True),
        lis("10.96.0.10_53", "10.96.0.10", 53, [{"filters": [{"name": "tcp", "typed_config": {
            "@type": TCP, "stat_prefix": "d", "cluster": kube_dns}}]}], bind_to_port=False),
    ], node="sidecar~10.0.0.1~pod.default~default.svc.cluster.local")
    for name in ("kube-dns.kube-system.svc.cluster.local.:53", "kube-dns.kube-system.svc.cluster.local:53",
                 "kube-dns.kube-system:53"):
        assert meshlens.trace(p, to=name).listener == "10.96.0.10_53", name
    # a fully qualified name skips the search list: "kube-dns.kube-system." is not a service
    assert meshlens.trace(p, to="kube-dns.kube-system.:53").listener == "virtualOutbound"


@needs_shared
def test_productpage_resolves_a_fully_qualified_name() -> None:
    pp = meshlens.load(fixture_path("envoy", "sidecar-productpage", "config_dump_include_eds.json")).proxy()
    assert meshlens.trace(pp, to="kube-dns.kube-system.svc.cluster.local.:53").listener == "10.96.0.10_53"
