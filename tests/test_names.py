"""meshlens.models.names: every Envoy/Istio/ztunnel name string, parsed in one place."""

from __future__ import annotations

import dataclasses
import gzip
import io
import json
import tarfile
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from meshlens.models.names import (
    DIRECTIONS,
    SPECIAL_CLUSTERS,
    ClusterName,
    FilterChainName,
    GatewayDestination,
    IstioConfigRef,
    ListenerName,
    NamespacedHostname,
    NameValue,
    NetworkAddress,
    NodeId,
    RbacPolicyName,
    RouteConfigName,
    SecretName,
    SpiffeId,
    VirtualHostName,
    WorkloadMetadata,
    WorkloadUid,
    build_srv_subset_key,
    build_subset_key,
)
from tests.conftest import fixture_path

ALL_TYPES: list[type[NameValue]] = [
    ClusterName,
    FilterChainName,
    GatewayDestination,
    IstioConfigRef,
    ListenerName,
    NamespacedHostname,
    NetworkAddress,
    NodeId,
    RbacPolicyName,
    RouteConfigName,
    SecretName,
    SpiffeId,
    VirtualHostName,
    WorkloadMetadata,
    WorkloadUid,
]
REVIEWS = "reviews.default.svc.cluster.local"


def fields(value: Any, *names: str) -> tuple[Any, ...]:
    return tuple(getattr(value, n) for n in names)


# ------------------------------------------------------------------------------------------ clusters
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (f"outbound|9080|v1|{REVIEWS}", ("outbound", "pipe", "outbound", 9080, "v1", REVIEWS)),
        (f"outbound|9080||{REVIEWS}", ("outbound", "pipe", "outbound", 9080, "", REVIEWS)),
        (
            "outbound|53||kube-dns.kube-system.svc.cluster.local",
            ("outbound", "pipe", "outbound", 53, "", "kube-dns.kube-system.svc.cluster.local"),
        ),
        ("outbound|443||httpbin.example.com", ("outbound", "pipe", "outbound", 443, "", "httpbin.example.com")),
        ("inbound|9080||", ("inbound", "pipe", "inbound", 9080, "", "")),
        ("inbound|0||", ("inbound", "pipe", "inbound", 0, "", "")),
        # pre-1.8 inbound keys carried the port name and the host
        (
            "inbound|9080|http|productpage.default.svc.cluster.local",
            ("inbound", "pipe", "inbound", 9080, "http", "productpage.default.svc.cluster.local"),
        ),
        (
            "inbound-vip|8000|http|httpbin.default.svc.cluster.local",
            ("inbound-vip", "pipe", "inbound-vip", 8000, "http", "httpbin.default.svc.cluster.local"),
        ),
        (
            "inbound-vip|9080|http/v2|reviews.default.svc.cluster.local",
            ("inbound-vip", "pipe", "inbound-vip", 9080, "http/v2", REVIEWS),
        ),
        (f"outbound_.9080_.v1_.{REVIEWS}", ("outbound", "srv", "outbound", 9080, "v1", REVIEWS)),
        (f"outbound_.9080_._.{REVIEWS}", ("outbound", "srv", "outbound", 9080, "", REVIEWS)),
        ("inbound_.8080_._.", ("inbound", "srv", "inbound", 8080, "", "")),
        ("BlackHoleCluster", ("special", "special", None, None, "", "")),
        ("sds-grpc", ("special", "special", None, None, "", "")),
        ("my-static-cluster", ("opaque", "opaque", None, None, "", "")),
        ("", ("opaque", "opaque", None, None, "", "")),
        ("sideways|9080||x", ("opaque", "opaque", None, None, "", "")),  # unknown direction
        ("outbound|http||x", ("opaque", "opaque", None, None, "", "")),  # port not a number
        ("outbound|99999||x", ("opaque", "opaque", None, None, "", "")),  # port out of range
        ("outbound|9080||a|b", ("opaque", "opaque", None, None, "", "")),  # hosts never hold "|"
        ("outbound|9080|v1", ("opaque", "opaque", None, None, "", "")),
        ("outbound_.x_.v1_.h", ("opaque", "opaque", None, None, "", "")),
        ("outbound_.9080_.v1", ("opaque", "opaque", None, None, "", "")),
        ("Outbound|9080||x", ("opaque", "opaque", None, None, "", "")),  # case matters
        ("blackholecluster", ("opaque", "opaque", None, None, "", "")),
    ],
)
def test_cluster_name_parse(name: str, expected: tuple[Any, ...]) -> None:
    parsed = ClusterName.parse(name)
    assert fields(parsed, "kind", "form", "direction", "port", "subset", "host") == expected
    assert str(parsed) == name == parsed.raw


@pytest.mark.parametrize("name", sorted(SPECIAL_CLUSTERS))
def test_every_special_cluster_is_special(name: str) -> None:
    parsed = ClusterName.parse(name)
    assert parsed.is_special and parsed.kind == "special" and parsed.form == "special"
    assert not parsed.is_subset_key and parsed.pipe_key is None and parsed.srv_key is None
    assert parsed.namespace is None and parsed.short_name == name


