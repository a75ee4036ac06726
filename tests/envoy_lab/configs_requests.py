"""Lab configurations for what the client sends and what routes do to it (issue 11): TLS/SNI chains,
HTTP/1.0 without Host, padded and repeated headers, internal headers from internal and external
addresses, URI templates, every rewrite kind (seen by the backend), header mutations (seen by the
backend and the client), timeouts, runtime fractions at 0 and 100%, weighted clusters.

Registered into ``configs``' builder table when ``configs`` is imported (it imports this module last).
"""

from __future__ import annotations

import datetime
from typing import Any

from envoy_lab.configs import VERSIONS, Ctx, _config, backend_clusters
from envoy_lab.envoy_json import (
    Json,
    chain,
    hcm,
    headers_match,
    listener,
    match,
    route,
    route_config,
    vhost,
)
from envoy_lab.model import LabConfig

T_TLS = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext"
T_TEMPLATE_MATCH = "type.googleapis.com/envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig"
T_TEMPLATE_REWRITE = "type.googleapis.com/envoy.extensions.path.rewrite.uri_template.v3.UriTemplateRewriteConfig"


def _dr(name: str, m: Json, status: int = 200, **extra: Any) -> Json:
    return {**route(name, m, direct_response={"status": status}), **extra}


def _add(key: str, value: str, action: str | None = None) -> Json:
    out: Json = {"header": {"key": key, "value": value}}
    if action:
        out["append_action"] = action
    return out


# ---------------------------------------------------------------------------------------------------
@_config
def request_side(c: Ctx) -> LabConfig:
    """HTTP/1.0 without Host (default_host_for_http_10, none, accept_http_10 off: 426), requests without
    Host over HTTP/1.1 and h2, header values padded with whitespace (the codec trims them) and repeated
    headers (matchers see the values joined by ',')."""
    L = c.log

    def rc(tag: str) -> Json:
        H = headers_match
        return route_config(f"rc-{tag}", [
            vhost(f"{tag}-dflt", ["default.example"], [_dr(f"{tag}-default-host", match(prefix="/"))]),
            vhost(f"{tag}-any", ["*"], [
                _dr(f"{tag}-pad", match(prefix="/", headers=[H("x-lab-pad", exact="v w")])),
                _dr(f"{tag}-rep", match(prefix="/", headers=[H("x-lab-rep", exact="a,b")])),
                _dr(f"{tag}-rep2", match(prefix="/", headers=[H("x-lab-rep", exact="b")])),
                _dr(f"{tag}-rep1", match(prefix="/", headers=[H("x-lab-rep", exact="a")])),
                _dr(f"{tag}-empty", match(prefix="/", headers=[H("x-lab-empty", exact="")])),
                _dr(f"{tag}-fallback", match(prefix="/")),
            ]),
        ])

    variants = {
        "h10default": (8200, {"http_protocol_options": {"accept_http_10": True,
                                                        "default_host_for_http_10": "default.example"}}),
        "h10plain": (8201, {}),
        "h10off": (8202, {"http_protocol_options": {}}),
    }
    ls = [listener(tag, "127.0.0.1", port, [chain(f"ch-{tag}", [hcm(tag, L, route_config=rc(tag), **kw)])], L)
          for tag, (port, kw) in variants.items()]
    for port, _ in variants.values():
        for v in VERSIONS:  # (an h2 client cannot leave out :authority)
            if v != "2":
                c.probe(f"127.0.0.1:{port}", None, "/nohost", versions=(v,), router_check=False)
            c.probe(f"127.0.0.1:{port}", "h.example", "/", versions=(v,))
        c.probe(f"127.0.0.1:{port}", "h.example", "/", extra_headers=[["x-lab-pad", "   v w \t"]],
                versions=("1.0", "1.1", "2"), router_check=False)
        c.probe(f"127.0.0.1:{port}", "h.example", "/", extra_headers=[["x-lab-rep", "a"], ["x-lab-rep", "b"]],
                versions=("1.1", "2"))
        c.probe(f"127.0.0.1:{port}", "h.example", "/", extra_headers=[["x-lab-rep", " a "]], router_check=False)
        c.probe(f"127.0.0.1:{port}", "h.example", "/", extra_headers=[["x-lab-empty", "   "]], router_check=False)
    return c.config("HTTP/1.0 and missing Host, padded and repeated headers", ls, backend_clusters("c-a"))


