"""The lab's configurations, each with the probes (requests) to send to it.

Every route has a unique ``name`` within its configuration, every filter chain too, so Envoy's access log
(``%ROUTE_NAME%``, ``%FILTER_CHAIN_NAME%``) says exactly which one matched. A probe's ``expect`` records
what the configuration is meant to show (see ``model.Probe``); Envoy's log stays the truth.

Addresses: every configuration runs in a network namespace of its own where all of 127/8 is local, so
listeners bind 127.0.0.x freely; the backend is 127.0.0.1:18080.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from envoy_lab.envoy_json import (
    T_CLA,
    T_ROUTE_CONFIG,
    Json,
    bootstrap,
    chain,
    discovery_file,
    eds_cluster,
    hcm,
    headers_match,
    lb_endpoint,
    listener,
    load_assignment,
    match,
    query_match,
    route,
    route_config,
    static_cluster,
    tcp_proxy,
    vhost,
)
from envoy_lab.model import LabConfig, Probe

BACKEND = ("127.0.0.1", 18080)
DEAD = ("127.0.0.1", 1)  # nothing listens there: connections are refused
ADMIN_PORT = 15000
VERSIONS = ("1.0", "1.1", "2")


@dataclass
class Ctx:
    """What a configuration builder gets: its name, work directory, access-log path; collects probes."""

    name: str
    work: str
    log: str
    probes: list[Probe] = field(default_factory=list)
    files: dict[str, Json] = field(default_factory=dict)

    def probe(self, connect: str, authority: str | None = "svc.example", path: str = "/", *,
              expect: str | None = None, versions: Iterable[str] = ("1.1",), **kw: Any) -> None:
        for v in versions:
            n = len(self.probes) + 1
            extra = dict(kw)
            if extra.get("proxy_src") == "auto":  # a PROXY-protocol source address of its own
                extra["proxy_src"] = f"127.0.0.1:{50000 + n}"
            self.probes.append(Probe(id=f"{self.name}-{n:03d}", connect=connect, authority=authority, path=path,
                                     http_version=v, expect=expect, **extra))

    def rds_file(self, rc: Json) -> tuple[str, str]:
        """Serve route configuration ``rc`` from a file; returns ``(name, path)`` for ``hcm(rds=...)``."""
        path = f"{self.work}/rds-{rc['name']}.json"
        self.files[path] = discovery_file([rc], T_ROUTE_CONFIG)
        return rc["name"], path

    def eds_file(self, cluster: str, endpoints: list[Json]) -> str:
        path = f"{self.work}/eds-{cluster.replace('|', '_')}.json"
        self.files[path] = discovery_file([load_assignment(cluster, endpoints)], T_CLA)
        return path

    def config(self, description: str, listeners: list[Json], clusters: list[Json], **kw: Any) -> LabConfig:
        return LabConfig(name=self.name, description=description,
                         bootstrap=bootstrap(listeners, clusters, ADMIN_PORT, f"envoy-lab~{self.name}"),
                         probes=self.probes, files=self.files, **kw)


_BUILDERS: dict[str, Callable[[Ctx], LabConfig]] = {}


def _config(fn: Callable[[Ctx], LabConfig]) -> Callable[[Ctx], LabConfig]:
    _BUILDERS[fn.__name__] = fn
    return fn


def names() -> list[str]:
    return list(_BUILDERS)


def build(name: str, work: str, log_path: str) -> LabConfig:
    return _BUILDERS[name](Ctx(name=name, work=work, log=log_path))


def backend_clusters(*names: str) -> list[Json]:
    return [static_cluster(n, [BACKEND]) for n in names]


def one_route_hcm(c: Ctx, route_name: str, cluster: str = "c-a", **hcm_extra: Any) -> Json:
    """An HCM whose inline route config sends everything to ``cluster`` via route ``route_name``."""
    rc = route_config(f"rc-{route_name}", [vhost(f"vh-{route_name}", ["*"], [
        route(route_name, match(prefix="/"), cluster=cluster)])])
    return hcm(route_name, c.log, route_config=rc, **hcm_extra)


# ---------------------------------------------------------------------------------------------------
@_config
def listeners(c: Ctx) -> LabConfig:
    """Listener selection by destination: exact IP:port beats 0.0.0.0:port; additional_addresses; no
    listener on the port (connection refused); a TCP proxy listener."""
    L = c.log
    ls = [
        listener("127.0.0.2_8080", "127.0.0.2", 8080, [chain("ch-l2-8080", [one_route_hcm(c, "l2-8080")])], L),
        listener("0.0.0.0_8080", "0.0.0.0", 8080, [chain("ch-any-8080", [one_route_hcm(c, "any-8080", "c-b")])], L),
        listener("127.0.0.3_8081", "127.0.0.3", 8081, [chain("ch-l3-8081", [one_route_hcm(c, "l3-8081")])], L),
        listener("127.0.0.4_9090", "127.0.0.4", 9090, [chain("ch-l4-9090", [one_route_hcm(c, "l4-9090", "c-b")])],
                 L),
        listener("127.0.0.6_7000", "127.0.0.6", 7000, [chain("ch-tcp-7000", [tcp_proxy("t7000", L, "c-tcp")])], L),
        listener("multi", "127.0.0.7", 7100, [
            chain("ch-m7100", [one_route_hcm(c, "m-7100")], {"destination_port": 7100}),
            chain("ch-m7101", [one_route_hcm(c, "m-7101", "c-b")], {"destination_port": 7101}),
        ], L, additional=[("127.0.0.8", 7101)]),
    ]
    for connect, exp in [("127.0.0.2:8080", "l2-8080"), ("127.0.0.1:8080", "any-8080"),
                         ("127.0.0.9:8080", "any-8080"), ("127.0.0.3:8081", "l3-8081"),
                         ("127.0.0.4:9090", "l4-9090"), ("127.0.0.6:7000", "TCP:c-tcp"),
                         ("127.0.0.7:7100", "m-7100"), ("127.0.0.8:7101", "m-7101")]:
        c.probe(connect, "svc.example", "/", expect=exp, versions=VERSIONS)
        c.probe(connect, "other.example:8080", "/a/b?c=d", expect=exp)
    for connect in ["127.7.7.7:8081", "127.0.0.5:9090", "127.0.0.7:7101", "127.0.0.8:7100", "127.0.0.1:8082"]:
        c.probe(connect, expect="NOLISTENER")
    return c.config("listener selection by destination address", ls, backend_clusters("c-a", "c-b", "c-tcp"))


# ---------------------------------------------------------------------------------------------------
@_config
def filter_chains(c: Ctx) -> LabConfig:
    """Filter-chain match: destination_port, prefix_ranges, application_protocols (http_inspector),
    transport_protocol, source_prefix_ranges, source_ports, source_type, direct_source_prefix_ranges;
    default_filter_chain; no matching chain (connection closed)."""
    L = c.log
    specs: list[tuple[str, Json]] = [
        ("fc-any", {}),
        ("fc-port9001", {"destination_port": 9001}),
        ("fc-port9001-h2c", {"destination_port": 9001, "application_protocols": ["h2c"]}),
        ("fc-ip16", {"prefix_ranges": [{"address_prefix": "127.1.0.0", "prefix_len": 16}]}),
        ("fc-ip32", {"prefix_ranges": [{"address_prefix": "127.1.2.3", "prefix_len": 32}]}),
        ("fc-port9002-ip16", {"destination_port": 9002,
                              "prefix_ranges": [{"address_prefix": "127.1.0.0", "prefix_len": 16}]}),
        ("fc-alpn10", {"destination_port": 9003, "application_protocols": ["http/1.0"]}),
        ("fc-alpn11", {"destination_port": 9003, "application_protocols": ["http/1.1"]}),
        ("fc-alpnh2c", {"destination_port": 9003, "application_protocols": ["h2c"]}),
        ("fc-src16", {"destination_port": 9004,
                      "source_prefix_ranges": [{"address_prefix": "127.5.0.0", "prefix_len": 16}]}),
        ("fc-srcport", {"destination_port": 9004, "source_ports": [45001]}),
        ("fc-src16-port", {"destination_port": 9004, "source_ports": [45002],
                           "source_prefix_ranges": [{"address_prefix": "127.5.0.0", "prefix_len": 16}]}),
        ("fc-srctype-local", {"destination_port": 9005, "source_type": "SAME_IP_OR_LOOPBACK"}),
        ("fc-direct-src", {"destination_port": 9006,
                           "direct_source_prefix_ranges": [{"address_prefix": "127.6.0.0", "prefix_len": 16}]}),
        ("fc-raw", {"destination_port": 9007, "transport_protocol": "raw_buffer"}),
        ("fc-port9008-h2c", {"destination_port": 9008, "application_protocols": ["h2c"]}),
    ]
    main = listener("fcm", "0.0.0.0", 9000, [chain(n, [one_route_hcm(c, f"r-{n}")], m) for n, m in specs], L,
                    listener_filters=["http_inspector"], additional=[("0.0.0.0", p) for p in range(9001, 9009)])
    nochain = listener("nochain", "127.0.0.1", 9100, [
        chain("fc-nc-h2c", [one_route_hcm(c, "r-fc-nc-h2c")], {"application_protocols": ["h2c"]})],
        L, listener_filters=["http_inspector"])
    withdefault = listener("withdefault", "127.0.0.1", 9200, [
        chain("fc-wd-h2c", [one_route_hcm(c, "r-fc-wd-h2c")], {"application_protocols": ["h2c"]})],
        L, listener_filters=["http_inspector"],
        default_chain=chain("fc-wd-default", [one_route_hcm(c, "r-fc-wd-default")]))
    tcpdefault = listener("tcpdefault", "127.0.0.1", 9300, [
        chain("fc-td-http", [one_route_hcm(c, "r-fc-td-http")], {"application_protocols": ["http/1.1", "http/1.0"]})],
        L, listener_filters=["http_inspector"], default_chain=chain("fc-td-tcp", [tcp_proxy("td", L, "c-tcp")]))

    p = c.probe
    p("127.0.0.1:9000", expect="r-fc-any", versions=VERSIONS)
    p("127.0.0.1:9001", expect="r-fc-port9001", versions=("1.0", "1.1"))
    p("127.0.0.1:9001", expect="r-fc-port9001-h2c", versions=("2",))
    p("127.1.0.1:9001", expect="r-fc-port9001", note="port level narrows before IP level")
    p("127.1.0.1:9000", expect="r-fc-ip16", versions=VERSIONS)
    p("127.1.2.3:9000", expect="r-fc-ip32", versions=VERSIONS)
    p("127.1.2.4:9000", expect="r-fc-ip16")
    p("127.2.0.1:9000", expect="r-fc-any")
    p("127.1.0.1:9002", expect="r-fc-port9002-ip16", versions=VERSIONS)
    p("127.1.2.3:9002", expect="r-fc-port9002-ip16", note="the /32 chain is for any port, the port level wins")
    p("127.0.0.1:9002", expect="NOCHAIN", versions=("1.1", "2"), note="no fallback from port 9002 to any port")
    p("127.0.0.1:9003", expect="r-fc-alpn10", versions=("1.0",))
    p("127.0.0.1:9003", expect="r-fc-alpn11", versions=("1.1",))
    p("127.0.0.1:9003", expect="r-fc-alpnh2c", versions=("2",))
    p("127.1.0.9:9003", expect="r-fc-alpn11")
    p("127.0.0.1:9004", expect="r-fc-src16", src_ip="127.5.0.1")
    p("127.0.0.1:9004", expect="r-fc-src16", src_ip="127.5.0.2", versions=("2",))
    p("127.0.0.1:9004", expect="r-fc-srcport", src_ip="127.0.0.1", src_port=45001)
    p("127.0.0.1:9004", expect="r-fc-src16-port", src_ip="127.5.0.1", src_port=45002)
    p("127.0.0.1:9004", expect="r-fc-src16", src_ip="127.5.0.3", src_port=45001,
      note="source IP narrows before source port")
    p("127.0.0.1:9004", expect="NOCHAIN", src_ip="127.0.0.1", note="source port not 45001, no any-port chain")
    p("127.0.0.1:9005", expect="r-fc-srctype-local", versions=VERSIONS)
    p("127.0.0.5:9005", expect="r-fc-srctype-local", src_ip="127.0.0.5", note="same IP as the destination")
    p("127.0.0.1:9005", expect="NOCHAIN", src_ip="127.9.9.9", note="loopback means 127.0.0.1 exactly")
    p("127.0.0.1:9005", expect="NOCHAIN", src_ip="127.0.0.2", versions=("2",))
    p("127.0.0.7:9005", expect="r-fc-srctype-local", src_ip="127.0.0.1")
    p("127.0.0.1:9006", expect="r-fc-direct-src", src_ip="127.6.1.1")
    p("127.0.0.1:9006", expect="NOCHAIN", src_ip="127.0.0.1")
    p("127.0.0.1:9007", expect="r-fc-raw", versions=VERSIONS)
    p("127.0.0.1:9008", expect="r-fc-port9008-h2c", versions=("2",))
    p("127.0.0.1:9008", expect="NOCHAIN", versions=("1.0", "1.1"))
    p("127.0.0.1:9100", expect="r-fc-nc-h2c", versions=("2",))
    p("127.0.0.1:9100", expect="NOCHAIN", versions=("1.0", "1.1"))
    p("127.0.0.1:9200", expect="r-fc-wd-h2c", versions=("2",))
    p("127.0.0.1:9200", expect="r-fc-wd-default", versions=("1.0", "1.1"))
    p("127.0.0.1:9300", expect="r-fc-td-http", versions=("1.0", "1.1"))
    p("127.0.0.1:9300", expect="TCP:c-tcp", versions=("2",))
    return c.config("filter-chain matching", [main, nochain, withdefault, tcpdefault],
                    backend_clusters("c-a", "c-tcp"))


# ---------------------------------------------------------------------------------------------------
@_config
def vhost_domains(c: Ctx) -> LabConfig:
    """Virtual-host selection: exact, *.suffix, *-suffix, prefix.*, *, longest wildcard wins, suffix
    before prefix, case-insensitivity, Host ports matched literally."""
    L = c.log

    def vh(name: str, domains: list[str]) -> Json:
        return vhost(name, domains, [route(f"d-{name}", match(prefix="/"), cluster="c-a")])

    rc = route_config("rc-domains", [
        vh("exact", ["exact.example.com"]),
        vh("exact-port", ["exact.example.com:8000"]),
        vh("star-example", ["*.example.com"]),
        vh("star-dash", ["*-api.example.com"]),
        vh("star-a", ["*.a.example.com"]),
        vh("prefix-foo", ["foo.*"]),
        vh("prefix-foobar", ["foo.bar.*"]),
        vh("mixed", ["MiXeD.Example.ORG"]),
        vh("port-only", ["ported.example.net:8000"]),
        vh("multi", ["one.test", "two.test", "*.multi.test"]),
        vh("catchall", ["*"]),
    ])
    rc_nowild = route_config("rc-nowild", [
        vh("nw-only", ["only.example"]),
        vh("nw-wild", ["*.wild.example"]),
    ])
    rc_portwild = route_config("rc-portwild", [
        vh("pw-suffix-port", ["*.example.com:8002"]),
        vh("pw-exact", ["a.example.com"]),
        vh("pw-prefix-port", ["svc.*"]),
    ])
    ls = [
        listener("domains", "127.0.0.1", 8000, [chain("ch-domains", [hcm("domains", L, route_config=rc)])], L),
        listener("nowild", "127.0.0.1", 8001, [chain("ch-nowild", [hcm("nowild", L, route_config=rc_nowild)])], L),
        listener("portwild", "127.0.0.1", 8002, [chain("ch-portwild", [hcm("pw", L, route_config=rc_portwild)])], L),
    ]
    cases = [
        ("exact.example.com", "d-exact"), ("EXACT.Example.COM", "d-exact"),
        ("exact.example.com:8000", "d-exact-port"), ("exact.example.com:9", "d-catchall"),
        ("x.example.com", "d-star-example"), ("b.a.example.com", "d-star-a"), ("a.example.com", "d-star-example"),
        ("my-api.example.com", "d-star-dash"), ("-api.example.com", "d-star-example"),
        ("x.my-api.example.com", "d-star-dash"), ("foo.com", "d-prefix-foo"), ("foo.", "d-catchall"),
        ("foo.bar.baz", "d-prefix-foobar"), ("foo.bar.example.com", "d-star-example"),
        ("FOO.Bar.Com", "d-prefix-foobar"), ("foo.example.com:8000", "d-prefix-foo"),
        ("mixed.example.org", "d-mixed"), ("MIXED.EXAMPLE.ORG", "d-mixed"),
        ("ported.example.net", "d-catchall"), ("ported.example.net:8000", "d-port-only"),
        ("PORTED.example.net:8000", "d-port-only"), ("example.com", "d-catchall"), ("one.test", "d-multi"),
        ("two.test:8000", "d-catchall"), ("z.multi.test", "d-multi"), ("multi.test", "d-catchall"),
        ("127.0.0.1:8000", "d-catchall"), ("127.0.0.1", "d-catchall"), ("exact.example.com.", "d-catchall"),
        ("x.example.com:8000", "d-catchall"),
    ]
    for host, exp in cases:
        c.probe("127.0.0.1:8000", host, "/", expect=exp)
    for host, exp in [("exact.example.com", "d-exact"), ("x.example.com", "d-star-example"),
                      ("foo.bar.baz", "d-prefix-foobar"), ("EXACT.example.com:8000", "d-exact-port")]:
        c.probe("127.0.0.1:8000", host, "/v", expect=exp, versions=("1.0", "2"))
    for host, exp in [("only.example", "d-nw-only"), ("ONLY.example", "d-nw-only"), ("only.example:8001", "NR"),
                      ("other.example", "NR"), ("x.wild.example", "d-nw-wild"), ("wild.example", "NR"),
                      ("x.wild.example:8001", "NR")]:
        c.probe("127.0.0.1:8001", host, "/", expect=exp, versions=("1.1", "2"))
    for host, exp in [("a.example.com:8002", "d-pw-suffix-port"), ("b.example.com:8002", "d-pw-suffix-port"),
                      ("b.example.com", "NR"), ("a.example.com", "d-pw-exact"), ("svc.x:8002", "d-pw-prefix-port"),
                      ("a.example.com:9", "NR")]:
        c.probe("127.0.0.1:8002", host, "/", expect=exp)
    return c.config("virtual-host domain matching", ls, backend_clusters("c-a"))


# ---------------------------------------------------------------------------------------------------
@_config
def vhost_ports(c: Ctx) -> LabConfig:
    """Host ports: ignore_port_in_host_matching (route config), strip_matching_host_port and
    strip_any_host_port (HCM), and literal matching without either."""
    L = c.log

    def vh(name: str, domains: list[str]) -> Json:
        return vhost(name, domains, [route(f"vp-{name}", match(prefix="/"), cluster="c-a")])

    rc_ignore = route_config("rc-ignore", [vh("a-svc", ["svc.example"]), vh("a-other", ["other.example:9999"]),
                                           vh("a-wild", ["*.wild.example"])], ignore_port_in_host_matching=True)
    rc_b = route_config("rc-strip-matching", [vh("b-svc", ["svc.example"]), vh("b-svc9999", ["svc.example:9999"]),
                                              vh("b-svc8081", ["svc.example:8081"])])
    rc_c = route_config("rc-strip-any", [vh("c-svc", ["svc.example"]), vh("c-svc9999", ["svc.example:9999"])])
    rc_d = route_config("rc-literal", [vh("d-svc", ["svc.example"]), vh("d-svc8083", ["svc.example:8083"]),
                                       vh("d-any", ["*"])])
    ls = [
        listener("ignore", "127.0.0.1", 8080, [chain("ch-ignore", [hcm("ign", L, route_config=rc_ignore)])], L),
        listener("strip-matching", "127.0.0.1", 8081, [chain("ch-strip-matching", [
            hcm("sm", L, route_config=rc_b, strip_matching_host_port=True)])], L),
        listener("strip-any", "127.0.0.1", 8082, [chain("ch-strip-any", [
            hcm("sa", L, route_config=rc_c, strip_any_host_port=True)])], L),
        listener("literal", "127.0.0.1", 8083, [chain("ch-literal", [hcm("lit", L, route_config=rc_d)])], L),
    ]
    table = {
        "127.0.0.1:8080": [("svc.example", "vp-a-svc"), ("svc.example:8080", "vp-a-svc"),
                           ("svc.example:1234", "vp-a-svc"), ("SVC.example:1", "vp-a-svc"),
                           ("other.example:9999", "NR"), ("other.example", "NR"),
                           ("a.wild.example:77", "vp-a-wild"), ("a.wild.example", "vp-a-wild"), ("nope.example", "NR")],
        "127.0.0.1:8081": [("svc.example:8081", "vp-b-svc"), ("svc.example:9999", "vp-b-svc9999"),
                           ("svc.example", "vp-b-svc"), ("svc.example:1", "NR"), ("SVC.EXAMPLE:8081", "vp-b-svc")],
        "127.0.0.1:8082": [("svc.example:9999", "vp-c-svc"), ("svc.example:8082", "vp-c-svc"),
                           ("svc.example", "vp-c-svc"), ("svc.example:1", "vp-c-svc"), ("x.example:1", "NR")],
        "127.0.0.1:8083": [("svc.example:8083", "vp-d-svc8083"), ("svc.example", "vp-d-svc"),
                           ("svc.example:9", "vp-d-any"), ("Svc.Example:8083", "vp-d-svc8083")],
    }
    for connect, cases in table.items():
        for host, exp in cases:
            c.probe(connect, host, "/p", expect=exp, versions=("1.1", "2"))
        c.probe(connect, cases[0][0], "/p", expect=cases[0][1], versions=("1.0",))
    return c.config("Host header ports vs virtual-host domains", ls, backend_clusters("c-a"))


# ---------------------------------------------------------------------------------------------------
@_config
def route_paths(c: Ctx) -> LabConfig:
    """Path matching, served by RDS from a file: prefix, path, safe_regex (full match),
    path_separated_prefix, case_sensitive false, query strings ignored, first match wins, no route."""
    L = c.log
    rc = route_config("paths", [
        vhost("vh-paths", ["*"], [
            route("p-exact", match(path="/exact"), cluster="c-a"),
            route("p-exact-ci", match(path="/CaseLess", case_sensitive=False), cluster="c-a"),
            route("p-api-v1", match(prefix="/api/v1/"), cluster="c-a"),
            route("p-api", match(prefix="/api"), cluster="c-a"),
            route("p-shadowed", match(prefix="/api/v1/special"), cluster="c-a"),
            route("p-regex", match(regex="/items/[0-9]+"), cluster="c-a"),
            route("p-regex-ci", match(regex="/Rx/[a-z]+", case_sensitive=False), cluster="c-a"),
            route("p-sep", match(sep="/sep"), cluster="c-a"),
            route("p-prefix-ci", match(prefix="/Upper", case_sensitive=False), cluster="c-a"),
            route("p-root", match(prefix="/"), cluster="c-a"),
        ]),
        vhost("vh-strict", ["strict.example"], [
            route("s-only", match(path="/only"), cluster="c-a"),
            route("s-sep", match(sep="/s"), cluster="c-a"),
        ]),
    ])
    ls = [listener("paths", "127.0.0.1", 8000, [chain("ch-paths", [hcm("paths", L, rds=c.rds_file(rc))])], L)]
    cases = [
        ("/exact", "p-exact"), ("/exact?x=1", "p-exact"), ("/exact/", "p-root"), ("/EXACT", "p-root"),
        ("/exactly", "p-root"), ("/caseless", "p-exact-ci"), ("/CASELESS?q", "p-exact-ci"),
        ("/caseless/x", "p-root"), ("/api/v1/x", "p-api-v1"), ("/api/v1", "p-api"), ("/apix", "p-api"),
        ("/api/v1/special", "p-api-v1"), ("/API/v1/x", "p-root"), ("/items/123", "p-regex"),
        ("/items/123/x", "p-root"), ("/items/abc", "p-root"), ("/items/12?q=1", "p-regex"),
        ("/xitems/12", "p-root"), ("/Rx/abc", "p-regex-ci"),
        # case_sensitive: false does not apply to safe_regex
        ("/rx/abc", "p-root"), ("/RX/ABC", "p-root"),
        ("/sep", "p-sep"), ("/sep/x", "p-sep"), ("/sep/", "p-sep"), ("/sepx", "p-root"), ("/sep?x=1", "p-sep"),
        ("/SEP/x", "p-root"), ("/upper/x", "p-prefix-ci"), ("/UPPERCASE", "p-prefix-ci"), ("/", "p-root"),
        ("//exact", "p-root"), ("/exact/../exact", "p-root"), ("/ex%61ct", "p-root"), ("/api%2Fv1/x", "p-api"),
    ]
    for path, exp in cases:
        c.probe("127.0.0.1:8000", "any.example", path, expect=exp)
    for path, exp in [("/exact", "p-exact"), ("/sep/x", "p-sep"), ("/items/7", "p-regex"), ("/api/v1/", "p-api-v1")]:
        c.probe("127.0.0.1:8000", "any.example", path, expect=exp, versions=("1.0", "2"))
    for path, exp in [("/only", "s-only"), ("/only?x=1", "s-only"), ("/other", "NR"), ("/s", "s-sep"),
                      ("/s/", "s-sep"), ("/s/x", "s-sep"), ("/sx", "NR"), ("/S", "NR"), ("/only/", "NR")]:
        c.probe("127.0.0.1:8000", "strict.example", path, expect=exp, versions=("1.1", "2"))
    return c.config("route path matching (RDS from a file)", ls, backend_clusters("c-a"))


# ---------------------------------------------------------------------------------------------------
@_config
def route_headers(c: Ctx) -> LabConfig:
    """Header matchers: string_match exact/prefix/suffix/contains/safe_regex/ignore_case, present_match
    true and false, invert_match, range_match, treat_missing_header_as_empty, pseudo-headers; and
    runtime_fraction at 0% and 100% (no runtime layer: the defaults apply)."""
    L = c.log
    H = headers_match
    routes = [
        route("h-exact", match(prefix="/h", headers=[H("x-exact", exact="yes")]), cluster="c-a"),
        route("h-exact-ci", match(prefix="/h", headers=[H("x-ci", exact="MiXeD", ignore_case=True)]), cluster="c-a"),
        route("h-prefix", match(prefix="/h", headers=[H("x-pre", prefix="abc")]), cluster="c-a"),
        route("h-suffix", match(prefix="/h", headers=[H("x-suf", suffix="xyz")]), cluster="c-a"),
        route("h-contains", match(prefix="/h", headers=[H("x-con", contains="mid")]), cluster="c-a"),
        route("h-regex", match(prefix="/h", headers=[H("x-re", regex="v[0-9]+")]), cluster="c-a"),
        route("h-present", match(prefix="/h", headers=[H("x-present", present=True)]), cluster="c-a"),
        route("h-absent", match(prefix="/absent", headers=[H("x-gone", present=False)]), cluster="c-a"),
        route("h-invert", match(prefix="/invert", headers=[H("x-inv", exact="no", invert_match=True)]),
              cluster="c-a"),
        route("h-invert-present", match(prefix="/invpresent", headers=[H("x-ip", present=True, invert_match=True)]),
              cluster="c-a"),
        route("h-range", match(prefix="/range", headers=[H("x-num", range=(10, 20))]), cluster="c-a"),
        route("h-missing-empty", match(prefix="/empty1", headers=[
            H("x-e", exact="", treat_missing_header_as_empty=True)]), cluster="c-a"),
        route("h-noempty", match(prefix="/empty2", headers=[H("x-e", exact="")]), cluster="c-a"),
        route("h-missing-prefix", match(prefix="/empty3", headers=[
            H("x-e", regex=".*", treat_missing_header_as_empty=True)]), cluster="c-a"),
        route("h-multi", match(prefix="/multi", headers=[H("a", exact="1"), H("b", present=True)]), cluster="c-a"),
        route("h-method", match(prefix="/method", headers=[H(":method", exact="POST")]), cluster="c-a"),
        route("h-authority", match(prefix="/auth", headers=[H(":authority", exact="auth.example")]), cluster="c-a"),
        route("h-runtime-0", {**match(prefix="/rt"), "runtime_fraction": {
            "default_value": {"numerator": 0}, "runtime_key": "lab.never"}}, cluster="c-a"),
        route("h-runtime-100", {**match(prefix="/rt"), "runtime_fraction": {
            "default_value": {"numerator": 100}, "runtime_key": "lab.always"}}, cluster="c-a"),
        route("h-fallback", match(prefix="/"), cluster="c-a"),
    ]
    rc = route_config("rc-headers", [vhost("vh-headers", ["*"], routes)])
    ls = [listener("headers", "127.0.0.1", 8000, [chain("ch-headers", [hcm("hdr", L, route_config=rc)])], L)]
    cases: list[tuple[str, dict[str, str], str]] = [
        ("/h", {"x-exact": "yes"}, "h-exact"), ("/h", {"x-exact": "Yes"}, "h-fallback"),
        ("/h", {"X-Exact": "yes"}, "h-exact"), ("/h", {"x-exact": "yes2"}, "h-fallback"),
        ("/h", {"x-ci": "mixed"}, "h-exact-ci"), ("/h", {"x-ci": "MIXED"}, "h-exact-ci"),
        ("/h", {"x-ci": "mixe"}, "h-fallback"), ("/invert", {"x-inv": "No"}, "h-invert"),
        ("/h", {"x-pre": "abcdef"}, "h-prefix"),
        ("/h", {"x-pre": "ABCdef"}, "h-fallback"), ("/h", {"x-pre": "xabc"}, "h-fallback"),
        ("/h", {"x-suf": "123xyz"}, "h-suffix"), ("/h", {"x-suf": "xyz1"}, "h-fallback"),
        ("/h", {"x-con": "amidb"}, "h-contains"), ("/h", {"x-con": "mid"}, "h-contains"),
        ("/h", {"x-con": "MID"}, "h-fallback"), ("/h", {"x-re": "v12"}, "h-regex"),
        ("/h", {"x-re": "v12a"}, "h-fallback"), ("/h", {"x-re": "av1"}, "h-fallback"),
        ("/h", {"x-present": "anything"}, "h-present"), ("/h", {"x-present": ""}, "h-present"),
        ("/h", {}, "h-fallback"), ("/h", {"x-pre": "abc", "x-exact": "yes"}, "h-exact"),
        ("/absent", {}, "h-absent"), ("/absent", {"x-gone": "1"}, "h-fallback"),
        # a missing header fails an inverted string match too (only present_match inverts absence)
        ("/invert", {}, "h-fallback"), ("/invert", {"x-inv": "no"}, "h-fallback"),
        ("/invert", {"x-inv": "yes"}, "h-invert"), ("/invpresent", {}, "h-invert-present"),
        ("/invpresent", {"x-ip": "1"}, "h-fallback"),
        ("/range", {"x-num": "10"}, "h-range"), ("/range", {"x-num": "19"}, "h-range"),
        ("/range", {"x-num": "20"}, "h-fallback"), ("/range", {"x-num": "9"}, "h-fallback"),
        ("/range", {"x-num": "-5"}, "h-fallback"), ("/range", {"x-num": "abc"}, "h-fallback"),
        ("/range", {"x-num": "015"}, "h-range"), ("/range", {"x-num": "1.5e1"}, "h-fallback"),
        ("/range", {}, "h-fallback"),
        ("/empty1", {}, "h-missing-empty"), ("/empty1", {"x-e": ""}, "h-missing-empty"),
        ("/empty1", {"x-e": "a"}, "h-fallback"), ("/empty2", {}, "h-fallback"), ("/empty2", {"x-e": ""}, "h-noempty"),
        ("/empty3", {}, "h-missing-prefix"), ("/empty3", {"x-e": "zz"}, "h-missing-prefix"),
        ("/multi", {"a": "1", "b": "x"}, "h-multi"), ("/multi", {"a": "1"}, "h-fallback"),
        ("/multi", {"b": "1"}, "h-fallback"),
        ("/auth", {}, "h-fallback"),
        ("/rt", {}, "h-runtime-100"), ("/rt/x", {}, "h-runtime-100"),  # runtime_fraction 0% / 100% (defaults)
    ]
    for path, headers, exp in cases:
        c.probe("127.0.0.1:8000", "svc.example", path, headers=headers, expect=exp)
    for path, headers, exp in [("/h", {"x-exact": "yes"}, "h-exact"), ("/h", {"x-re": "v1"}, "h-regex"),
                               ("/range", {"x-num": "11"}, "h-range"), ("/invert", {}, "h-fallback")]:
        c.probe("127.0.0.1:8000", "svc.example", path, headers=headers, expect=exp, versions=("1.0", "2"))
    c.probe("127.0.0.1:8000", "svc.example", "/method", method="POST", expect="h-method", versions=VERSIONS)
    c.probe("127.0.0.1:8000", "svc.example", "/method", method="GET", expect="h-fallback")
    c.probe("127.0.0.1:8000", "auth.example", "/auth", expect="h-authority", versions=VERSIONS)
    c.probe("127.0.0.1:8000", "AUTH.example", "/auth", expect="h-fallback", versions=("1.1", "2"))
    return c.config("route header matching", ls, backend_clusters("c-a"))


# ---------------------------------------------------------------------------------------------------
@_config
def route_query(c: Ctx) -> LabConfig:
    """Query-parameter matchers: string_match (exact, prefix, contains, safe_regex, ignore_case),
    present_match, several parameters, repeated and encoded parameters."""
    L = c.log
    Q = query_match
    routes = [
        route("q-exact", match(prefix="/q", query=[Q("a", exact="1")]), cluster="c-a"),
        route("q-prefix", match(prefix="/q", query=[Q("b", prefix="x")]), cluster="c-a"),
        route("q-present", match(prefix="/q", query=[Q("c", present=True)]), cluster="c-a"),
        route("q-regex", match(prefix="/q", query=[Q("d", regex="[0-9]+")]), cluster="c-a"),
        route("q-ci", match(prefix="/q", query=[Q("e", exact="Yes", ignore_case=True)]), cluster="c-a"),
        route("q-two", match(prefix="/q", query=[Q("f", exact="1"), Q("g", present=True)]), cluster="c-a"),
        route("q-contains", match(prefix="/q", query=[Q("h", contains="mid")]), cluster="c-a"),
        route("q-fallback", match(prefix="/"), cluster="c-a"),
    ]
    rc = route_config("rc-query", [vhost("vh-query", ["*"], routes)])
    ls = [listener("query", "127.0.0.1", 8000, [chain("ch-query", [hcm("q", L, route_config=rc)])], L)]
    cases = [
        ("/q?a=1", "q-exact"), ("/q?a=2", "q-fallback"), ("/q?a=1&b=x", "q-exact"), ("/q?b=xyz", "q-prefix"),
        ("/q?b=yx", "q-fallback"), ("/q?c", "q-present"), ("/q?c=", "q-present"), ("/q?c=1", "q-present"),
        ("/q?C=1", "q-fallback"), ("/q?d=123", "q-regex"), ("/q?d=12a", "q-fallback"), ("/q?e=yes", "q-ci"),
        ("/q?e=YES", "q-ci"), ("/q?f=1&g", "q-two"), ("/q?f=1", "q-fallback"), ("/q?g=1&f=1", "q-two"),
        ("/q?h=amidb", "q-contains"),
        ("/q?a=%31", "q-fallback"),  # query values are not percent-decoded before matching ("/q?a=1&a=2", "q-exact"),
        ("/q?a=2&a=1", "q-fallback"), ("/q?x=1&a=1", "q-exact"), ("/q", "q-fallback"), ("/qq?a=1", "q-exact"),
        ("/q/?a=1", "q-exact"), ("/q?a=1&", "q-exact"), ("/q?&a=1", "q-exact"), ("/q?a", "q-fallback"),
        ("/q?b=x+y", "q-prefix"), ("/q?d=%32", "q-fallback"), ("/Q?a=1", "q-fallback"),
    ]
    for path, exp in cases:
        c.probe("127.0.0.1:8000", "svc.example", path, expect=exp)
    for path, exp in [("/q?a=1", "q-exact"), ("/q?c", "q-present"), ("/q?e=yEs", "q-ci")]:
        c.probe("127.0.0.1:8000", "svc.example", path, expect=exp, versions=("1.0", "2"))
    return c.config("route query-parameter matching", ls, backend_clusters("c-a"))


# ---------------------------------------------------------------------------------------------------
@_config
def actions_redirect_direct(c: Ctx) -> LabConfig:
    """Redirects (each response_code, https_redirect, host/port/path/prefix/regex rewrites, strip_query)
    and direct responses (status, body)."""
    L = c.log

    def rd(name: str, path: str, **redirect: Any) -> Json:
        return route(name, match(path=path), redirect=redirect)

    routes = [
        rd("rd-301", "/r/default", host_redirect="new.example"),
        rd("rd-302", "/r/302", path_redirect="/moved", response_code="FOUND"),
        rd("rd-303", "/r/303", path_redirect="/moved", response_code="SEE_OTHER"),
        rd("rd-307", "/r/307", path_redirect="/moved", response_code="TEMPORARY_REDIRECT"),
        rd("rd-308", "/r/308", path_redirect="/moved", response_code="PERMANENT_REDIRECT"),
        rd("rd-https", "/r/https", https_redirect=True),
        rd("rd-port", "/r/port", port_redirect=8443),
        rd("rd-host-port", "/r/hostport", host_redirect="h.example", port_redirect=9443),
        rd("rd-https-host", "/r/httpshost", https_redirect=True, host_redirect="secure.example"),
        rd("rd-strip", "/r/strip", path_redirect="/p", strip_query=True),
        rd("rd-keep", "/r/keep", path_redirect="/p"),
        rd("rd-pathq", "/r/pathq", path_redirect="/p?new=1"),
        route("rd-prefix", match(prefix="/r/prefix/"), redirect={"prefix_rewrite": "/new/"}),
        route("rd-prefix-root", match(prefix="/r/pr"), redirect={"prefix_rewrite": "/"}),
        route("rd-regex", match(prefix="/r/re/"), redirect={
            "regex_rewrite": {"pattern": {"regex": "^/r/re/(.*)$"}, "substitution": "/re2/\\1"}}),
        route("dr-200", match(path="/d/200"), direct_response={"status": 200, "body": {"inline_string": "hello"}}),
        route("dr-404", match(path="/d/404"), direct_response={"status": 404}),
        route("dr-503", match(path="/d/503"), direct_response={"status": 503, "body": {"inline_string": "down"}}),
        # a 3xx direct response gets a Location header: the request's own URL
        route("dr-301", match(path="/d/301"), direct_response={"status": 301}),
        route("dr-204", match(path="/d/204"), direct_response={"status": 204}),
        route("act-fallback", match(prefix="/"), cluster="c-a"),
    ]
    rc = route_config("rc-actions", [vhost("vh-actions", ["*"], routes)])
    ls = [listener("actions", "127.0.0.1", 8000, [chain("ch-actions", [hcm("act", L, route_config=rc)])], L)]
    paths = [
        ("/r/default", "REDIR:rd-301"), ("/r/default?x=1", "REDIR:rd-301"), ("/r/302", "REDIR:rd-302"),
        ("/r/303", "REDIR:rd-303"), ("/r/307", "REDIR:rd-307"), ("/r/308?a=b", "REDIR:rd-308"),
        ("/r/https", "REDIR:rd-https"), ("/r/port", "REDIR:rd-port"), ("/r/hostport", "REDIR:rd-host-port"),
        ("/r/httpshost", "REDIR:rd-https-host"), ("/r/strip?x=1", "REDIR:rd-strip"),
        ("/r/keep?x=1", "REDIR:rd-keep"), ("/r/pathq?x=1", "REDIR:rd-pathq"),
        ("/r/prefix/a/b?c=1", "REDIR:rd-prefix"), ("/r/pr/x", "REDIR:rd-prefix-root"),
        ("/r/re/a/b", "REDIR:rd-regex"), ("/d/200", "DR:dr-200"), ("/d/404", "DR:dr-404"),
        ("/d/503", "DR:dr-503"), ("/d/301", "REDIR:dr-301"), ("/d/204", "DR:dr-204"), ("/other", "act-fallback"),
    ]
    for path, exp in paths:
        c.probe("127.0.0.1:8000", "www.example.com", path, expect=exp)
        c.probe("127.0.0.1:8000", "www.example.com:8000", path, expect=exp, versions=("2",))
    for host in ("www.example.com:80", "www.example.com:443", "www.example.com:8000"):
        for path in ("/r/https", "/r/port", "/r/hostport", "/r/httpshost", "/r/default"):
            c.probe("127.0.0.1:8000", host, path, expect=f"REDIR:{dict(paths)[path].split(':')[1]}")
    for path, exp in [("/r/https", "REDIR:rd-https"), ("/d/200", "DR:dr-200"), ("/r/302", "REDIR:rd-302")]:
        c.probe("127.0.0.1:8000", "www.example.com", path, expect=exp, versions=("1.0",))
    return c.config("redirects and direct responses", ls, backend_clusters("c-a"))


# ---------------------------------------------------------------------------------------------------
@_config
def actions_clusters(c: Ctx) -> LabConfig:
    """Cluster actions, served by RDS from a file: cluster, weighted_clusters (deterministic and mixed),
    cluster_header, a cluster that does not exist (NC, with cluster_not_found_response_code), a cluster
    with no endpoints (UH)."""
    L = c.log
    nf404 = {"cluster_not_found_response_code": "NOT_FOUND"}
    routes = [
        route("w-plain", match(path="/plain"), cluster="c-a"),
        route("w-100-0", match(path="/w100"), weighted=[("c-a", 100), ("c-b", 0)]),
        route("w-0-100", match(path="/w0"), weighted=[("c-a", 0), ("c-b", 100)]),
        route("w-mixed", match(path="/wmix"), weighted=[("c-a", 50), ("c-b", 50)]),
        route("w-three", match(path="/w3"), weighted=[("c-a", 1), ("c-b", 1), ("c-c", 1)]),
        route("w-missing", match(path="/wmiss"), weighted=[("c-missing", 100), ("c-a", 0)]),
        route("w-empty", match(path="/wempty"), weighted=[("c-empty", 100), ("c-a", 0)]),
        route("ch-hdr", match(path="/ch"), cluster_header="x-cluster"),
        route("ch-hdr-404", match(path="/ch404"), cluster_header="x-cluster", route_extra=nf404),
        route("nc-missing", match(path="/nc"), cluster="c-nope"),
        route("nc-missing-404", match(path="/nc404"), cluster="c-nope", route_extra=nf404),
        route("nc-missing-500", match(path="/nc500"), cluster="c-nope",
              route_extra={"cluster_not_found_response_code": "INTERNAL_SERVER_ERROR"}),
        route("uh-empty", match(path="/uh"), cluster="c-empty"),
        route("w-fallback", match(prefix="/"), cluster="c-c"),
    ]
    rc = route_config("clusters", [vhost("vh-clusters", ["*"], routes)])
    ls = [listener("clusters", "127.0.0.1", 8000, [chain("ch-clusters", [hcm("cl", L, rds=c.rds_file(rc))])], L)]
    p = c.probe
    for path, exp in [("/plain", "w-plain"), ("/w100", "w-100-0"), ("/w0", "w-0-100"), ("/wmiss", "NC:w-missing"),
                      ("/wempty", "UH:w-empty"), ("/nc", "NC:nc-missing"), ("/nc404", "NC:nc-missing-404"),
                      ("/nc500", "NC:nc-missing-500"), ("/uh", "UH:uh-empty"), ("/x", "w-fallback")]:
        p("127.0.0.1:8000", "svc.example", path, expect=exp, versions=VERSIONS)
    for _ in range(6):
        p("127.0.0.1:8000", "svc.example", "/wmix", expect="w-mixed")
        p("127.0.0.1:8000", "svc.example", "/w3", expect="w-three")
    for value, exp in [("c-a", "ch-hdr"), ("c-b", "ch-hdr"), ("c-empty", "UH:ch-hdr"), ("c-nope", "NC:ch-hdr"),
                       ("C-A", "NC:ch-hdr")]:
        p("127.0.0.1:8000", "svc.example", "/ch", headers={"x-cluster": value}, expect=exp, versions=("1.1", "2"))
        p("127.0.0.1:8000", "svc.example", "/ch404", headers={"x-cluster": value},
          expect=exp.replace("ch-hdr", "ch-hdr-404"))
    p("127.0.0.1:8000", "svc.example", "/ch", expect="NC:ch-hdr", versions=VERSIONS)
    p("127.0.0.1:8000", "svc.example", "/ch404", expect="NC:ch-hdr-404")
    clusters = [*backend_clusters("c-a", "c-b", "c-c"), static_cluster("c-empty", [])]
    return c.config("cluster actions (RDS from a file)", ls, clusters)


# ---------------------------------------------------------------------------------------------------
@_config
def health(c: Ctx) -> LabConfig:
    """Upstream health: no endpoints, failing active health checks (with and without panic mode), EDS
    health_status UNHEALTHY / DRAINING / DEGRADED / TIMEOUT / UNKNOWN, mixed healthy and unhealthy."""
    L = c.log
    no_panic = {"common_lb_config": {"healthy_panic_threshold": {"value": 0}}}

    def hc(kind: str) -> Json:
        check: Json = {"timeout": "0.5s", "interval": "0.5s", "unhealthy_threshold": 1, "healthy_threshold": 1}
        if kind == "tcp":
            check["tcp_health_check"] = {}
        else:
            check["http_health_check"] = {"path": "/healthz"}
        return {"health_checks": [check]}

    def eds(name: str, eps: list[Json], **extra: Any) -> Json:
        return eds_cluster(name, c.eds_file(name, eps), **extra)

    B, D = BACKEND, DEAD
    clusters = [
        static_cluster("hl-empty", []),
        static_cluster("hl-hc-fail-strict", [D], **hc("tcp"), **no_panic),
        static_cluster("hl-hc-fail-panic", [D], **hc("tcp")),
        static_cluster("hl-hc-pass", [B], **hc("http")),
        eds("hl-eds-unhealthy-strict", [lb_endpoint(*B, "UNHEALTHY")], **no_panic),
        eds("hl-eds-unhealthy-panic", [lb_endpoint(*B, "UNHEALTHY")]),
        eds("hl-eds-draining-strict", [lb_endpoint(*B, "DRAINING")], **no_panic),
        eds("hl-eds-degraded-strict", [lb_endpoint(*B, "DEGRADED")], **no_panic),
        eds("hl-eds-timeout-strict", [lb_endpoint(*B, "TIMEOUT")], **no_panic),
        eds("hl-eds-unknown-strict", [lb_endpoint(*B)], **no_panic),
        eds("hl-eds-healthy-strict", [lb_endpoint(*B, "HEALTHY")], **no_panic),
        eds("hl-eds-mixed-strict", [lb_endpoint(*B, "HEALTHY"), lb_endpoint(*D, "UNHEALTHY")], **no_panic),
        eds("hl-eds-none", []),
    ]
    routes = [route(f"hr-{cl['name'][3:]}", match(prefix=f"/{cl['name'][3:]}"), cluster=cl["name"])
              for cl in clusters]
    rc = route_config("rc-health", [vhost("vh-health", ["*"], routes)])
    ls = [listener("health", "127.0.0.1", 8000, [chain("ch-health", [hcm("hl", L, route_config=rc)])], L)]
    expects = {
        "empty": "UH", "hc-fail-strict": "UH", "hc-fail-panic": "UF", "hc-pass": "", "eds-unhealthy-strict": "UH",
        "eds-unhealthy-panic": "", "eds-draining-strict": "UH", "eds-degraded-strict": "", "eds-timeout-strict": "UH",
        "eds-unknown-strict": "", "eds-healthy-strict": "", "eds-mixed-strict": "", "eds-none": "UH",
    }
    for suffix, flag in expects.items():
        exp = f"{flag}:hr-{suffix}" if flag else f"hr-{suffix}"
        c.probe("127.0.0.1:8000", "svc.example", f"/{suffix}", expect=exp, versions=VERSIONS)
    return c.config("upstream health and panic mode", ls, clusters)


# ---------------------------------------------------------------------------------------------------
@_config
def tcp(c: Ctx) -> LabConfig:
    """TCP proxy chains: cluster, weighted_clusters, a missing cluster, an empty cluster, a dead
    endpoint; HTTP vs TCP chains chosen by ALPN; destination_port chains on additional addresses."""
    L = c.log
    ls = [
        listener("t-plain", "127.0.0.1", 7000, [chain("tc-plain", [tcp_proxy("p", L, "t-a")])], L),
        # TCP proxy weights must be >= 1 (HTTP weighted_clusters accept 0): no deterministic split here
        listener("t-wmix", "127.0.0.1", 7001, [chain("tc-wmix", [tcp_proxy("wm", L, weighted=[("t-a", 1),
                                                                                             ("t-b", 1)])])], L),
        listener("t-w3", "127.0.0.1", 7002, [chain("tc-w3", [tcp_proxy("w3", L, weighted=[("t-a", 1),
                                                                                         ("t-b", 99)])])], L),
        listener("t-missing", "127.0.0.1", 7003, [chain("tc-missing", [tcp_proxy("m", L, "t-missing")])], L),
        listener("t-empty", "127.0.0.1", 7004, [chain("tc-empty", [tcp_proxy("e", L, "t-empty")])], L),
        listener("t-dead", "127.0.0.1", 7005, [chain("tc-dead", [tcp_proxy("d", L, "t-dead")])], L),
        listener("t-alpn", "127.0.0.1", 7006, [
            chain("tc-alpn-http", [one_route_hcm(c, "tr-alpn-http", "t-a")],
                  {"application_protocols": ["http/1.1", "http/1.0"]}),
            chain("tc-alpn-tcp", [tcp_proxy("a", L, "t-b")]),
        ], L, listener_filters=["http_inspector"]),
        listener("t-ports", "127.0.0.2", 7007, [
            chain("tc-port7007", [tcp_proxy("p7", L, "t-a")], {"destination_port": 7007}),
            chain("tc-port7008", [tcp_proxy("p8", L, "t-b")], {"destination_port": 7008}),
        ], L, additional=[("127.0.0.2", 7008)]),
    ]
    for _ in range(3):
        c.probe("127.0.0.1:7001", "svc.example", "/", expect="TCP", versions=VERSIONS)
        c.probe("127.0.0.1:7002", "svc.example", "/", expect="TCP", versions=VERSIONS)
    for connect, exp in [("127.0.0.1:7000", "TCP:t-a"), ("127.0.0.1:7003", "TCP:-[NC]"),
                         ("127.0.0.1:7004", "TCP:t-empty[UH]"), ("127.0.0.1:7005", "TCP:t-dead[UF,URX]"),
                         ("127.0.0.2:7007", "TCP:t-a"), ("127.0.0.2:7008", "TCP:t-b")]:
        c.probe(connect, "svc.example", "/", expect=exp, versions=VERSIONS)
    c.probe("127.0.0.1:7006", "svc.example", "/", expect="tr-alpn-http", versions=("1.0", "1.1"))
    c.probe("127.0.0.1:7006", "svc.example", "/", expect="TCP:t-b", versions=("2",))
    clusters = [*backend_clusters("t-a", "t-b"), static_cluster("t-empty", []), static_cluster("t-dead", [DEAD])]
    return c.config("TCP proxy chains", ls, clusters)


# ---------------------------------------------------------------------------------------------------
def _istio(c: Ctx, mode: str) -> LabConfig:
    """An Istio-shaped outbound sidecar: virtualOutbound (use_original_dst) hands connections to
    bind_to_port:false listeners <ip>_<port> / 0.0.0.0_<port>, RDS by port name, PassthroughCluster,
    BlackHoleCluster, EDS clusters. ``mode`` is how the original destination reaches Envoy:
    ``iptables`` (REDIRECT + original_dst listener filter) or ``proxy_protocol`` (PROXY v1 header)."""
    L = c.log
    svc = "svc.cluster.local"
    reviews = f"reviews.default.{svc}"
    ratings = f"ratings.default.{svc}"
    httpbin = f"httpbin.default.{svc}"

    def domains(short: str, ns: str, vip: str, port: int) -> list[str]:
        names = [f"{short}.{ns}.{svc}", short, f"{short}.{ns}", f"{short}.{ns}.svc", vip]
        return [d for n in names for d in (n, f"{n}:{port}")]

    def ocl(port: int, subset: str, host: str) -> str:
        return f"outbound|{port}|{subset}|{host}"

    rc9080 = route_config("9080", [
        vhost(f"{reviews}:9080", domains("reviews", "default", "10.96.0.20", 9080), [
            route("reviews-jason", match(prefix="/", headers=[headers_match("end-user", exact="jason")]),
                  cluster=ocl(9080, "v2", reviews)),
            route("reviews-v3", match(prefix="/v3"), cluster=ocl(9080, "v3", reviews)),
            route("reviews-default", match(prefix="/"), weighted=[(ocl(9080, "v1", reviews), 100),
                                                                 (ocl(9080, "v2", reviews), 0)]),
        ]),
        vhost(f"{ratings}:9080", domains("ratings", "default", "10.96.0.21", 9080), [
            route("ratings-default", match(prefix="/"), cluster=ocl(9080, "", ratings))]),
        vhost("allow_any", ["*"], [route("allow_any", match(prefix="/"), cluster="PassthroughCluster")]),
    ], validate_clusters=False)
    rc80 = route_config("80", [
        vhost(f"{httpbin}:80", domains("httpbin", "default", "10.96.0.30", 80), [
            route("httpbin-status", match(prefix="/status"), direct_response={"status": 418}),
            route("httpbin-default", match(prefix="/"), cluster=ocl(80, "", httpbin))]),
        vhost("block_all", ["*"], [route("block_all", match(prefix="/"), direct_response={"status": 502})]),
    ], validate_clusters=False)

    def http_chain(port: int) -> Json:
        rds = c.rds_file(rc9080 if port == 9080 else rc80)
        return chain(f"0.0.0.0_{port}", [hcm(f"outbound_0.0.0.0_{port}", L, rds=rds)],
                     {"transport_protocol": "raw_buffer", "application_protocols": ["http/1.0", "http/1.1", "h2c"]})

    passthrough_chain = chain("PassthroughFilterChain", [tcp_proxy("PassthroughCluster", L, "PassthroughCluster")])
    orig_filter = "original_dst" if mode == "iptables" else "proxy_protocol"
    ls = [
        listener("virtualOutbound", "0.0.0.0", 15001, [
            chain("virtualOutbound-blackhole", [tcp_proxy("BlackHoleCluster", L, "BlackHoleCluster")],
                  {"destination_port": 15001}),
            chain("virtualOutbound-catchall-tcp", [tcp_proxy("PassthroughCluster", L, "PassthroughCluster")]),
        ], L, listener_filters=[orig_filter], use_original_dst=True, traffic_direction="OUTBOUND"),
        listener("10.96.0.10_53", "10.96.0.10", 53, [
            chain("10.96.0.10_53", [tcp_proxy(ocl(53, "", "kube-dns.kube-system." + svc), L,
                                              ocl(53, "", "kube-dns.kube-system." + svc))])],
            L, bind_to_port=False, traffic_direction="OUTBOUND"),
        listener("10.96.0.50_9080", "10.96.0.50", 9080, [
            chain("10.96.0.50_9080", [tcp_proxy("tcp-echo", L, ocl(9080, "", f"tcp-echo.default.{svc}"))])],
            L, bind_to_port=False, traffic_direction="OUTBOUND"),
        listener("0.0.0.0_9080", "0.0.0.0", 9080, [http_chain(9080)], L, default_chain=passthrough_chain,
                 listener_filters=["tls_inspector", "http_inspector"], bind_to_port=False,
                 traffic_direction="OUTBOUND"),
        listener("0.0.0.0_80", "0.0.0.0", 80, [http_chain(80)], L, default_chain=passthrough_chain,
                 listener_filters=["tls_inspector", "http_inspector"], bind_to_port=False,
                 traffic_direction="OUTBOUND"),
    ]
    passthrough = {"name": "PassthroughCluster", "type": "ORIGINAL_DST", "connect_timeout": "1s",
                   "lb_policy": "CLUSTER_PROVIDED",
                   "upstream_bind_config": {"source_address": {"address": "127.0.0.6", "port_value": 0}}}
    eds_names = {ocl(9080, "v1", reviews): [lb_endpoint(*BACKEND, "HEALTHY")],
                 ocl(9080, "v2", reviews): [lb_endpoint(*BACKEND, "HEALTHY")],
                 ocl(9080, "v3", reviews): [],
                 ocl(9080, "", ratings): [lb_endpoint(*BACKEND, "HEALTHY")],
                 ocl(80, "", httpbin): [lb_endpoint(*BACKEND, "HEALTHY")]}
    clusters = [
        passthrough,
        {"name": "BlackHoleCluster", "type": "STATIC", "connect_timeout": "1s"},
        static_cluster(ocl(53, "", "kube-dns.kube-system." + svc), [BACKEND]),
        static_cluster(ocl(9080, "", f"tcp-echo.default.{svc}"), [BACKEND]),
        *[eds_cluster(n, c.eds_file(n, eps)) for n, eps in eds_names.items()],
    ]

    def p(dst: str, host: str | None, path: str = "/", *, expect: str, **kw: Any) -> None:
        if mode == "iptables":
            c.probe(dst, host, path, expect=expect, **kw)
        else:
            c.probe("127.0.0.1:15001", host, path, expect=expect, proxy_src="auto", proxy_dst=dst, **kw)

    p("10.96.0.20:9080", "reviews:9080", expect="reviews-default", versions=VERSIONS)
    p("10.96.0.20:9080", f"{reviews}:9080", "/r", expect="reviews-default")
    p("10.96.0.20:9080", "reviews", "/x", headers={"end-user": "jason"}, expect="reviews-jason", versions=VERSIONS)
    p("10.96.0.20:9080", "10.96.0.20:9080", "/v3/x", expect="UH:reviews-v3", versions=("1.1", "2"))
    p("10.96.0.21:9080", "ratings.default:9080", expect="ratings-default", versions=("1.1", "2"))
    p("10.96.0.20:9080", "ratings.default.svc", expect="ratings-default",
      note="the Host header, not the destination IP, picks the virtual host")
    # allow_any sends to PassthroughCluster, i.e. to the original destination, where nothing listens: 503 UF
    p("10.96.0.99:9080", "unknown.example", expect="UF:allow_any")
    p("10.96.0.20:9080", "reviews:8080", expect="UF:allow_any")
    p("10.96.0.30:80", "httpbin", "/get", expect="httpbin-default", versions=VERSIONS)
    p("10.96.0.30:80", "httpbin.default.svc.cluster.local:80", "/status/418", expect="DR:httpbin-status")
    p("10.96.0.30:80", "unknown.example", expect="DR:block_all", versions=("1.1", "2"))
    p("10.96.0.10:53", "kube-dns", expect=f"TCP:{ocl(53, '', 'kube-dns.kube-system.' + svc)}", versions=VERSIONS)
    p("10.96.0.50:9080", "tcp-echo:9080", expect=f"TCP:{ocl(9080, '', f'tcp-echo.default.{svc}')}",
      versions=VERSIONS)
    p("10.96.0.99:12345", "whatever", expect="TCP:PassthroughCluster[UF,URX]", versions=("1.1", "2"))
    p("10.1.2.3:9999", "whatever", expect="TCP:PassthroughCluster[UF,URX]")
    if mode == "iptables":  # a direct connection to 15001 is not redirected: its own port picks the chain
        c.probe("127.0.0.1:15001", "whatever", expect="TCP:BlackHoleCluster[UH]")
    setup: list[list[str]] = []
    if mode == "iptables":
        setup = [["ip", "addr", "add", "10.0.0.1/8", "dev", "lo"],
                 ["iptables", "-t", "nat", "-A", "OUTPUT", "-p", "tcp", "-d", "10.0.0.0/8", "!", "-s", "127.0.0.6",
                  "-j", "REDIRECT", "--to-ports", "15001"]]
    return c.config(f"Istio-shaped outbound sidecar, original destination via {mode}", ls, clusters,
                    requires=["iptables"] if mode == "iptables" else [], netns_setup=setup)


@_config
def istio_outbound_iptables(c: Ctx) -> LabConfig:
    return _istio(c, "iptables")


@_config
def istio_outbound_proxy_protocol(c: Ctx) -> LabConfig:
    return _istio(c, "proxy_protocol")


# ---------------------------------------------------------------------------------------------------
@_config
def source_match(c: Ctx) -> LabConfig:
    """Source matching with arbitrary client addresses (PROXY protocol restores them): source_type
    EXTERNAL vs SAME_IP_OR_LOOPBACK vs ANY, source_prefix_ranges, source_ports, and no fallback from
    a matching source type to ANY when its IP/port level fails."""
    L = c.log
    r16 = [{"address_prefix": "10.1.0.0", "prefix_len": 16}]
    specs: list[tuple[str, Json]] = [
        ("sp-ext-10", {"source_type": "EXTERNAL", "source_prefix_ranges": [{"address_prefix": "10.0.0.0",
                                                                           "prefix_len": 8}]}),
        ("sp-ext-10-1", {"source_type": "EXTERNAL", "source_prefix_ranges": r16}),
        ("sp-ext-10-1-port", {"source_type": "EXTERNAL", "source_prefix_ranges": r16, "source_ports": [5555]}),
        ("sp-ext-any", {"source_type": "EXTERNAL"}),
        ("sp-local-port", {"source_type": "SAME_IP_OR_LOOPBACK", "source_ports": [4444]}),
        ("sp-any", {}),
        ("sp-any-192", {"source_prefix_ranges": [{"address_prefix": "192.168.0.0", "prefix_len": 16}]}),
    ]
    ls = [listener("source", "127.0.0.1", 9500, [chain(n, [one_route_hcm(c, f"r-{n}")], m) for n, m in specs], L,
                   listener_filters=["proxy_protocol", "http_inspector"])]
    # {v} varies the source per HTTP version: log lines join to probes by the client address
    for src, exp in [("10.2.{v}.1:1000", "r-sp-ext-10"), ("10.1.{v}.1:1001", "r-sp-ext-10-1"),
                     ("10.1.{v}.1:5555", "r-sp-ext-10-1-port"), ("10.1.9.{v}:5555", "r-sp-ext-10-1-port"),
                     ("192.168.1.{v}:1002", "r-sp-ext-any"), ("172.16.0.{v}:1003", "r-sp-ext-any"),
                     ("127.0.{v}.1:4444", "r-sp-ext-any"), ("127.0.0.1:445{v}", "NOCHAIN")]:
        for i, v in enumerate(VERSIONS):
            c.probe("127.0.0.1:9500", "svc.example", "/", expect=exp, proxy_src=src.format(v=i + 1),
                    proxy_dst="127.0.0.1:9500", versions=(v,), note="source type narrows before source IP")
    c.probe("127.0.0.1:9500", "svc.example", "/", expect="r-sp-local-port", proxy_src="127.0.0.1:4444",
            proxy_dst="127.0.0.1:9500", versions=("2",))
    return c.config("source matching via PROXY protocol", ls, backend_clusters("c-a"))


# ---------------------------------------------------------------------------------------------------
_T_STRING = "type.googleapis.com/google.protobuf.StringValue"
_T_IP_MATCHER = "type.googleapis.com/xds.type.matcher.v3.IPMatcher"


def _fcm_action(chain_name: str, **extra: Any) -> Json:
    return {"action": {"name": chain_name, "typed_config": {"@type": _T_STRING, "value": chain_name}}, **extra}


def _fcm_input(kind: str) -> Json:
    return {"name": kind, "typed_config": {
        "@type": f"type.googleapis.com/envoy.extensions.matching.common_inputs.network.v3.{kind}"}}


def _fcm_tree(kind: str, on_no_match: Json | None = None, **tree: Any) -> Json:
    out: Json = {"matcher_tree": {"input": _fcm_input(kind), **tree}}
    if on_no_match is not None:
        out["on_no_match"] = on_no_match
    return out


def _fcm_exact(kind: str, entries: dict[str, Json], on_no_match: Json | None = None) -> Json:
    return _fcm_tree(kind, on_no_match, exact_match_map={"map": entries})


def _fcm_ip(kind: str, ranges: list[tuple[str, int, Json, bool]], on_no_match: Json | None = None) -> Json:
    matchers = [{"ranges": [{"address_prefix": ip, "prefix_len": n}], "on_match": om, **({"exclusive": True} if ex
                                                                                        else {})}
                for ip, n, om, ex in ranges]
    return _fcm_tree(kind, on_no_match, custom_match={"name": "ip", "typed_config": {
        "@type": _T_IP_MATCHER, "range_matchers": matchers}})


@_config
def matcher_tree_fallback(c: Ctx) -> LabConfig:
    """filter_chain_matcher (xds matcher tree): when a nested matcher finds nothing Envoy resumes with the
    next shorter IP range (skipping exclusive ones), the next shorter prefix, the next matcher_list entry,
    then the most specific on_no_match."""
    L = c.log
    never = _fcm_exact("SourcePortInput", {"1": _fcm_action("fm-a")})  # fails: no probe comes from port 1
    nested = {
        # nested IP map fails, no on_no_match of its own: the top level's on_no_match
        "8000": {"matcher": _fcm_exact("DestinationIPInput", {"127.0.0.9": _fcm_action("fm-a")})},
        # IPMatcher: the /24 branch fails, the /8 entry matches
        "8001": {"matcher": _fcm_ip("DestinationIPInput", [("127.0.0.0", 24, {"matcher": never}, False),
                                                           ("127.0.0.0", 8, _fcm_action("fm-ip8"), False)])},
        # an exclusive entry is tried only when it is the most specific one
        "8002": {"matcher": _fcm_ip("DestinationIPInput", [("127.0.0.0", 24, {"matcher": never}, False),
                                                           ("127.0.0.0", 16, _fcm_action("fm-excl"), True),
                                                           ("127.0.0.0", 8, _fcm_action("fm-ip8-2"), False)])},
        # prefix map: the longest prefix's subtree fails, a shorter prefix matches; no prefix: on_no_match
        "8003": {"matcher": _fcm_tree("DestinationIPInput", _fcm_action("fm-nested-nomatch"), prefix_match_map={
            "map": {"127.0.0.1": {"matcher": never}, "127.0.0": _fcm_action("fm-prefix-short")}})},
        # matcher_list: the first matching entry's subtree fails, the next entry matches
        "8004": {"matcher": {"matcher_list": {"matchers": [
            {"predicate": {"single_predicate": {"input": _fcm_input("DestinationIPInput"),
                                                "value_match": {"exact": "127.0.0.1"}}},
             "on_match": {"matcher": never}},
            {"predicate": {"single_predicate": {"input": _fcm_input("DestinationIPInput"),
                                                "value_match": {"prefix": "127.0."}}},
             "on_match": _fcm_action("fm-list-second")}]},
            "on_no_match": _fcm_action("fm-list-nomatch")}},
        # a nested on_no_match that itself finds nothing: up to the top level's on_no_match
        "8005": {"matcher": _fcm_exact("DestinationIPInput", {"127.0.0.9": _fcm_action("fm-a")},
                                       on_no_match={"matcher": never})},
        # the IPMatcher's own on_no_match is more specific than the top level's
        "8006": {"matcher": _fcm_ip("DestinationIPInput", [("127.0.0.0", 24, {"matcher": never}, False)],
                                    on_no_match=_fcm_action("fm-ip-nomatch"))},
        # (keep_matching is left out: Envoy 1.40 crashes on a connection that reaches one here)
    }
    matcher = _fcm_exact("DestinationPortInput", nested, on_no_match=_fcm_action("fm-fallback"))
    names = ["fm-a", "fm-fallback", "fm-ip8", "fm-excl", "fm-ip8-2", "fm-prefix-short", "fm-nested-nomatch",
             "fm-list-second", "fm-list-nomatch", "fm-ip-nomatch"]
    ls = [listener("fcm-tree", "0.0.0.0", 8000, [chain(n, [one_route_hcm(c, f"r-{n}")]) for n in names], L,
                   additional=[("0.0.0.0", p) for p in range(8001, 8008)], filter_chain_matcher=matcher)]
    for connect, exp in [("127.0.0.1:8000", "r-fm-fallback"), ("127.0.0.1:8001", "r-fm-ip8"),
                         ("127.1.0.1:8001", "r-fm-ip8"), ("127.0.0.1:8002", "r-fm-ip8-2"),
                         ("127.0.1.1:8002", "r-fm-excl"), ("127.0.0.1:8003", "r-fm-prefix-short"),
                         ("127.0.0.12:8003", "r-fm-prefix-short"), ("127.0.5.1:8003", "r-fm-nested-nomatch"),
                         ("127.0.0.1:8004", "r-fm-list-second"), ("127.9.0.1:8004", "r-fm-list-nomatch"),
                         ("127.0.0.1:8005", "r-fm-fallback"), ("127.0.0.1:8006", "r-fm-ip-nomatch"),
                         ("127.0.0.1:8007", "r-fm-fallback")]:
        c.probe(connect, expect=exp, versions=("1.1", "2"))
    return c.config("filter_chain_matcher fallback (xds matcher tree)", ls, backend_clusters("c-a"))


@_config
def route_re2_grpc_tls(c: Ctx) -> LabConfig:
    """RE2 syntax Python's re reads differently or rejects (POSIX classes, \\pL, \\p{Greek}, \\z, named groups,
    \\Q..\\E, flags); the grpc route matcher's content-type test; tls_context on a plaintext request."""
    L = c.log
    H = headers_match
    routes = [
        route("re-posix", match(regex="/a/[[:digit:]]+"), cluster="c-a"),
        route("re-posix-neg", match(regex="/an/[[:^alpha:]]+"), cluster="c-a"),
        route("re-unicode", match(regex="/b/\\pL+"), cluster="c-a"),
        route("re-greek", match(regex="/g/\\p{Greek}+"), cluster="c-a"),
        route("re-z", match(regex="/z/x\\z"), cluster="c-a"),
        route("re-named", match(regex="/n/(?P<id>[0-9]+)"), cluster="c-a"),
        route("re-quote", match(regex="/q/\\Qa.b\\E"), cluster="c-a"),
        route("re-flags", match(regex="(?i)/ci/abc"), cluster="c-a"),
        route("re-hdr", match(prefix="/h", headers=[H("x-v", regex="v[[:digit:]]+\\pL?")]), cluster="c-a"),
        route("grpc", {**match(prefix="/grpc"), "grpc": {}}, cluster="c-a"),
        route("tls-presented", {**match(prefix="/tls/p"), "tls_context": {"presented": True}}, cluster="c-a"),
        route("tls-validated", {**match(prefix="/tls/v"), "tls_context": {"validated": True}}, cluster="c-a"),
        route("tls-not-presented", {**match(prefix="/tls/"), "tls_context": {"presented": False}}, cluster="c-a"),
        route("tls-not-validated", {**match(prefix="/tlsn"), "tls_context": {"validated": False}}, cluster="c-a"),
        route("re-fallback", match(prefix="/"), cluster="c-a"),
    ]
    rc = route_config("rc-re2", [vhost("vh-re2", ["*"], routes)])
    ls = [listener("re2", "127.0.0.1", 8000, [chain("ch-re2", [hcm("re2", L, route_config=rc)])], L)]
    cases: list[tuple[str, dict[str, str], str]] = [
        ("/a/123", {}, "re-posix"), ("/a/12x", {}, "re-fallback"), ("/an/123", {}, "re-posix-neg"),
        ("/an/1a", {}, "re-fallback"), ("/b/abc", {}, "re-unicode"), ("/b/ab1", {}, "re-fallback"),
        ("/g/abc", {}, "re-fallback"), ("/z/x", {}, "re-z"), ("/z/xy", {}, "re-fallback"), ("/n/42", {}, "re-named"),
        ("/q/a.b", {}, "re-quote"), ("/q/axb", {}, "re-fallback"), ("/CI/ABC", {}, "re-flags"),
        ("/h", {"x-v": "v1"}, "re-hdr"), ("/h", {"x-v": "v12x"}, "re-hdr"), ("/h", {"x-v": "v"}, "re-fallback"),
        ("/tls/p", {}, "tls-not-presented"), ("/tls/v", {}, "tls-not-presented"), ("/tlsn", {}, "tls-not-validated"),
    ]
    for ctype, exp in [("application/grpc", "grpc"), ("application/grpc+proto", "grpc"),
                       ("application/grpc-web+proto", "re-fallback"), ("application/grpc-web", "re-fallback"),
                       ("application/grpc;charset=utf-8", "re-fallback"), ("application/GRPC", "re-fallback"),
                       ("application/grpcx", "re-fallback"), ("text/plain", "re-fallback")]:
        cases.append(("/grpc", {"content-type": ctype}, exp))
    cases.append(("/grpc", {}, "re-fallback"))
    for path, headers, exp in cases:
        c.probe("127.0.0.1:8000", "svc.example", path, headers=headers, expect=exp, versions=("1.1", "2"))
    c.probe("127.0.0.1:8000", "svc.example", "/grpc", headers={"content-type": "application/grpc"}, method="POST",
            expect="grpc")
    return c.config("RE2 syntax, gRPC and tls_context route matchers", ls, backend_clusters("c-a"))