@pytest.mark.parametrize(
    ("name", "namespace", "short_name", "is_subset", "dr_subset", "protocol"),
    [
        (f"outbound|9080|v1|{REVIEWS}", "default", "reviews", True, "v1", None),
        (f"outbound|9080||{REVIEWS}", "default", "reviews", False, "", None),
        ("outbound|15012||istiod.istio-system.svc.cluster.local", "istio-system", "istiod", False, "", None),
        ("outbound|80||web.shop.svc.corp.example", "shop", "web", False, "", None),  # custom domain
        ("outbound|80||web.shop.svc", "shop", "web", False, "", None),
        ("outbound|443||httpbin.example.com", None, "httpbin.example.com", False, "", None),
        ("outbound|443||*.example.com", None, "*.example.com", False, "", None),
        ("inbound|9080||", None, "inbound|9080||", False, "", None),
        ("inbound-vip|8000|http|httpbin.default.svc.cluster.local", "default", "httpbin", False, "", "http"),
        ("inbound-vip|8000|tcp|httpbin.default.svc.cluster.local", "default", "httpbin", False, "", "tcp"),
        ("inbound-vip|9080|http/v2|reviews.default.svc.cluster.local", "default", "reviews", True, "v2", "http"),
        ("inbound-vip|9080|internal|reviews.default.svc.cluster.local", "default", "reviews", False, "", "internal"),
        ("inbound-vip|9080||reviews.default.svc.cluster.local", "default", "reviews", False, "", None),
        (f"outbound_.9080_.v3_.{REVIEWS}", "default", "reviews", True, "v3", None),
        ("PassthroughCluster", None, "PassthroughCluster", False, "", None),
        ("whatever", None, "whatever", False, "", None),
    ],
)
def test_cluster_name_helpers(
    name: str, namespace: str | None, short_name: str, is_subset: bool, dr_subset: str, protocol: str | None
) -> None:
    parsed = ClusterName.parse(name)
    assert parsed.namespace == namespace
    assert parsed.short_name == short_name
    assert parsed.is_subset is is_subset
    assert parsed.dr_subset == dr_subset
    assert parsed.protocol == protocol


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize(
    ("port", "subset", "host"),
    [
        (9080, "v1", REVIEWS),
        (9080, "", REVIEWS),
        (15006, "", ""),
        (0, "", ""),
        (65535, "canary-2", "a.b"),
        (443, "", "httpbin.example.com"),
        (8000, "http/v1", "httpbin.default.svc.cluster.local"),
    ],
)
def test_subset_key_round_trip(direction: str, port: int, subset: str, host: str) -> None:
    key = build_subset_key(direction, port, subset, host)
    parsed = ClusterName.parse(key)
    assert fields(parsed, "kind", "form", "direction", "port", "subset", "host") == (
        direction,
        "pipe",
        direction,
        port,
        subset,
        host,
    )
    assert str(parsed) == key and parsed.pipe_key == key
    srv = build_srv_subset_key(direction, port, subset, host)
    assert parsed.srv_key == srv
    parsed_srv = ClusterName.parse(srv)
    assert fields(parsed_srv, "kind", "form", "direction", "port", "subset", "host") == (
        direction,
        "srv",
        direction,
        port,
        subset,
        host,
    )
    assert parsed_srv.pipe_key == key and str(parsed_srv) == srv
    assert parsed_srv != parsed  # different strings are different values, even for the same key


def test_build_subset_key_matches_istio_examples() -> None:
    assert build_subset_key("outbound", 9080, "v1", REVIEWS) == f"outbound|9080|v1|{REVIEWS}"
    assert build_subset_key("inbound", 9080) == "inbound|9080||"
    assert build_srv_subset_key("outbound", 9080, "v1", REVIEWS) == f"outbound_.9080_.v1_.{REVIEWS}"


@pytest.mark.parametrize(
    ("name", "prefix", "columns", "sort_key"),
    [
        (f"outbound|9080|v1|{REVIEWS}", "", (REVIEWS, "9080", "v1", "outbound"), (REVIEWS, "v1", 9080, "outbound")),
        (f"outbound|9080||{REVIEWS}", "", (REVIEWS, "9080", "-", "outbound"), (REVIEWS, "", 9080, "outbound")),
        ("inbound|9080||", "", ("", "9080", "-", "inbound"), ("", "", 9080, "inbound")),
        # the waypoint quirk: the protocol shows as SUBSET
        (
            "inbound-vip|8000|http|httpbin.default.svc.cluster.local",
            "cluster/",
            ("httpbin.default.svc.cluster.local", "8000", "http", "inbound-vip"),
            ("httpbin.default.svc.cluster.local", "http", 8000, "inbound-vip"),
        ),
        # names istioctl does not split: the whole name as FQDN, "-" for the rest
        ("BlackHoleCluster", "", ("BlackHoleCluster", "-", "-", "-"), ("BlackHoleCluster", "", 0, "")),
        ("agent", "cluster/", ("cluster/agent", "-", "-", "-"), ("agent", "", 0, "")),
        (
            f"outbound_.9080_.v1_.{REVIEWS}",
            "",
            (f"outbound_.9080_.v1_.{REVIEWS}", "-", "-", "-"),
            (f"outbound_.9080_.v1_.{REVIEWS}", "", 0, ""),
        ),
        ("a|b|c", "", ("a|b|c", "-", "-", "-"), ("a|b|c", "", 0, "")),
        # istioctl splits any name with 3+ "|" without checking it: bad ports read 0, extra "|" empty the host
        ("foo|bar|baz|qux", "", ("qux", "0", "baz", "foo"), ("qux", "baz", 0, "foo")),
        ("outbound|9080||a|b", "", ("", "9080", "-", "outbound"), ("", "", 9080, "outbound")),
        ("outbound|-1||x", "", ("x", "-1", "-", "outbound"), ("x", "", -1, "outbound")),
    ],
)
def test_istioctl_cluster_columns(name: str, prefix: str, columns: tuple[str, ...], sort_key: tuple[Any, ...]) -> None:
    parsed = ClusterName.parse(name)
    assert parsed.istioctl_columns(prefix) == columns
    assert parsed.istioctl_sort_key() == sort_key


def _golden_table(text: str, first: str) -> list[list[str]]:
    """Rows of an istioctl tabwriter section whose NAME starts with ``first`` (cells split on 2+ spaces)."""
    rows = []
    for line in text.splitlines():
        if line.startswith(first):
            rows.append([c.strip() for c in line.rstrip().split("  ") if c.strip()])
    return rows


def test_istioctl_columns_match_golden_pc_all() -> None:
    golden = fixture_path("istio", "golden__pc-all-short__waypoint-full.txt").read_text()
    rows = _golden_table(golden, "cluster/")
    assert rows, "no cluster rows in the golden file"
    names = []
    for row in rows:
        name = row[0].removeprefix("cluster/")
        names.append(name)
        assert list(ClusterName.parse(name).istioctl_columns("cluster/")) == row[1:5], row
    # istioctl prints clusters in its sort order
    assert sorted(names, key=lambda n: ClusterName.parse(n).istioctl_sort_key()) == names