# ---------------------------------------------------------------------------------------------------
@_config
def internal_headers(c: Ctx) -> LabConfig:
    """Internal or external: x-envoy-internal and x-envoy-upstream-rq-timeout-ms sent by the client are
    kept only for an internal request; internal by use_remote_address with internal_address_config
    (127/8 internal, or only 10/8 so the loopback client is external), by x-forwarded-for without
    use_remote_address, and with xff_num_trusted_hops. The backend reports what arrived; require_tls
    EXTERNAL_ONLY redirects external requests only."""
    L = c.log

    def rc(tag: str) -> Json:
        return route_config(f"rc-{tag}", [
            vhost(f"{tag}-ext", ["ext.example"], [_dr(f"{tag}-ext", match(prefix="/"))], require_tls="EXTERNAL_ONLY"),
            vhost(f"{tag}-any", ["*"], [
                route(f"{tag}-up", match(prefix="/"), route={"cluster": "c-a", "timeout": "7s"}),
            ]),
        ])

    def cidrs(*ranges: tuple[str, int]) -> Json:
        return {"cidr_ranges": [{"address_prefix": a, "prefix_len": n} for a, n in ranges]}

    variants = {
        "lo-internal": (8210, {"use_remote_address": True, "internal_address_config": cidrs(("127.0.0.0", 8))}),
        "ten-internal": (8211, {"use_remote_address": True, "internal_address_config": cidrs(("10.0.0.0", 8))}),
        "xff": (8212, {"internal_address_config": cidrs(("10.0.0.0", 8))}),
        "hops": (8213, {"use_remote_address": True, "xff_num_trusted_hops": 1,
                        "internal_address_config": cidrs(("10.0.0.0", 8))}),
        "default": (8214, {"use_remote_address": True}),
    }
    ls = [listener(tag, "127.0.0.1", port, [chain(f"ch-{tag}", [hcm(tag, L, route_config=rc(tag), **kw)])], L)
          for tag, (port, kw) in variants.items()]
    sent = {"x-envoy-internal": "true", "x-envoy-upstream-rq-timeout-ms": "2500"}
    for port, _ in variants.values():
        for xff in (None, "10.1.2.3", "8.8.8.8", "10.1.1.1, 8.8.8.8", "8.8.8.8, 10.1.1.1"):
            headers = dict(sent) | ({"x-forwarded-for": xff} if xff else {})
            c.probe(f"127.0.0.1:{port}", "h.example", "/up", headers=headers, router_check=False)
            c.probe(f"127.0.0.1:{port}", "ext.example", "/p", headers=headers, router_check=False)
        c.probe(f"127.0.0.1:{port}", "h.example", "/up", versions=("1.0", "2"), router_check=False)
    return c.config("internal/external requests: x-envoy-internal, timeout header, require_tls EXTERNAL_ONLY", ls,
                    backend_clusters("c-a"))


# ---------------------------------------------------------------------------------------------------
def _template(match_tpl: str) -> Json:
    return {"path_match_policy": {"name": "envoy.path.match.uri_template.uri_template_matcher",
                                  "typed_config": {"@type": T_TEMPLATE_MATCH, "path_template": match_tpl}}}


def _rewrite(rewrite_tpl: str) -> Json:
    return {"path_rewrite_policy": {"name": "envoy.path.rewrite.uri_template.uri_template_rewriter",
                                    "typed_config": {"@type": T_TEMPLATE_REWRITE,
                                                     "path_template_rewrite": rewrite_tpl}}}