# ---------------------------------------------------------------------------------------------------
@_config
def hcm_paths(c: Ctx) -> LabConfig:
    """Path normalisation before routing: normalize_path (percent-decoded unreserved characters, dot
    segments, backslashes, characters escaped), merge_slashes, path_with_escaped_slashes_action
    UNESCAPE_AND_FORWARD, each alone and combined; redirects see the normalised path."""
    L = c.log

    def rc(tag: str) -> Json:
        return route_config(f"rc-{tag}", [vhost(f"vh-{tag}", ["*"], [
            route(f"{tag}-exact", match(path="/exact"), direct_response={"status": 200}),
            route(f"{tag}-admin", match(prefix="/admin/"), direct_response={"status": 200}),
            route(f"{tag}-ab", match(path="/a/b"), direct_response={"status": 200}),
            route(f"{tag}-rd", match(prefix="/rd/"), redirect={"host_redirect": "new.example"}),
            route(f"{tag}-fallback", match(prefix="/"), direct_response={"status": 200}),
        ])])

    variants = {
        "np": (8000, {"normalize_path": True}),
        "npesc": (8001, {"normalize_path": True, "path_with_escaped_slashes_action": "UNESCAPE_AND_FORWARD"}),
        "ms": (8002, {"merge_slashes": True}),
        "esc": (8003, {"path_with_escaped_slashes_action": "UNESCAPE_AND_FORWARD"}),
        "npms": (8004, {"normalize_path": True, "merge_slashes": True,
                        "path_with_escaped_slashes_action": "KEEP_UNCHANGED"}),
    }
    ls = [listener(tag, "127.0.0.1", port, [chain(f"ch-{tag}", [hcm(tag, L, route_config=rc(tag), **kw)])], L)
          for tag, (port, kw) in variants.items()]
    # path -> route suffix per variant (np, npesc, ms, esc, npms), as Envoy 1.40 answered
    table = [
        ("/x/../exact", "exact", "exact", "fallback", "fallback", "exact"),
        ("/%2e%2e/exact", "exact", "exact", "fallback", "fallback", "exact"),
        ("/a/%2E%2e/exact", "exact", "exact", "fallback", "fallback", "exact"),
        ("/ex%61ct", "exact", "exact", "fallback", "fallback", "exact"),
        ("/ex%41ct", "fallback", "fallback", "fallback", "fallback", "fallback"),
        ("//exact", "fallback", "fallback", "exact", "fallback", "exact"),
        ("/a\\..\\exact", "exact", "exact", "fallback", "fallback", "exact"),
        ("/a%5C..%5Cexact", "fallback", "exact", "fallback", "fallback", "fallback"),
        ("/public/..%2Fadmin/x", "fallback", "admin", "fallback", "fallback", "fallback"),
        ("/public/..%2fadmin/x", "fallback", "admin", "fallback", "fallback", "fallback"),
        ("/a%2Fb", "fallback", "ab", "fallback", "ab", "fallback"),
        ("/a%2fb?q=%2F/../x", "fallback", "ab", "fallback", "ab", "fallback"),
        ("/public/../admin/x", "admin", "admin", "fallback", "fallback", "admin"),
        ("/admin//x/../y", "admin", "admin", "admin", "admin", "admin"),
        ("/x/..//exact", "fallback", "fallback", "fallback", "fallback", "exact"),
        ("/exact/.", "fallback", "fallback", "fallback", "fallback", "fallback"),
        ("/a/b/../b", "ab", "ab", "fallback", "fallback", "ab"),
        ("/a//b", "fallback", "fallback", "ab", "fallback", "ab"),
        ("/a/./b?x=/../y", "ab", "ab", "fallback", "fallback", "ab"),
        ("/a{b}", "fallback", "fallback", "fallback", "fallback", "fallback"),
    ]
    for path, *routes in table:
        for (tag, (port, _)), suffix in zip(variants.items(), routes, strict=True):
            c.probe(f"127.0.0.1:{port}", "svc.example", path, expect=f"DR:{tag}-{suffix}")
    for tag, (port, _) in variants.items():
        for path in ("/rd/x/../y?q=1", "/rd//a/%7Eb", "/rd/a%2Fb/../c"):
            c.probe(f"127.0.0.1:{port}", "svc.example", path, expect=f"REDIR:{tag}-rd")
        for path in ("/x/../exact", "//exact", "/a%2Fb"):
            c.probe(f"127.0.0.1:{port}", "svc.example", path, versions=("2",))
    return c.config("path normalisation before routing (normalize_path, merge_slashes, escaped slashes)", ls,
                    backend_clusters("c-a"))