# ----------------------------------------------------------------------------------------- listeners
@pytest.mark.parametrize(
    ("name", "kind", "address", "port", "transport"),
    [
        ("0.0.0.0_9080", "address", "0.0.0.0", 9080, "tcp"),
        ("10.96.0.10_53", "address", "10.96.0.10", 53, "tcp"),
        ("127.0.0.1_9080", "address", "127.0.0.1", 9080, "tcp"),
        ("::_9080", "address", "::", 9080, "tcp"),
        ("[::]_15001", "address", "::", 15001, "tcp"),
        ("fd00:10:96::a_443", "address", "fd00:10:96::a", 443, "tcp"),
        ("udp_0.0.0.0_443", "address", "0.0.0.0", 443, "udp"),
        ("virtualOutbound", "virtual-outbound", None, None, None),
        ("virtualInbound", "virtual-inbound", None, None, None),
        ("main_internal", "internal", None, None, None),
        ("connect_originate", "internal", None, None, None),
        ("connect_terminate", "internal", None, None, None),
        ("", "unnamed", None, None, None),
        (None, "unnamed", None, None, None),
        ("0.0.0.0_99999", "opaque", None, None, None),
        ("0.0.0.0:9080", "opaque", None, None, None),
        ("not-an-ip_9080", "opaque", None, None, None),
        ("0.0.0.0_", "opaque", None, None, None),
        ("_9080", "opaque", None, None, None),
        ("udp_", "opaque", None, None, None),
        ("virtualoutbound", "opaque", None, None, None),
        ("my_listener", "opaque", None, None, None),
    ],
)
def test_listener_name_parse(
    name: str | None, kind: str, address: str | None, port: int | None, transport: str | None
) -> None:
    parsed = ListenerName.parse(name)
    assert fields(parsed, "kind", "address", "port", "transport") == (kind, address, port, transport)
    assert str(parsed) == (name or "")


def test_listener_helpers() -> None:
    assert ListenerName.parse("0.0.0.0_9080").is_wildcard
    assert ListenerName.parse("::_9080").is_wildcard
    assert not ListenerName.parse("10.96.0.10_53").is_wildcard
    assert str(ListenerName.parse("10.96.0.10_53").ip) == "10.96.0.10"
    assert ListenerName.parse("virtualOutbound").is_virtual
    assert not ListenerName.parse("main_internal").is_virtual
    assert ListenerName.parse("main_internal").ip is None


@pytest.mark.parametrize(
    ("name", "kind", "port", "cluster", "qualifier"),
    [
        ("virtualOutbound-blackhole", "virtual", None, None, "blackhole"),
        ("virtualOutbound-catchall-tcp", "virtual", None, None, "catchall-tcp"),
        ("virtualInbound-catchall-http", "virtual", None, None, "catchall-http"),
        ("virtualInbound", "virtual", None, None, ""),
        ("0.0.0.0_80", "address", 80, None, ""),
        ("0.0.0.0_9080-raw", "address", 9080, None, "raw"),
        ("PassthroughFilterChain", "passthrough", None, None, ""),
        ("direct-tcp", "direct", None, None, "tcp"),
        (
            "inbound-vip|8000||httpbin.default.svc.cluster.local-http",
            "service",
            8000,
            "inbound-vip|8000||httpbin.default.svc.cluster.local",
            "http",
        ),
        (
            "inbound-vip|8000||httpbin.default.svc.cluster.local-tcp",
            "service",
            8000,
            "inbound-vip|8000||httpbin.default.svc.cluster.local",
            "tcp",
        ),
        ("outbound|80||my-svc.ns.svc.cluster.local", "service", 80, "outbound|80||my-svc.ns.svc.cluster.local", ""),
        ("", "unnamed", None, None, ""),
        ("default", "opaque", None, None, ""),
        ("virtualInboundX", "opaque", None, None, ""),
    ],
)
def test_filter_chain_name_parse(name: str, kind: str, port: int | None, cluster: str | None, qualifier: str) -> None:
    parsed = FilterChainName.parse(name)
    assert (parsed.kind, parsed.port, parsed.qualifier) == (kind, port, qualifier)
    assert (str(parsed.cluster) if parsed.cluster else None) == cluster


# -------------------------------------------------------------------------------------------- routes
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("9080", ("port", 9080, None, None, None, None, None)),
        ("80", ("port", 80, None, None, None, None, None)),
        (f"{REVIEWS}:9080", ("host-port", 9080, REVIEWS, None, None, None, None)),
        ("[fd00::1]:9080", ("host-port", 9080, "[fd00::1]", None, None, None, None)),
        ("http.8080", ("gateway-http", 8080, None, None, None, None, None)),
        ("http.80.10.0.0.5", ("gateway-http", 80, None, "10.0.0.5", None, None, None)),
        (
            "https.443.https.bookinfo-gateway.default",
            ("gateway-https", 443, None, None, "https", "bookinfo-gateway", "default"),
        ),
        (
            "https.443.https-443.gw.istio-system.10.1.2.3",
            ("gateway-https", 443, None, "10.1.2.3", "https-443", "gw", "istio-system"),
        ),
        ("https.443.tls.gw.ns.fd00::5", ("gateway-https", 443, None, "fd00::5", "tls", "gw", "ns")),
        ("https.8443.https.my.dotted.gw.prod", ("gateway-https", 8443, None, None, "https", "my.dotted.gw", "prod")),
        ("", ("unnamed", None, None, None, None, None, None)),
        (None, ("unnamed", None, None, None, None, None, None)),
        ("https.443.onlytwo.parts", ("opaque", None, None, None, None, None, None)),
        ("http.x", ("opaque", None, None, None, None, None, None)),
        ("99999", ("opaque", None, None, None, None, None, None)),
        ("allow_any", ("opaque", None, None, None, None, None, None)),
        ("host:notaport", ("opaque", None, None, None, None, None, None)),
    ],
)
def test_route_config_name_parse(name: str | None, expected: tuple[Any, ...]) -> None:
    parsed = RouteConfigName.parse(name)
    got = fields(parsed, "kind", "port", "host", "bind", "port_name", "gateway_name", "gateway_namespace")
    assert got == expected
    assert parsed.cluster is None


@pytest.mark.parametrize(
    ("name", "direction", "port"),
    [
        ("inbound|9080||", "inbound", 9080),
        ("inbound-vip|8000|http|httpbin.default.svc.cluster.local", "inbound-vip", 8000),
    ],
)
def test_route_config_name_delegates_cluster_keys(name: str, direction: str, port: int) -> None:
    parsed = RouteConfigName.parse(name)
    assert parsed.kind == "cluster" and parsed.port == port
    assert parsed.cluster == ClusterName.parse(name) and parsed.cluster.direction == direction