@_config
def rewrites(c: Ctx) -> LabConfig:
    """Every rewrite kind, observed by the backend: prefix_rewrite (prefix, path, path_separated_prefix,
    case-insensitive prefix), regex_rewrite, URI templates (match and rewrite), host_rewrite_literal,
    host_rewrite_header, host_rewrite_path_regex, append_x_forwarded_host."""
    L = c.log
    regex = {"pattern": {"regex": "^/re/([a-z]+)/([0-9]+)$"}, "substitution": "/num/\\2/name/\\1"}
    host_regex = {"pattern": {"regex": "^/hostre/([a-z]+)/.*$"}, "substitution": "\\1.rewritten.example"}
    routes = [
        route("rw-tpl", _template("/books/{id}/reviews/{rid}"),
              route={"cluster": "c-a", **_rewrite("/r/{rid}/b/{id}")}),
        route("rw-tpl-glob", _template("/static/{rest=**}"), route={"cluster": "c-a", **_rewrite("/s/{rest}")}),
        route("rw-tpl-star", _template("/v/*/{name}"), route={"cluster": "c-a"}),
        route("rw-prefix", match(prefix="/old/"), route={"cluster": "c-a", "prefix_rewrite": "/new/"}),
        route("rw-prefix-root", match(prefix="/strip"), route={"cluster": "c-a", "prefix_rewrite": "/"}),
        route("rw-path", match(path="/exact"), route={"cluster": "c-a", "prefix_rewrite": "/replaced"}),
        route("rw-sep", match(sep="/sep"), route={"cluster": "c-a", "prefix_rewrite": "/separated"}),
        route("rw-case", match(prefix="/CASE/", case_sensitive=False), route={"cluster": "c-a",
                                                                              "prefix_rewrite": "/lower/"}),
        route("rw-regex", match(regex="/re/[a-z]+/[0-9]+"), route={"cluster": "c-a", "regex_rewrite": regex}),
        route("rw-host-lit", match(prefix="/hostlit"), route={"cluster": "c-a",
                                                              "host_rewrite_literal": "literal.example"}),
        route("rw-host-xfh", match(prefix="/hostxfh"), route={"cluster": "c-a", "host_rewrite_literal": "x.example",
                                                              "append_x_forwarded_host": True}),
        route("rw-host-hdr", match(prefix="/hosthdr"), route={"cluster": "c-a", "host_rewrite_header": "x-lab-host"}),
        route("rw-host-re", match(prefix="/hostre/"), route={"cluster": "c-a", "host_rewrite_path_regex": host_regex}),
        route("rw-none", match(prefix="/"), route={"cluster": "c-a"}),
    ]
    rc = route_config("rc-rw", [vhost("vh-rw", ["*"], routes)])
    ls = [listener("rw", "127.0.0.1", 8220, [chain("ch-rw", [hcm("rw", L, route_config=rc)])], L)]
    paths = ["/books/12/reviews/7", "/books/12/reviews/7?x=1", "/books/12/reviews", "/static/a/b/c.js", "/static",
             "/v/any/thing", "/old/x/y?q=1", "/old/", "/strip/me", "/strip", "/exact", "/exact?k=v", "/sep",
             "/sep/more", "/separate", "/case/Mixed", "/Case/x", "/re/abc/42", "/re/abc/42?z=9", "/re/ABC/42",
             "/hostlit/p", "/hostxfh/p", "/hosthdr/p", "/hostre/zed/p", "/hostre/ZED/p", "/other"]
    for path in paths:
        c.probe("127.0.0.1:8220", "h.example:8220", path, versions=("1.1", "2"),
                headers={"x-lab-host": "from-header.example"} if path.startswith("/hosthdr") else {})
    c.probe("127.0.0.1:8220", "h.example", "/hosthdr/p")  # no x-lab-host: the Host stays
    return c.config("rewrites seen by the backend", ls, backend_clusters("c-a"))