# ---------------------------------------------------------------------------------------------------
@_config
def hcm_requests(c: Ctx) -> LabConfig:
    """What the connection manager does to a request before routing, and redirect Locations: require_tls
    (ALL, EXTERNAL_ONLY) answering 301; x-forwarded-proto (kept, added, overwritten under
    use_remote_address) and x-request-id (generated unless generate_request_id is false) as route
    headers and as the redirect scheme; internal_address_config; strip_trailing_host_dot and the
    strip_*_host_port options changing the Host redirects see; path_redirect with a query, prefix_rewrite
    on a regex route, a relative path_redirect."""
    L = c.log

    def rc(tag: str) -> Json:
        def dr(name: str, m: Json) -> Json:
            return route(f"{tag}-{name}", m, direct_response={"status": 200})

        def rd(name: str, m: Json, **redirect: Any) -> Json:
            return route(f"{tag}-{name}", m, redirect=redirect)

        H = headers_match
        return route_config(f"rc-{tag}", [
            vhost(f"{tag}-secure", ["secure.example", "secure.example:*"], [dr("secure", match(prefix="/"))],
                  require_tls="ALL"),
            vhost(f"{tag}-ext", ["ext.example"], [dr("ext", match(prefix="/"))], require_tls="EXTERNAL_ONLY"),
            vhost(f"{tag}-empty", ["empty.example"], [], require_tls="ALL"),
            vhost(f"{tag}-dot", ["dot.example"], [dr("dot", match(prefix="/"))]),
            vhost(f"{tag}-dotport", ["dot.example:8104", "dot.example:8105"], [dr("dotport", match(prefix="/"))]),
            vhost(f"{tag}-any", ["*"], [
                dr("xfp-http", match(prefix="/xfp", headers=[H("x-forwarded-proto", exact="http")])),
                dr("xfp-https", match(prefix="/xfp", headers=[H("x-forwarded-proto", exact="https")])),
                dr("rid", match(prefix="/rid", headers=[H("x-request-id", present=True)])),
                rd("tohttps", match(prefix="/tohttps"), https_redirect=True),
                rd("tohttp", match(prefix="/tohttp"), scheme_redirect="http"),
                rd("keep", match(prefix="/keep"), host_redirect="k.example"),
                rd("same", match(prefix="/same"), path_redirect="/moved"),
                rd("pathq", match(prefix="/pq"), path_redirect="/p?new=1", strip_query=True),
                rd("re-prefix", match(regex="/re/.*"), prefix_rewrite="/new"),
                rd("path-prefix", match(path="/pp"), prefix_rewrite="/np"),
                rd("rel", match(prefix="/rel"), path_redirect="rel"),
                dr("fallback", match(prefix="/")),
            ]),
        ])

    variants = {
        "plain": (8100, {}),
        "remote": (8101, {"use_remote_address": True}),
        "noid": (8102, {"generate_request_id": False}),
        "internal": (8103, {"use_remote_address": True, "internal_address_config": {
            "cidr_ranges": [{"address_prefix": "127.0.0.0", "prefix_len": 8}]}}),
        "stripany": (8104, {"strip_trailing_host_dot": True, "strip_any_host_port": True}),
        "stripmatch": (8105, {"strip_trailing_host_dot": True, "strip_matching_host_port": True}),
    }
    ls = [listener(tag, "127.0.0.1", port, [chain(f"ch-{tag}", [hcm(tag, L, route_config=rc(tag), **kw)])], L)
          for tag, (port, kw) in variants.items()]
    https = {"x-forwarded-proto": "https"}
    cases: list[tuple[str, str, dict[str, str]]] = [
        ("secure.example", "/p?q=1", {}), ("secure.example:80", "/p", {}), ("secure.example:8000", "/p", {}),
        ("secure.example", "/p", https), ("secure.example", "/p", {"x-forwarded-proto": "HTTPS"}),
        ("ext.example", "/p", {}), ("ext.example", "/p", {"x-envoy-internal": "true"}), ("ext.example", "/p", https),
        ("empty.example", "/p", {}), ("h", "/xfp", {}), ("h", "/xfp", https), ("h", "/rid", {}),
        ("h", "/rid", {"x-request-id": "mine"}), ("h:443", "/tohttp", https), ("h:443", "/tohttp", {}),
        ("h:80", "/tohttps", {}), ("h:443", "/keep", https), ("h:8000", "/same", {}), ("h:8104", "/same", {}),
        ("h:8105", "/same", {}), ("h.:8105", "/same", {}), ("dot.example.", "/", {}), ("dot.example.:8104", "/", {}),
        ("dot.example.:8105", "/", {}), ("dot.example:8105", "/", {}), ("DOT.example.", "/", {}),
        ("h", "/pq?old=1", {}), ("h", "/re/x?k=1", {}), ("h", "/pp?k=1", {}), ("h", "/rel", {}),
    ]
    for port, _ in variants.values():
        for host, path, headers in cases:
            c.probe(f"127.0.0.1:{port}", host, path, headers=headers)
    for host, path, headers in cases[:6]:
        c.probe("127.0.0.1:8100", host, path, headers=headers, versions=("1.0", "2"))
    return c.config("connection-manager request changes, require_tls, redirect Locations", ls,
                    backend_clusters("c-a"))