@pytest.mark.parametrize(
    ("name", "kind", "host", "port", "protocol"),
    [
        (f"{REVIEWS}:9080", "host-port", REVIEWS, 9080, None),
        ("*:80", "host-port", "*", 80, None),
        ("httpbin.example.com:80", "host-port", "httpbin.example.com", 80, None),
        ("inbound|http|9080", "inbound", None, 9080, "http"),
        ("allow_any", "allow-any", None, None, None),
        ("block_all", "block-all", None, None, None),
        ("", "unnamed", None, None, None),
        ("backend", "opaque", None, None, None),
        ("inbound|http|x", "opaque", None, None, None),
    ],
)
def test_virtual_host_name_parse(
    name: str, kind: str, host: str | None, port: int | None, protocol: str | None
) -> None:
    assert fields(VirtualHostName.parse(name), "kind", "host", "port", "protocol") == (kind, host, port, protocol)


# ------------------------------------------------------------------------------------------- secrets
@pytest.mark.parametrize(
    ("name", "kind", "secret", "namespace", "paths", "is_ca"),
    [
        ("default", "workload-cert", None, None, (), False),
        ("ROOTCA", "root-ca", None, None, (), True),
        ("kubernetes://bookinfo-credential", "kubernetes", "bookinfo-credential", None, (), False),
        ("kubernetes://bookinfo-credential-cacert", "kubernetes", "bookinfo-credential-cacert", None, (), True),
        ("kubernetes://istio-system/gw-cert", "kubernetes", "gw-cert", "istio-system", (), False),
        ("kubernetes-gateway://default/my-cert", "kubernetes-gateway", "my-cert", "default", (), False),
        ("configmap://some/thing", "configmap", "thing", "some", (), True),
        ("builtin://", "builtin", None, None, (), False),
        (
            "file-cert:/etc/certs/cert-chain.pem~/etc/certs/key.pem",
            "file-cert",
            None,
            None,
            ("/etc/certs/cert-chain.pem", "/etc/certs/key.pem"),
            False,
        ),
        ("file-root:/etc/certs/root-cert.pem", "file-root", None, None, ("/etc/certs/root-cert.pem",), True),
        ("", "unnamed", None, None, (), False),
        ("static-spiffe://cluster.local/ns/default/sa/x", "opaque", None, None, (), False),
        ("Default", "opaque", None, None, (), False),
    ],
)
def test_secret_name_parse(
    name: str, kind: str, secret: str | None, namespace: str | None, paths: tuple[str, ...], is_ca: bool
) -> None:
    parsed = SecretName.parse(name)
    assert fields(parsed, "kind", "name", "namespace", "paths", "is_ca") == (kind, secret, namespace, paths, is_ca)


# ---------------------------------------------------------------------------------------- identities
@pytest.mark.parametrize(
    ("node_id", "expected"),
    [
        (
            "sidecar~10.244.0.22~productpage-v1-6c886ff494-7vxhs.default~default.svc.cluster.local",
            (
                "node",
                "sidecar",
                "10.244.0.22",
                "productpage-v1-6c886ff494-7vxhs.default",
                "productpage-v1-6c886ff494-7vxhs",
                "default",
                "default.svc.cluster.local",
            ),
        ),
        (
            "router~10.244.0.9~istio-ingressgateway-5c4d.istio-system~istio-system.svc.cluster.local",
            (
                "node",
                "router",
                "10.244.0.9",
                "istio-ingressgateway-5c4d.istio-system",
                "istio-ingressgateway-5c4d",
                "istio-system",
                "istio-system.svc.cluster.local",
            ),
        ),
        (
            "waypoint~192.168.252.229~httpbin-istio-waypoint-58f646c5ff-dbfkz.default~default.svc.cluster.local",
            (
                "node",
                "waypoint",
                "192.168.252.229",
                "httpbin-istio-waypoint-58f646c5ff-dbfkz.default",
                "httpbin-istio-waypoint-58f646c5ff-dbfkz",
                "default",
                "default.svc.cluster.local",
            ),
        ),
        (
            "ztunnel~10.244.1.2~ztunnel-abcde.istio-system~istio-system.svc.cluster.local",
            (
                "node",
                "ztunnel",
                "10.244.1.2",
                "ztunnel-abcde.istio-system",
                "ztunnel-abcde",
                "istio-system",
                "istio-system.svc.cluster.local",
            ),
        ),
        # pod names may contain dots: the namespace is after the last one
        (
            "sidecar~fd00::5~vm.example.prod~prod.svc.cluster.local",
            ("node", "sidecar", "fd00::5", "vm.example.prod", "vm.example", "prod", "prod.svc.cluster.local"),
        ),
        # no "pod.ns": the namespace comes from the DNS domain, if it says
        (
            "sidecar~1.2.3.4~foo~bar.svc.cluster.local",
            ("node", "sidecar", "1.2.3.4", "foo", "foo", "bar", "bar.svc.cluster.local"),
        ),
        ("sidecar~1.2.3.4~foo~bar", ("node", "sidecar", "1.2.3.4", "foo", "foo", None, "bar")),
        ("sidecar~~~", ("node", "sidecar", None, None, None, None, None)),
        ("productpage-v1", ("opaque", None, None, None, None, None, None)),
        ("", ("opaque", None, None, None, None, None, None)),
        ("a~b~c", ("opaque", None, None, None, None, None, None)),
        ("a~b~c~d~e", ("opaque", None, None, None, None, None, None)),
        ("~10.0.0.1~p.ns~ns.svc.cluster.local", ("opaque", None, None, None, None, None, None)),
    ],
)
def test_node_id_parse(node_id: str, expected: tuple[Any, ...]) -> None:
    parsed = NodeId.parse(node_id)
    assert fields(parsed, "kind", "type", "ip", "pod_namespace", "pod", "namespace", "dns_domain") == expected
    assert str(parsed) == node_id


def test_node_id_known_types() -> None:
    assert NodeId.parse("router~1.1.1.1~a.b~b.svc.cluster.local").is_known_type
    assert not NodeId.parse("mystery~1.1.1.1~a.b~b.svc.cluster.local").is_known_type
    assert not NodeId.parse("opaque").is_known_type