# ---------------------------------------------------------------------------------------------------
@_config
def header_mutations(c: Ctx) -> LabConfig:
    """Request and response header mutations at the route configuration, virtual host, route and weighted
    cluster levels, in Envoy's order, with every append action, removals, formatters, and
    most_specific_header_mutations_wins; a direct response's body and headers."""
    L = c.log

    def rc(tag: str, most_specific: bool) -> Json:
        route_level = {
            "request_headers_to_add": [
                _add("x-lab-order", f"route-{tag}", "OVERWRITE_IF_EXISTS_OR_ADD"),
                _add("x-lab-app", "route"), _add("x-lab-absent", "route", "ADD_IF_ABSENT"),
                _add("x-lab-overwrite-only", "route", "OVERWRITE_IF_EXISTS"),
                _add("x-lab-echo", "%REQ(x-lab-in)%"), _add("x-lab-proto", "%PROTOCOL%"),
                _add("x-lab-peer", "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%"),
                _add("x-lab-pct", "100%% sure"), _add("x-lab-empty", ""),
                _add("x-lab-when", "%START_TIME%"),
            ],
            "request_headers_to_remove": ["x-lab-drop"],
            "response_headers_to_add": [_add("x-lab-resp", f"route-{tag}", "OVERWRITE_IF_EXISTS_OR_ADD")],
            "response_headers_to_remove": ["x-lab-upstream"],
        }
        routes = [
            {**route(f"{tag}-w", match(prefix="/w"), route={"weighted_clusters": {"clusters": [
                {"name": "c-a", "weight": 100, "request_headers_to_add": [_add("x-lab-wc", "wc-a")],
                 "response_headers_to_add": [_add("x-lab-wc-resp", "wc-a")]},
                {"name": "c-b", "weight": 0}]}}), **route_level},
            {**_dr(f"{tag}-dr", match(prefix="/dr")), "direct_response": {"status": 201, "body": {
                "inline_string": "made here"}}, "response_headers_to_add": [_add("x-lab-dr", "yes")]},
            {**route(f"{tag}-up", match(prefix="/"), cluster="c-a"), **route_level},
        ]
        vh = vhost(f"{tag}-vh", ["*"], routes,
                   request_headers_to_add=[_add("x-lab-order", f"vhost-{tag}", "OVERWRITE_IF_EXISTS_OR_ADD"),
                                           _add("x-lab-app", "vhost")],
                   response_headers_to_add=[_add("x-lab-resp", f"vhost-{tag}", "OVERWRITE_IF_EXISTS_OR_ADD")])
        return route_config(
            f"rc-{tag}", [vh], most_specific_header_mutations_wins=most_specific,
            request_headers_to_add=[_add("x-lab-order", f"config-{tag}", "OVERWRITE_IF_EXISTS_OR_ADD"),
                                    _add("x-lab-app", "config")],
            response_headers_to_add=[_add("x-lab-resp", f"config-{tag}", "OVERWRITE_IF_EXISTS_OR_ADD")])

    ls = [listener(tag, "127.0.0.1", port, [chain(f"ch-{tag}", [hcm(tag, L, route_config=rc(tag, ms))])], L)
          for tag, port, ms in (("least", 8230, False), ("most", 8231, True))]
    for port in (8230, 8231):
        for path in ("/", "/w", "/dr"):
            c.probe(f"127.0.0.1:{port}", "h.example", path, versions=VERSIONS,
                    headers={"x-lab-in": "hello", "x-lab-drop": "gone", "x-lab-absent": "client",
                             "x-lab-overwrite-only": "client"})
            c.probe(f"127.0.0.1:{port}", "h.example", path, headers={"x-lab-app": "client"})
    return c.config("header mutations seen by backend and client", ls, backend_clusters("c-a", "c-b"))


# ---------------------------------------------------------------------------------------------------
@_config
def timeouts_runtime_weighted(c: Ctx) -> LabConfig:
    """Route timeouts (a slow backend gets 504 UT, the default 15 s, 0 s for none) seen by the backend as
    x-envoy-expected-rq-timeout-ms; runtime fractions at 0% and 100%; weighted clusters picked by a
    header's value (header_name) and by 0/100 weights."""
    L = c.log
    by_header = {"weighted_clusters": {"header_name": "x-lab-pick", "clusters": [
        {"name": "c-a", "weight": 30}, {"name": "c-b", "weight": 70}]}}
    routes = [
        route("t-short", match(prefix="/short"), route={"cluster": "c-a", "timeout": "0.3s"}),
        route("t-none", match(prefix="/none"), route={"cluster": "c-a", "timeout": "0s"}),
        route("t-default", match(prefix="/default"), cluster="c-a"),
        {**route("rt-zero", match(prefix="/rt"), cluster="c-b"),
         "match": {"prefix": "/rt", "runtime_fraction": {"default_value": {"numerator": 0},
                                                         "runtime_key": "lab.zero"}}},
        {**route("rt-full", match(prefix="/rt"), cluster="c-a"),
         "match": {"prefix": "/rt", "runtime_fraction": {"default_value": {"numerator": 100},
                                                         "runtime_key": "lab.full"}}},
        route("w-header", match(prefix="/wh"), route=by_header),
        route("w-fixed", match(prefix="/wf"), weighted=[("c-a", 0), ("c-b", 100)]),
        route("fallback", match(prefix="/"), cluster="c-a"),
    ]
    rc = route_config("rc-trw", [vhost("vh-trw", ["*"], routes)])
    ls = [listener("trw", "127.0.0.1", 8240, [chain("ch-trw", [hcm("trw", L, route_config=rc)])], L)]
    for path, delay in (("/short", 800), ("/short", 50), ("/none", 50), ("/default", 50)):
        c.probe("127.0.0.1:8240", "h.example", path, headers={"x-lab-delay-ms": str(delay)}, router_check=False)
    for path in ("/rt", "/wf"):
        c.probe("127.0.0.1:8240", "h.example", path, versions=VERSIONS, router_check=path != "/rt")
    for pick in ("0", "29", "30", "99", "100", "129", "130", "1000001"):
        c.probe("127.0.0.1:8240", "h.example", "/wh", headers={"x-lab-pick": pick})
    return c.config("timeouts, runtime fractions, weighted clusters", ls, backend_clusters("c-a", "c-b"))