# ---------------------------------------------------------------------------------------------------
@_config
def inbound_sidecar(c: Ctx) -> LabConfig:
    """Traffic to the pod's own IP with Istio's inbound iptables: every port is redirected to the INBOUND
    listener (virtualInbound, original_dst) except 15008/15090/15021/15020, which reach the listener bound
    there (or nothing); strip_matching_host_port compares the Host port with the original destination
    port, not 15006."""
    L = c.log
    pod = "10.0.0.1"
    rc_in = route_config("rc-inbound", [
        vhost("in-svc", ["svc"], [route("in-svc", match(prefix="/"), direct_response={"status": 200})]),
        vhost("in-svc15006", ["svc:15006"], [route("in-svc15006", match(prefix="/"), direct_response={"status": 200})]),
        vhost("in-any", ["*"], [route("in-any", match(prefix="/"), direct_response={"status": 200})]),
    ])
    rc_health = route_config("rc-health", [vhost("hz", ["*"], [
        route("hz-ready", match(path="/healthz/ready"), direct_response={"status": 200}),
        route("hz-other", match(prefix="/"), direct_response={"status": 404})])])
    ls = [
        listener("virtualInbound", "0.0.0.0", 15006, [
            chain("inb-9080", [hcm("inb9080", L, route_config=rc_in, strip_matching_host_port=True)],
                  {"destination_port": 9080}),
            chain("inb-7070", [tcp_proxy("inb7070", L, "c-tcp")], {"destination_port": 7070}),
        ], L, listener_filters=["original_dst", "http_inspector"], traffic_direction="INBOUND"),
        listener("0.0.0.0_15021", "0.0.0.0", 15021, [chain("ch-15021", [hcm("hz", L, route_config=rc_health)])], L),
    ]
    for host, exp in [("svc:9080", "DR:in-svc"), ("svc", "DR:in-svc"), ("svc:15006", "DR:in-svc15006"),
                      ("svc:1", "DR:in-any"), ("SVC:9080", "DR:in-svc")]:
        c.probe(f"{pod}:9080", host, "/", expect=exp, versions=VERSIONS)
    c.probe(f"{pod}:7070", "svc", "/", expect="TCP:c-tcp")
    c.probe(f"{pod}:15021", f"{pod}:15021", "/healthz/ready", expect="DR:hz-ready", versions=VERSIONS)
    c.probe(f"{pod}:15021", "x", "/other", expect="DR:hz-other")
    c.probe(f"{pod}:15020", "x", "/", expect="NOLISTENER")
    setup = [["ip", "addr", "add", f"{pod}/32", "dev", "lo"],
             ["iptables", "-t", "nat", "-A", "OUTPUT", "-p", "tcp", "-d", pod, "-m", "multiport", "--dports",
              "15008,15090,15021,15020", "-j", "RETURN"],
             ["iptables", "-t", "nat", "-A", "OUTPUT", "-p", "tcp", "-d", pod, "-j", "REDIRECT", "--to-ports",
              "15006"]]
    cfg = c.config("inbound traffic to the pod IP (Istio iptables)", ls, backend_clusters("c-tcp"),
                   requires=["iptables"], netns_setup=setup)
    cfg.bootstrap["node"]["id"] = f"sidecar~{pod}~pod.ns~ns.svc.cluster.local"  # the proxy's own IP
    return cfg