@pytest.mark.parametrize(
    ("value", "kind", "trust_domain", "namespace", "service_account", "uri"),
    [
        (
            "spiffe://cluster.local/ns/default/sa/bookinfo-productpage",
            "workload",
            "cluster.local",
            "default",
            "bookinfo-productpage",
            "spiffe://cluster.local/ns/default/sa/bookinfo-productpage",
        ),
        (
            "cluster.local/ns/istio-system/sa/istiod",
            "workload",
            "cluster.local",
            "istio-system",
            "istiod",
            "spiffe://cluster.local/ns/istio-system/sa/istiod",
        ),
        ("spiffe://cluster.local/", "spiffe", "cluster.local", None, None, "spiffe://cluster.local/"),
        ("spiffe://example.org", "spiffe", "example.org", None, None, "spiffe://example.org"),
        ("spiffe://example.org/service/web", "spiffe", "example.org", None, None, "spiffe://example.org/service/web"),
        ("spiffe://td/ns//sa/x", "spiffe", "td", None, None, "spiffe://td/ns//sa/x"),
        ("spiffe:///ns/a/sa/b", "opaque", None, None, None, None),
        ("spiffe://", "opaque", None, None, None, None),
        ("example.org/service/web", "opaque", None, None, None, None),
        ("https://cluster.local/ns/a/sa/b", "opaque", None, None, None, None),
        ("", "opaque", None, None, None, None),
    ],
)
def test_spiffe_id_parse(
    value: str,
    kind: str,
    trust_domain: str | None,
    namespace: str | None,
    service_account: str | None,
    uri: str | None,
) -> None:
    parsed = SpiffeId.parse(value)
    assert fields(parsed, "kind", "trust_domain", "namespace", "service_account", "uri") == (
        kind,
        trust_domain,
        namespace,
        service_account,
        uri,
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "reviews-v1;default;reviews;v1;Kubernetes",
            ("workload", "reviews-v1", "default", "reviews", "v1", "Kubernetes"),
        ),
        ("istiod;istio-system;;;Kubernetes", ("workload", "istiod", "istio-system", "", "", "Kubernetes")),
        (";;;;Kubernetes", ("workload", "", "", "", "", "Kubernetes")),
        ("a;b;c;d;e;future", ("workload", "a", "b", "c", "d", "e")),
        ("reviews-v1;default", ("opaque", "", "", "", "", "")),
        ("", ("opaque", "", "", "", "", "")),
    ],
)
def test_workload_metadata_parse(value: str, expected: tuple[str, ...]) -> None:
    parsed = WorkloadMetadata.parse(value)
    got = fields(parsed, "kind", "workload", "namespace", "canonical_name", "canonical_revision", "cluster_id")
    assert got == expected


@pytest.mark.parametrize(
    ("value", "expected", "name_namespace", "column"),
    [
        (
            "/apis/networking.istio.io/v1alpha3/namespaces/default/virtual-service/reviews",
            ("virtual-service", "networking.istio.io", "v1alpha3", "default", "reviews"),
            "reviews.default",
            "reviews.default",
        ),
        (
            "/apis/networking.istio.io/v1/namespaces/bookinfo/destination-rule/reviews",
            ("destination-rule", "networking.istio.io", "v1", "bookinfo", "reviews"),
            "reviews.bookinfo",
            "reviews.bookinfo",
        ),
        (
            "/apis/gateway.networking.k8s.io/v1/namespaces/default/httproute/web",
            ("httproute", "gateway.networking.k8s.io", "v1", "default", "web"),
            "web.default",
            "<unknown>",
        ),
        (
            "/apis/networking.istio.io/v1/namespaces/default/virtual-service",
            ("opaque", None, None, None, None),
            None,
            "",
        ),
        ("my-config", ("opaque", None, None, None, None), None, "<unknown>"),
        ("", ("opaque", None, None, None, None), None, ""),
    ],
)
def test_istio_config_ref_parse(value: str, expected: tuple[Any, ...], name_namespace: str | None, column: str) -> None:
    parsed = IstioConfigRef.parse(value)
    assert fields(parsed, "kind", "group", "version", "namespace", "name") == expected
    assert parsed.name_namespace == name_namespace
    assert parsed.istioctl_column() == column


@pytest.mark.parametrize(
    ("value", "kind", "namespace", "policy", "rule", "name_namespace"),
    [
        ("ns[default]-policy[httpbin]-rule[0]", "policy", "default", "httpbin", 0, "httpbin.default"),
        (
            "istio-ext-authz-ns[default]-policy[ext-authz]-rule[12]",
            "ext-authz",
            "default",
            "ext-authz",
            12,
            "ext-authz.default",
        ),
        ("ns[a]-policy[we]ird]-rule[1]", "policy", "a", "we]ird", 1, "we]ird.a"),
        ("ns[default]-policy[httpbin]-rule[x]", "opaque", None, None, None, None),
        ("ns[default]-policy[]-rule[0]", "opaque", None, None, None, None),
        ("_anonymous_match_nothing_", "opaque", None, None, None, None),
        ("", "opaque", None, None, None, None),
    ],
)
def test_rbac_policy_name_parse(
    value: str, kind: str, namespace: str | None, policy: str | None, rule: int | None, name_namespace: str | None
) -> None:
    parsed = RbacPolicyName.parse(value)
    assert fields(parsed, "kind", "namespace", "policy", "rule", "name_namespace") == (
        kind,
        namespace,
        policy,
        rule,
        name_namespace,
    )


# ------------------------------------------------------------------------------------------- ztunnel
@pytest.mark.parametrize(
    ("value", "kind", "network", "address"),
    [
        ("net1/10.0.0.1", "address", "net1", "10.0.0.1"),
        ("/10.96.0.1", "address", "", "10.96.0.1"),
        ("net1/fd00::1", "address", "net1", "fd00::1"),
        ("/::1", "address", "", "::1"),
        ("net/240.240.0.0/16", "opaque", None, None),  # a CIDR is not an address
        ("10.0.0.1", "opaque", None, None),
        ("default/reviews.default.svc.cluster.local", "opaque", None, None),
        ("", "opaque", None, None),
    ],
)
def test_network_address_parse(value: str, kind: str, network: str | None, address: str | None) -> None:
    parsed = NetworkAddress.parse(value)
    assert fields(parsed, "kind", "network", "address") == (kind, network, address)
    assert (str(parsed.ip) if parsed.ip else None) == address