# ---------------------------------------------------------------------------------------------------
def _self_signed() -> tuple[str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "lab.example")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("*.example")]), critical=False)
            .sign(key, hashes.SHA256()))
    pem_key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return cert.public_bytes(serialization.Encoding.PEM).decode(), pem_key


@_config
def tls_sni(c: Ctx) -> LabConfig:
    """TLS filter chains by SNI (exact, wildcard), ALPN (h2) and transport protocol (plaintext beside TLS),
    a TLS client no chain accepts, and require_tls: a request over TLS is https, a plaintext one is
    redirected."""
    L = c.log
    cert, key = _self_signed()

    def tls(alpn: list[str]) -> Json:
        return {"name": "envoy.transport_sockets.tls", "typed_config": {"@type": T_TLS, "common_tls_context": {
            "tls_certificates": [{"certificate_chain": {"inline_string": cert}, "private_key": {"inline_string": key}}],
            "alpn_protocols": alpn}}}

    def rc(tag: str) -> Json:
        return route_config(f"rc-{tag}", [
            vhost(f"{tag}-secure", ["secure.example", "secure.example:*"], [_dr(f"{tag}-secure", match(prefix="/"))],
                  require_tls="ALL"),
            vhost(f"{tag}-any", ["*"], [
                _dr(f"{tag}-https", match(prefix="/", headers=[headers_match("x-forwarded-proto", exact="https")])),
                _dr(f"{tag}-http", match(prefix="/"))]),
        ])

    def tls_chain(name: str, fcm: Json, alpn: list[str]) -> Json:
        out = chain(name, [hcm(name, L, route_config=rc(name))], fcm)
        out["transport_socket"] = tls(alpn)
        return out

    chains = [
        tls_chain("sni-exact", {"server_names": ["a.example"], "transport_protocol": "tls"}, ["h2", "http/1.1"]),
        tls_chain("sni-wild", {"server_names": ["*.wild.example"], "transport_protocol": "tls"}, ["http/1.1"]),
        tls_chain("alpn-h2", {"transport_protocol": "tls", "application_protocols": ["h2"]}, ["h2"]),
        tls_chain("tls-any", {"transport_protocol": "tls"}, ["http/1.1"]),
        chain("plain", [hcm("plain", L, route_config=rc("plain"))], {"transport_protocol": "raw_buffer"}),
    ]
    ls = [listener("tls", "127.0.0.1", 8250, chains, L, listener_filters=["tls_inspector"])]
    for sni, versions in (("a.example", ("1.1", "2")), ("x.wild.example", ("1.1",)), ("other.example", ("1.1", "2")),
                          (None, ("1.1",))):
        for v in versions:
            alpn = ["h2"] if v == "2" else ["http/1.1"]
            for host in ("secure.example", "h.example"):
                c.probe("127.0.0.1:8250", host, "/p", versions=(v,), tls=True, sni=sni, alpn=alpn)
    c.probe("127.0.0.1:8250", "secure.example", "/p", versions=("1.1", "2"))
    c.probe("127.0.0.1:8250", "h.example", "/p", versions=("1.1", "2"))
    only_tls = [tls_chain("only-a", {"server_names": ["a.example"]}, ["http/1.1"])]
    ls.append(listener("tls-only", "127.0.0.1", 8251, only_tls, L, listener_filters=["tls_inspector"]))
    c.probe("127.0.0.1:8251", "h.example", "/p", tls=True, sni="b.example", alpn=["http/1.1"])
    c.probe("127.0.0.1:8251", "h.example", "/p", tls=True, sni="a.example", alpn=["http/1.1"])
    return c.config("TLS chains by SNI, ALPN and transport protocol; require_tls", ls, backend_clusters("c-a"))