# ---------------------------------------------------------------------------------------------------
@_config
def address_family(c: Ctx) -> LabConfig:
    """Original-destination hand-off respects the address family: an IPv4 destination goes to the
    0.0.0.0 listener of its port, never to a "::" one unless that has ipv4_compat (PROXY protocol
    restores the IPv4 destinations; the client has no IPv6)."""
    L = c.log

    def dr_chain(name: str) -> list[Json]:
        rc = route_config(f"rc-{name}", [vhost(f"vh-{name}", ["*"], [
            route(f"r-{name}", match(prefix="/"), direct_response={"status": 200})])])
        return [chain(f"ch-{name}", [hcm(name, L, route_config=rc)])]

    compat = listener("compat6_7002", "::", 7002, dr_chain("compat6"), L, bind_to_port=False)
    compat["address"]["socket_address"]["ipv4_compat"] = True
    ls = [
        listener("virtualOutbound", "127.0.0.1", 15001, dr_chain("catch"), L, listener_filters=["proxy_protocol"],
                 use_original_dst=True, traffic_direction="OUTBOUND"),
        listener("v4_9080", "0.0.0.0", 9080, dr_chain("v4"), L, bind_to_port=False),
        listener("v6_9080", "::", 9080, dr_chain("v6"), L, bind_to_port=False),
        listener("only4_7000", "0.0.0.0", 7000, dr_chain("only4"), L, bind_to_port=False),
        listener("only6_7001", "::", 7001, dr_chain("only6"), L, bind_to_port=False),
        compat,
    ]
    for dst, exp in [("10.0.0.5:9080", "DR:r-v4"), ("10.0.0.5:7000", "DR:r-only4"), ("10.0.0.5:7001", "DR:r-catch"),
                     ("10.0.0.5:7002", "DR:r-compat6"), ("10.0.0.5:7003", "DR:r-catch")]:
        c.probe("127.0.0.1:15001", "svc.example", "/", expect=exp, proxy_src="auto", proxy_dst=dst,
                versions=("1.1", "2"))
    return c.config("original-destination hand-off by address family", ls, backend_clusters("c-a"))


from envoy_lab import configs_requests  # noqa: E402,F401  (registers the request-side configurations)