@pytest.mark.parametrize(
    ("value", "kind", "namespace", "hostname"),
    [
        ("bookinfo/reviews.bookinfo.svc.cluster.local", "hostname", "bookinfo", "reviews.bookinfo.svc.cluster.local"),
        ("default/allow-nothing", "hostname", "default", "allow-nothing"),
        ("default/", "opaque", None, None),
        ("/host", "opaque", None, None),
        ("a/b/c", "opaque", None, None),
        ("nohost", "opaque", None, None),
    ],
)
def test_namespaced_hostname_parse(value: str, kind: str, namespace: str | None, hostname: str | None) -> None:
    assert fields(NamespacedHostname.parse(value), "kind", "namespace", "hostname") == (kind, namespace, hostname)


@pytest.mark.parametrize(
    ("value", "kind", "detail"),
    [
        ("/10.96.65.117", "address", ("", "10.96.65.117")),
        ("net1/fd00::7", "address", ("net1", "fd00::7")),
        (
            "bookinfo/waypoint.bookinfo.svc.cluster.local",
            "hostname",
            ("bookinfo", "waypoint.bookinfo.svc.cluster.local"),
        ),
        ("10.96.65.117", "opaque", None),
        ("", "opaque", None),
    ],
)
def test_gateway_destination_parse(value: str, kind: str, detail: tuple[str, str] | None) -> None:
    parsed = GatewayDestination.parse(value)
    assert parsed.kind == kind
    if kind == "address":
        assert parsed.address is not None and parsed.hostname is None
        assert (parsed.address.network, parsed.address.address) == detail
    elif kind == "hostname":
        assert parsed.hostname is not None and parsed.address is None
        assert (parsed.hostname.namespace, parsed.hostname.hostname) == detail
    else:
        assert parsed.address is None and parsed.hostname is None


@pytest.mark.parametrize(
    ("value", "expected", "uid", "address"),
    [
        (
            "Kubernetes//Pod/bookinfo/ratings-v1-6484c4d9bb-mdxm5",
            ("Pod", "Kubernetes", "", "bookinfo", "ratings-v1-6484c4d9bb-mdxm5"),
            "Kubernetes//Pod/bookinfo/ratings-v1-6484c4d9bb-mdxm5",
            None,
        ),
        (
            "cluster1//v1/Pod/default/local",
            ("Pod", "cluster1", "v1", "default", "local"),
            "cluster1//v1/Pod/default/local",
            None,
        ),
        (
            "c1/networking.istio.io/WorkloadEntry/vm/vm-1",
            ("WorkloadEntry", "c1", "networking.istio.io", "vm", "vm-1"),
            "c1/networking.istio.io/WorkloadEntry/vm/vm-1",
            None,
        ),
        (
            "Kubernetes//Pod/ns/p-1:/10.244.2.52",
            ("Pod", "Kubernetes", "", "ns", "p-1"),
            "Kubernetes//Pod/ns/p-1",
            "/10.244.2.52",
        ),
        (
            "Kubernetes//Pod/ns/p-1:net1/fd00::1",
            ("Pod", "Kubernetes", "", "ns", "p-1"),
            "Kubernetes//Pod/ns/p-1",
            "net1/fd00::1",
        ),
        ("Kubernetes//Pod/ns/p-1:junk", ("opaque", None, None, None, None), "Kubernetes//Pod/ns/p-1:junk", None),
        ("a/b", ("opaque", None, None, None, None), "a/b", None),
        ("//Pod/ns/x", ("opaque", None, None, None, None), "//Pod/ns/x", None),
    ],
)
def test_workload_uid_parse(value: str, expected: tuple[Any, ...], uid: str, address: str | None) -> None:
    parsed = WorkloadUid.parse(value)
    assert fields(parsed, "kind", "cluster_id", "api", "namespace", "name") == expected
    assert parsed.uid == uid
    assert (str(parsed.address) if parsed.address else None) == address


# --------------------------------------------------------------------------------- value semantics
ODD_INPUTS: list[Any] = [
    None,
    "",
    " ",
    "|",
    "||",
    "|||",
    "||||",
    "_.",
    "_._._.",
    "outbound_.",
    "outbound_._._.",
    "~",
    "~~~",
    "~~~~",
    "/",
    "//",
    "///",
    ":",
    "::",
    "[",
    "[]_",
    "]_1",
    "_",
    "udp_",
    "http.",
    "https.",
    "https....",
    "ns[",
    "ns[]",
    "spiffe://",
    "spiffe:////",
    "kubernetes://",
    "file-cert:",
    "é|1|2|3",
    "outbound|٣|a|b",
    "outbound|１|a|b",
    "outbound|+80||x",
    "inbound|-1||",
    "\x00",
    "\n",
    "0.0.0.0_٩",
    "a" * 10_000,
    "|" * 1_000,
    "💥|💥|💥|💥",
    "/apis/////////",
    ";;;;;;;;",
    "Kubernetes//Pod/ns/x:",
    "[::1]_",
    "0.0.0.0_9080-",
    "-http",
    12345,
    3.5,
]


@pytest.mark.parametrize("cls", ALL_TYPES, ids=lambda c: c.__name__)
@pytest.mark.parametrize("value", ODD_INPUTS, ids=lambda v: repr(v)[:20])
def test_parse_never_raises(cls: type[NameValue], value: Any) -> None:
    parsed = cls.parse(value)
    assert isinstance(parsed, cls)
    expected_raw = "" if value is None else str(value)
    assert parsed.raw == str(parsed) == expected_raw
    assert isinstance(parsed.kind, str) and parsed.kind
    assert parsed == cls.parse(expected_raw) and hash(parsed) == hash(cls.parse(expected_raw))
    repr(parsed)


def test_ascii_digits_only() -> None:
    # str.isdigit() accepts Arabic-Indic and full-width digits; Envoy/Istio ports are ASCII
    assert ClusterName.parse("outbound|٣|a|b").is_opaque
    assert ListenerName.parse("0.0.0.0_٩").is_opaque
    assert RouteConfigName.parse("٩٠٨٠").is_opaque


def test_values_are_frozen_hashable_and_compare_by_string() -> None:
    a, b = ClusterName.parse(f"outbound|9080||{REVIEWS}"), ClusterName.parse(f"outbound|9080||{REVIEWS}")
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a != ClusterName.parse("inbound|9080||")
    assert a != ListenerName.parse(a.raw)  # same string, different type
    assert {a: 1}[b] == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.port = 1  # type: ignore[misc]
    assert not hasattr(a, "__dict__")  # slots: cheap to keep one per resource


def test_unparsed_base_is_opaque() -> None:
    assert NameValue.parse("anything").kind == "opaque" and NameValue.parse(None).raw == ""


class _Resource(BaseModel):
    name: ClusterName
    listener: ListenerName | None = None


def test_pydantic_fields_validate_from_and_serialize_to_strings() -> None:
    model = _Resource(name="inbound|9080||", listener="0.0.0.0_9080")  # type: ignore[arg-type]
    assert model.name.kind == "inbound" and model.listener is not None and model.listener.port == 9080
    assert model.model_dump() == {"name": "inbound|9080||", "listener": "0.0.0.0_9080"}
    assert json.loads(model.model_dump_json()) == {"name": "inbound|9080||", "listener": "0.0.0.0_9080"}
    again = _Resource.model_validate_json(model.model_dump_json())
    assert again == model
    assert _Resource(name=ClusterName.parse("BlackHoleCluster")).name.is_special
    assert _Resource.model_json_schema()["properties"]["name"]["type"] == "string"


# ------------------------------------------------------------------------- real captures, every name
def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _get(node: dict[str, Any], snake: str) -> Any:
    """A field under its snake_case (Envoy admin) or camelCase (istiod/istioctl) spelling."""
    if snake in node:
        return node[snake]
    head, *rest = snake.split("_")
    return node.get(head + "".join(p.title() for p in rest))


def _names_in_dump(dump: dict[str, Any]) -> dict[str, list[Any]]:
    """Every name-like string in a config dump, by what it names."""
    found: dict[str, list[Any]] = {
        k: []
        for k in (
            "cluster",
            "listener",
            "route",
            "chain",
            "vhost",
            "secret",
            "cla",
            "node",
            "workload",
            "config",
            "rbac",
            "sds",
        )
    }
    for section in dump.get("configs", []):
        kind = section.get("@type", "").rsplit(".", 1)[-1]
        if kind == "ClustersConfigDump":
            for key in ("static_clusters", "dynamic_active_clusters", "dynamic_warming_clusters"):
                found["cluster"] += [_get(e.get("cluster", {}), "name") for e in _get(section, key) or []]
        elif kind == "ListenersConfigDump":
            found["listener"] += [_get(e.get("listener", {}), "name") for e in _get(section, "static_listeners") or []]
            found["listener"] += [e.get("name") for e in _get(section, "dynamic_listeners") or []]
        elif kind == "RoutesConfigDump":
            for key in ("static_route_configs", "dynamic_route_configs"):
                found["route"] += [_get(e, "route_config").get("name") for e in _get(section, key) or []]
        elif kind == "SecretsConfigDump":
            for key in ("static_secrets", "dynamic_active_secrets", "dynamic_warming_secrets"):
                found["secret"] += [e.get("name") for e in _get(section, key) or []]
        elif kind == "EndpointsConfigDump":
            for key in ("static_endpoint_configs", "dynamic_endpoint_configs"):
                found["cla"] += [_get(_get(e, "endpoint_config"), "cluster_name") for e in _get(section, key) or []]
        elif kind == "BootstrapConfigDump":
            found["node"].append(_get(section, "bootstrap").get("node", {}).get("id"))
    for node in _walk(dump):
        for chain in node.get("filter_chains", []) if isinstance(node.get("filter_chains"), list) else []:
            found["chain"].append(chain.get("name"))
        for vhost in _get(node, "virtual_hosts") or []:
            found["vhost"].append(vhost.get("name"))
        istio = (_get(node, "filter_metadata") or {}).get("istio")
        if isinstance(istio, dict):
            found["workload"] += [istio["workload"]] if "workload" in istio else []
            found["config"] += [istio["config"]] if "config" in istio else []
        if isinstance(node.get("policies"), dict):  # RBAC rules: {action?, policies: {name: policy}}
            found["rbac"] += list(node["policies"])
        if "sds_config" in node and isinstance(node.get("name"), str):
            found["sds"].append(node["name"])
    return found


def _config_dumps() -> list[tuple[str, dict[str, Any]]]:
    dumps: list[tuple[str, dict[str, Any]]] = []
    envoy = fixture_path("envoy")
    for path in sorted(envoy.glob("*/config_dump*.json")):
        if path.stat().st_size and path.read_bytes()[:1] == b"{":  # the ?resource=bogus capture is a 404 body
            dumps.append((f"envoy/{path.parent.name}/{path.name}", json.loads(path.read_text())))
    with gzip.open(envoy / "scale" / "n100-config_dump_include_eds.json.gz") as f:
        dumps.append(("envoy/scale/n100", json.load(f)))
    istio = fixture_path("istio")
    for path in sorted(istio.glob("envoy-configdump__*.json")):
        dumps.append((f"istio/{path.name}", json.loads(path.read_text())))
    for path in sorted(istio.glob("envoy-configdump__*.yaml")):
        dumps.append((f"istio/{path.name}", yaml.safe_load(path.read_text())))
    with tarfile.open(fixture_path("bugreport", "bookinfo-mesh.tar.gz")) as tar:
        for member in tar.getmembers():
            if member.name.endswith("config_dump?include_eds"):
                data = tar.extractfile(member)
                assert data is not None
                dumps.append((member.name, json.load(io.BytesIO(data.read()))))
    return dumps


@pytest.fixture(scope="module")
def dump_names() -> list[tuple[str, dict[str, list[Any]]]]:
    return [(label, _names_in_dump(dump)) for label, dump in _config_dumps()]


def test_real_dumps_hold_names_of_every_sort(dump_names: list[tuple[str, dict[str, list[Any]]]]) -> None:
    labels = {label for label, _ in dump_names}
    assert "envoy/sidecar-productpage/config_dump.json" in labels
    assert any(label.startswith("istio/envoy-configdump__") for label in labels)
    for sort in ("cluster", "listener", "route", "chain", "vhost", "secret", "cla", "node", "workload", "config"):
        assert sum(len(names[sort]) for _, names in dump_names) > 0, sort


def test_every_cluster_listener_and_route_name_in_real_dumps_parses(
    dump_names: list[tuple[str, dict[str, list[Any]]]],
) -> None:
    # Every dump here comes from Istio or an Istio-shaped lab: all of these names are Istio's.
    bad = []
    for label, names in dump_names:
        for sort, cls in (
            ("cluster", ClusterName),
            ("cla", ClusterName),
            ("listener", ListenerName),
            ("route", RouteConfigName),
        ):
            for name in names[sort]:
                parsed = cls.parse(name)
                if parsed.is_opaque or str(parsed) != (name or ""):
                    bad.append(f"{label}: {sort} {name!r} -> {parsed.kind}")
    assert not bad, "\n".join(bad)


def test_real_dump_names_have_the_expected_shape(dump_names: list[tuple[str, dict[str, list[Any]]]]) -> None:
    bad = []
    for label, names in dump_names:
        for name in names["cluster"] + names["cla"]:
            parsed = ClusterName.parse(name)
            if parsed.is_subset_key and parsed.direction == "outbound" and parsed.namespace is None:
                bad.append(f"{label}: outbound host without namespace {name!r}")
        for name in names["chain"]:
            if "|" in (name or "") and FilterChainName.parse(name).kind != "service":
                bad.append(f"{label}: chain {name!r}")
            if (name or "").startswith("virtual") and FilterChainName.parse(name).kind != "virtual":
                bad.append(f"{label}: chain {name!r}")
        for name in names["vhost"]:
            if ("|" in (name or "") or ":" in (name or "")) and VirtualHostName.parse(name).is_opaque:
                bad.append(f"{label}: vhost {name!r}")
        for name in names["sds"]:
            if SecretName.parse(name).is_opaque:
                bad.append(f"{label}: sds reference {name!r}")
        for name in names["secret"]:
            # the envoy-lab captures add one unreferenced static secret, not an Istio name
            if SecretName.parse(name).is_opaque and not name.startswith("static-spiffe://"):
                bad.append(f"{label}: secret {name!r}")
        for value in names["node"]:
            parsed_node = NodeId.parse(value)
            if value and not (parsed_node.is_known_type and parsed_node.pod and parsed_node.namespace):
                bad.append(f"{label}: node {value!r}")
        for value in names["workload"]:
            if WorkloadMetadata.parse(value).kind != "workload":
                bad.append(f"{label}: workload {value!r}")
        for value in names["config"]:
            ref = IstioConfigRef.parse(value)
            if ref.is_opaque or ref.istioctl_column() != ref.name_namespace:
                bad.append(f"{label}: config {value!r}")
        for value in names["rbac"]:
            if RbacPolicyName.parse(value).is_opaque:
                bad.append(f"{label}: rbac policy {value!r}")
    assert not bad, "\n".join(bad)


def test_certificate_sans_are_workload_spiffe_ids() -> None:
    certs = json.loads(fixture_path("envoy", "sidecar-productpage", "certs.json").read_text())
    uris = [san["uri"] for node in _walk(certs) for san in node.get("subject_alt_names", []) if "uri" in san]
    assert uris
    for uri in uris:
        parsed = SpiffeId.parse(uri)
        assert parsed.kind == "workload" and parsed.uri == uri, uri


def _ztunnel_dumps() -> list[tuple[str, dict[str, Any]]]:
    dumps = [
        (
            "legacy-map",
            json.loads(fixture_path("istio", "ztunnel-configdump__legacy-map-format__bookinfo.json").read_text()),
        ),
        ("local-xds", yaml.safe_load(fixture_path("ztunnel", "ztunnel-local-xds__localhost.yaml").read_text())),
    ]
    with tarfile.open(fixture_path("bugreport", "bookinfo-mesh.tar.gz")) as tar:
        for member in tar.getmembers():
            if "/ztunnel-" in member.name and member.name.endswith("/config_dump"):
                data = tar.extractfile(member)
                assert data is not None
                dumps.append((member.name, json.load(io.BytesIO(data.read()))))
    return dumps


def _values(collection: Any) -> list[Any]:
    return list(collection.values()) if isinstance(collection, dict) else list(collection or [])


def test_every_ztunnel_string_in_real_dumps_parses() -> None:
    bad: list[str] = []
    checked = 0

    def expect(ok: bool, what: str) -> None:
        nonlocal checked
        checked += 1
        if not ok:
            bad.append(what)

    for label, dump in _ztunnel_dumps():
        workloads, services = dump.get("workloads"), dump.get("services")
        if isinstance(workloads, dict):  # 1.22 map format: keyed "network/ip"
            for key in workloads:
                expect(NetworkAddress.parse(key).kind == "address", f"{label}: workload key {key}")
        if isinstance(services, dict):
            for key in services:
                expect(NetworkAddress.parse(key).kind == "address", f"{label}: service key {key}")
        for wl in _values(workloads):
            for gw in ("waypoint", "networkGateway"):
                if gw in wl:
                    dest = wl[gw]["destination"]
                    expect(not GatewayDestination.parse(dest).is_opaque, f"{label}: {gw} {dest}")
            if "uid" in wl:
                uid = WorkloadUid.parse(wl["uid"])
                expect(uid.name == wl["name"] and uid.namespace == wl["namespace"], f"{label}: uid {wl['uid']}")
            for svc in wl.get("services", []):  # a list of "ns/host" (1.24+), a map in local config
                expect(NamespacedHostname.parse(svc).kind == "hostname", f"{label}: service ref {svc}")
            for policy in wl.get("authorizationPolicies", []):
                expect(NamespacedHostname.parse(policy).kind == "hostname", f"{label}: policy ref {policy}")
        for svc in _values(services):
            for vip in svc.get("vips", []):
                expect(NetworkAddress.parse(vip).kind == "address", f"{label}: vip {vip}")
            for san in svc.get("subjectAltNames", []):
                expect(SpiffeId.parse(san).kind == "workload", f"{label}: san {san}")
            if "waypoint" in svc:
                dest = svc["waypoint"]["destination"]
                expect(not GatewayDestination.parse(dest).is_opaque, f"{label}: service waypoint {dest}")
            for key, endpoint in (svc.get("endpoints") or {}).items():
                uid = WorkloadUid.parse(key)
                expect(not uid.is_opaque and uid.uid == endpoint["workloadUid"], f"{label}: endpoint key {key}")
                if endpoint.get("address"):
                    expect(uid.address == NetworkAddress.parse(endpoint["address"]), f"{label}: endpoint {key}")
                if "service" in endpoint:
                    expect(NamespacedHostname.parse(endpoint["service"]).kind == "hostname", f"{label}: {key}")
        for cert in _values(dump.get("certificates")):
            if "identity" in cert:
                expect(SpiffeId.parse(cert["identity"]).kind == "workload", f"{label}: identity {cert['identity']}")
    assert checked > 50
    assert not bad, "\n".join(bad)
