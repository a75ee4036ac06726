"""proxy-config views: byte parity with every istioctl golden, and the same views over real captures.

The golden suite runs each ``../shared/fixtures/istio/golden__pc-*`` file against its neighbouring
input (see that folder's MANIFEST.md) and requires byte equality. ``now`` is pinned to a time
inside the ROOTCA's validity and after the expired leaf's, which is what the goldens show.
"""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

import meshlens
from meshlens.encoding.gojson import GoStruct, go_float, go_string, jsonpb_indent, marshal_indent
from meshlens.encoding.goyaml import go_yaml
from meshlens.errors import UnsupportedDumpError, UsageError
from meshlens.views.envoy import render, render_view
from tests.conftest import FIXTURES, fixture_path

NOW = "2026-01-01T00:00:00Z"  # after the istio-ca leaf expired (2023-05-16), before ROOTCA's end (2033)

# golden file -> (input file, view, output, filters); one entry per golden__pc-* file.
GOLDENS: dict[str, tuple[str, str, str | None, dict[str, Any]]] = {
    "golden__pc-all-short__waypoint-full.txt": (
        "envoy-configdump__waypoint-full__istio1.21.json", "all", "short", {"now": NOW}),
    "golden__pc-bootstrap-json__istio1.10.json": (
        "envoy-configdump__bootstrap-only__istio1.10-camelcase.json", "bootstrap", None, {}),
    "golden__pc-bootstrap-short__istio1.10.txt": (
        "envoy-configdump__bootstrap-only__istio1.10-camelcase.json", "bootstrap", "short", {}),
    "golden__pc-ecds-short.txt": ("envoy-configdump__ecds-wasm-and-stats.json", "ecds", "short", {}),
    "golden__pc-ecds-json.json": ("envoy-configdump__ecds-wasm-and-stats.json", "ecds", "json", {}),
    "golden__pc-eds-short__nofilter.txt": ("envoy-configdump__sidecar-eds-only__bookinfo.json", "eds", "short", {}),
    "golden__pc-eds-json__port8080.json": (
        "envoy-configdump__sidecar-eds-only__bookinfo.json", "eds", "json", {"port": 8080}),
    "golden__pc-routes-short__gateway-empty.txt": ("envoy-configdump__gateway-rds__empty.json", "routes", "short", {}),
    "golden__pc-routes-short__istio-gateway-prefix.txt": (
        "envoy-configdump__gateway-rds__istio-gateway-prefix.json", "routes", "short", {}),
    "golden__pc-secret-short__istio-ca.txt": (
        "envoy-configdump__sds-secrets__istio-ca-with-warming.json", "secret", "short", {"now": NOW}),
}


def istio(name: str) -> Path:
    return fixture_path("istio", name)


def envoy(*parts: str) -> Path:
    return fixture_path("envoy", *parts)


def proxy_of(path: Path) -> Any:
    return meshlens.load(path).proxy()


# --- goldens --------------------------------------------------------------------------------------
def test_every_pc_golden_is_in_the_suite() -> None:
    folder = FIXTURES / "istio"
    if not folder.is_dir():
        pytest.skip("../shared is absent")
    assert {p.name for p in folder.glob("golden__pc-*")} == set(GOLDENS)


@pytest.mark.parametrize("golden", sorted(GOLDENS))
def test_golden_byte_for_byte(golden: str) -> None:
    source, view, output, filters = GOLDENS[golden]
    expected = istio(golden).read_text(encoding="utf-8")
    assert render_view(istio(source), view, output, **filters).text == expected


def test_all_with_headers_titles_each_section() -> None:
    text = render_view(istio("envoy-configdump__waypoint-full__istio1.21.json"), "all", with_headers=True,
                       now=NOW).text
    plain = istio("golden__pc-all-short__waypoint-full.txt").read_text()
    assert text.startswith("------ BOOTSTRAP INFO ------\n\nIstio Version:       1.21.0-1226\n")
    assert "\n\n------ CLUSTER INFO ------\n\nNAME " in text
    assert text.endswith("endpoint/127.0.0.1:15000                                   HEALTHY                  "
                         "prometheus_stats\n")
    titles = [line for line in text.splitlines() if line.startswith("------ ")]
    assert titles == [f"------ {t} INFO ------" for t in ("BOOTSTRAP", "CLUSTER", "LISTENER", "ROUTE", "SECRET",
                                                          "ENDPOINTS")]
    for title in ("BOOTSTRAP", "CLUSTER", "LISTENER", "ROUTE", "SECRET", "ENDPOINTS"):
        text = text.replace(f"------ {title} INFO ------\n\n", "")
    assert text == plain  # the headers are the only difference


def test_secret_valid_cert_follows_now() -> None:
    path = istio("envoy-configdump__sds-secrets__istio-ca-with-warming.json")
    table = proxy_of(path).view("secret", now="2023-05-15T12:00:00Z")
    assert [(r.name, r.status, r.valid) for r in table.rows] == [
        ("configmap://some/thing", "WARMING", False), ("default", "ACTIVE", True), ("ROOTCA", "ACTIVE", True)]
    later = proxy_of(path).view("secret", now=dt.datetime(2034, 1, 1, tzinfo=dt.timezone.utc))
    assert [r.valid for r in later.rows] == [False, False, False]
    assert later.rows[1].serial_number == "6fbee254c22900615cb1f74e3d2f1713"
    assert later.rows[2].not_after == dt.datetime(2033, 5, 2, 3, 41, 33, tzinfo=dt.timezone.utc)
    with pytest.raises(UsageError, match="RFC 3339"):
        proxy_of(path).view("secret", now="yesterday")


def test_bootstrap_yaml_is_json_to_yaml() -> None:
    text = render_view(istio("envoy-configdump__bootstrap-only__istio1.10-camelcase.json"), "b", "yaml").text
    assert text == (
        "bootstrap:\n  node:\n    metadata:\n"
        "      ISTIO_PROXY_SHA: istio-proxy:436f365a8007cd8a13a9f1321e7cce94bcc8883e\n"
        "      ISTIO_VERSION: 1.10.0\n    userAgentBuildVersion:\n      metadata:\n        build.type: RELEASE\n"
        "        revision.sha: 436f365a8007cd8a13a9f1321e7cce94bcc8883e\n        revision.status: Clean\n"
        "        ssl.version: BoringSSL\n      version:\n        majorNumber: 1\n        minorNumber: 18\n"
        "        patch: 3\n\n")


def test_eds_yaml_and_filters() -> None:
    path = istio("envoy-configdump__sidecar-eds-only__bookinfo.json")
    text = render_view(path, "eds", "yaml", port=8080).text
    assert text.startswith("- clusterName: outbound|80||istio-ingressgateway.istio-system.svc.cluster.local\n"
                           "  endpoints:\n  - lbEndpoints:\n    - endpoint:\n        address:\n")
    assert text.endswith("  policy:\n    overprovisioningFactor: 140\n\n")
    proxy = proxy_of(path)
    reviews = proxy.view("eds", cluster="OUTBOUND|9080||reviews.default.svc.cluster.local")  # case-insensitive
    assert [r.name for r in reviews.rows] == ["10.244.0.192:9080", "10.244.0.193:9080", "10.244.0.195:9080"]
    one = proxy.view("eds", address="10.244.0.176:8443")
    assert [(r.name, r.cluster) for r in one.rows] == [
        ("10.244.0.176:8443", "outbound|443||istio-ingressgateway.istio-system.svc.cluster.local")]
    pipe = proxy.view("eds", address="./etc/istio/proxy/XDS")
    assert [(r.name, r.port, r.cluster) for r in pipe.rows] == [("./etc/istio/proxy/XDS", None, "xds-grpc")]
    assert proxy.view("eds", status="unhealthy").cells == []
    assert len(proxy.view("eds", status="HEALTHY").rows) == 36


# --- real Envoy captures --------------------------------------------------------------------------
def test_cluster_fqdn_reviews_on_productpage() -> None:
    table = proxy_of(envoy("sidecar-productpage", "config_dump.json")).view("cluster", fqdn="reviews")
    assert [(r.fqdn, r.port, r.subset, r.direction, r.type) for r in table.rows] == [
        ("reviews.default.svc.cluster.local", 9080, s, "outbound", "EDS") for s in (None, "v1", "v2", "v3")]
    assert [c[2] for c in table.cells] == ["-", "v1", "v2", "v3"]
    assert table.text().splitlines()[1] == ("reviews.default.svc.cluster.local     9080     -          outbound"
                                            "      EDS      ")


def test_cluster_filters_and_unsplit_names() -> None:
    proxy = proxy_of(envoy("sidecar-productpage", "config_dump.json"))
    by_port = proxy.view("cluster", port=15010)
    assert [r.name for r in by_port.rows] == ["outbound|15010||istiod.istio-system.svc.cluster.local"]
    inbound = proxy.view("cluster", direction="inbound")
    # substring tests on the name, case-sensitive: InboundPassthroughClusterIpv4 is not "inbound"
    assert [(r.name, r.fqdn, r.port, r.type) for r in inbound.rows] == [("inbound|9080||", "", 9080, "ORIGINAL_DST")]
    passthrough = proxy.view("cluster", fqdn="Passthrough")
    assert [c for c in passthrough.cells] == [
        ["InboundPassthroughClusterIpv4", "-", "-", "-", "ORIGINAL_DST", ""],
        ["PassthroughCluster", "-", "-", "-", "ORIGINAL_DST", ""]]
    assert passthrough.rows[0].port is None and passthrough.rows[0].fqdn == "InboundPassthroughClusterIpv4"
    v2 = proxy.view("cluster", subset="v2", fqdn="reviews", port=9080, direction="outbound")
    assert [r.name for r in v2.rows] == ["outbound|9080|v2|reviews.default.svc.cluster.local"]
    everything = proxy.view("cluster")
    assert len(everything) == 22  # 18 active + 4 static
    assert [c[0] for c in everything.cells[:3]] == ["", "BlackHoleCluster", "InboundPassthroughClusterIpv4"]


def test_cluster_json_is_camelcase_without_type() -> None:
    table = proxy_of(envoy("sidecar-productpage", "config_dump.json")).view("cluster", fqdn="details")
    text = render(table, "json")
    assert text.startswith('[\n    {\n        "name": "outbound|9080||details.default.svc.cluster.local",\n'
                           '        "type": "EDS",\n        "edsClusterConfig": {')
    assert '"@type"' not in text.split('"typedExtensionProtocolOptions"')[0]
    assert '"transportSocketMatches"' in text and '"tlsMode": "istio"' in text  # Struct keys keep their spelling


def test_warming_and_rejected_resources_are_not_listed() -> None:
    proxy = proxy_of(envoy("sidecar-productpage-degraded", "config_dump.json"))
    assert any(c.state == "warming" for c in proxy.clusters)
    assert proxy.view("cluster", port=8080).cells == []
    ports = [r.port for r in proxy.view("listener", verbose=False).rows]
    assert ports == [53, 443, 443, 9080, 9153, 15001, 15006, 15010, 15012, 15014, 15021, 15090]
    assert 8081 not in ports and 8082 not in ports


def test_listener_port_9080() -> None:
    table = proxy_of(envoy("sidecar-productpage", "config_dump.json")).view("listener", port=9080)
    assert table.headers == ["ADDRESSES", "PORT", "MATCH", "DESTINATION"]
    assert [(r.name, r.port, r.type, r.match, r.destination) for r in table.rows] == [
        ("0.0.0.0_9080", 9080, "HTTP+TCP", "Trans: raw_buffer; App: http/1.1,h2c", "Route: 9080"),
        ("0.0.0.0_9080", 9080, "HTTP+TCP", "ALL", "PassthroughCluster")]
    assert table.text() == ("ADDRESSES PORT MATCH                                DESTINATION\n"
                            "0.0.0.0   9080 Trans: raw_buffer; App: http/1.1,h2c Route: 9080\n"
                            "0.0.0.0   9080 ALL                                  PassthroughCluster\n")


def test_listener_filters_and_non_verbose() -> None:
    proxy = proxy_of(envoy("sidecar-productpage", "config_dump.json"))
    tcp = proxy.view("listener", type="tcp", verbose=False)
    assert [(r.addresses, r.port) for r in tcp.rows] == [
        (["10.96.0.10"], 53), (["10.96.0.1"], 443), (["10.96.200.10"], 443), (["0.0.0.0"], 15001),
        (["10.96.200.10"], 15012)]
    assert tcp.text().splitlines()[0] == "ADDRESSES    PORT  TYPE"
    by_address = proxy.view("listener", address="10.96.200.10", verbose=False)
    assert [r.port for r in by_address.rows] == [443, 15012]
    inbound = proxy.view("listener", port=15006)
    # chains sorted by DESTINATION, descending; a BlackHole tcp_proxy does not count as a destination
    assert [r.destination for r in inbound.rows] == [
        "Non-HTTP/Non-TCP", "InboundPassthroughClusterIpv4", "InboundPassthroughClusterIpv4",
        "Cluster: inbound|9080||", "Cluster: inbound|9080||"]
    assert inbound.rows[0].match == "Addr: *:15006"


def test_listener_order_and_matches_on_the_istio_sidecar_yaml() -> None:
    table = proxy_of(istio("envoy-configdump__sidecar-listeners-only__2023-06.yaml")).view("listener")
    ports = [r.port for r in table.rows]
    assert ports == sorted(ports)
    assert ("0.0.0.0", 15006) in {(r.addresses[0], r.port) for r in table.rows}
    internal = [r.name for r in table.rows if r.port == 0]
    assert set(internal) == {"connect_originate", "main_internal"}
    assert table.cells[1] == ["", "0", "ALL", "Cluster: connect_originate"]
    assert "App: TCP TLS" in {r.match.split("; ")[1] for r in table.rows if r.match and "; " in r.match}


def test_waypoint_table() -> None:
    table = proxy_of(istio("envoy-configdump__waypoint-full__istio1.21.json")).view("listener", waypoint=True)
    assert table.headers == ["LISTENER", "CHAIN", "MATCH", "DESTINATION"]
    assert all(c[0].startswith("envoy://") or c[0] == "internal" for c in table.cells)
    assert table.padding == 1 and table.cells


def test_route_name_9080_vhosts() -> None:
    from meshlens.views.envoy.route import route_view

    table = route_view(proxy_of(envoy("sidecar-productpage", "config_dump.json")), name="9080")
    assert [(r.vhost, r.shown_domains, r.match, r.virtual_service) for r in table.rows] == [
        (f"{s}.default.svc.cluster.local:9080", f"{s}, {s}.default + 1 more...", "/*", "")
        for s in ("details", "productpage", "ratings", "reviews")]
    assert "allow_any" not in {r.vhost for r in table.rows}  # its only route goes to PassthroughCluster
    short = route_view(proxy_of(envoy("sidecar-productpage", "config_dump.json")), name="9080", verbose=False)
    assert short.cells == [["9080", "5"]]


def test_route_domains_rendering() -> None:
    from meshlens.views.envoy.route import describe_domains

    assert describe_domains([]) == ""
    assert describe_domains(["a:80"]) == "a:80"
    # IPv6 literals are kept when they have more than two colons and no port
    assert describe_domains(["[fd00:10:96::7fc7]", "[fd00:10:96::7fc7]:8090", "[fd00::1]", "x"]) == \
        "[fd00:10:96::7fc7], x"
    assert describe_domains(["r.ns.svc.cluster.local", "r.ns.svc", "r.ns", "r"]) == "r.ns, r"
    assert describe_domains(["a", "b", "c", "d"]) == "a, b + 2 more..."


def test_endpoint_unhealthy_clusters_json() -> None:
    table = proxy_of(envoy("sidecar-unhealthy", "clusters.json")).view("endpoint", address="127.0.1.3")
    assert [(r.endpoint, r.status, r.outlier_check, r.cluster) for r in table.rows] == [
        ("127.0.1.3:9080", "HEALTHY", "FAILED", "outbound|9080|v3|reviews.default.svc.cluster.local"),
        ("127.0.1.3:9080", "HEALTHY", "FAILED", "outbound|9080||reviews.default.svc.cluster.local")]
    assert table.notes == []
    ratings = proxy_of(envoy("sidecar-unhealthy", "clusters.json")).view(
        "endpoint", cluster="outbound|9080||ratings.default.svc.cluster.local")
    assert [r.status for r in ratings.rows] == ["HEALTHY", "UNHEALTHY", "DRAINING", "DEGRADED"]
    pipes = proxy_of(envoy("sidecar-unhealthy", "clusters.json")).view("endpoint", address="unix://./etc/istio/proxy/XDS")
    assert [r.endpoint for r in pipes.rows] == ["unix://./etc/istio/proxy/XDS"]


def test_endpoint_text_form_matches_json_form() -> None:
    text_form = proxy_of(envoy("sidecar-productpage", "clusters.txt")).view("endpoint")
    json_form = proxy_of(envoy("sidecar-productpage", "clusters.json")).view("endpoint")
    assert text_form.cells == json_form.cells and len(json_form.cells) == 22
    data = render(json_form, "json")
    assert '"hostStatuses"' in data and '"edsHealthStatus": "HEALTHY"' in data


def test_endpoint_and_eds_say_when_their_input_is_missing() -> None:
    proxy = proxy_of(envoy("sidecar-productpage", "config_dump.json"))
    endpoint = proxy.view("endpoint")
    assert endpoint.cells == [] and endpoint.text() == "ENDPOINT     STATUS     OUTLIER CHECK     CLUSTER\n"
    assert "no /clusters output" in endpoint.notes[0]
    eds = proxy.view("eds")
    assert eds.text() == "NAME     STATUS     LOCALITY     CLUSTER\n"
    assert "include_eds" in eds.notes[0]
    with_eds = proxy_of(envoy("sidecar-productpage", "config_dump_include_eds.json")).view("eds")
    assert with_eds.notes == [] and len(with_eds.rows) > 20


def test_secret_productpage_spiffe_leaf() -> None:
    table = proxy_of(envoy("sidecar-productpage", "config_dump.json")).view("secret", now="2026-11-22T13:00:00Z")
    leaf, root = table.rows
    assert (leaf.name, leaf.type, leaf.status, leaf.valid, leaf.trust_domain) == (
        "default", "Cert Chain", "ACTIVE", True, "cluster.local")
    assert leaf.sans == ["spiffe://cluster.local/ns/default/sa/bookinfo-productpage"]
    assert leaf.serial_number == "63ba6317e0e5590cb16bc7df371d081e5232ff07"
    assert (root.type, root.trust_domain) == ("CA", None)
    # ROOTCA has no trust domain, so istioctl's optional column is not printed
    assert table.headers[-1] == "NOT BEFORE"
    assert table.cells[0][-2:] == ["2026-11-23T12:30:37Z", "2026-11-22T12:28:37Z"]
    expired = proxy_of(envoy("sidecar-productpage", "config_dump.json")).view("secret", now="2026-11-24T00:00:00Z")
    assert [r.valid for r in expired.rows] == [False, True]


def _cert(cn: str, san: str | None, ca: bool) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
               .serial_number(0x0A0B).not_valid_before(dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
               .not_valid_after(dt.datetime(2027, 1, 1, tzinfo=dt.timezone.utc))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(san)]), False)
    pem = builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)
    return base64.b64encode(pem).decode()


def _secrets_dump(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.SecretsConfigDump",
                         "dynamic_active_secrets": list(entries)}]}


def _secret(name: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "version_info": "1", "secret": {
        "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret", "name": name, **body}}


def test_secret_trust_domain_column_with_a_spiffe_validator() -> None:
    leaf = _cert("w", "spiffe://east.local/ns/a/sa/b", False)
    bundles = [{"name": "east.local", "trust_bundle": {"inline_bytes": _cert("e", None, True)}},
               {"name": "west.local", "trust_bundle": {"inline_bytes": _cert("w", None, True)}}]
    dump = _secrets_dump(
        _secret("default", {"tls_certificate": {"certificate_chain": {"inline_bytes": leaf}}}),
        _secret("ROOTCA", {"validation_context": {"trusted_ca": {}, "custom_validator_config": {
            "name": "envoy.tls.cert_validator.spiffe", "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.SPIFFECertValidatorConfig",
                "trust_domains": bundles}}}}))
    table = meshlens.load(dump).proxy().view("secret", now="2026-06-01T00:00:00Z")
    assert table.headers[-1] == "TRUST DOMAIN"
    assert [(c[0], c[1], c[3], c[4], c[-1]) for c in table.cells] == [
        ("default", "Cert Chain", "true", "00000000000000000000000000000a0b", "east.local"),
        ("ROOTCA", "CA", "true", "00000000000000000000000000000a0b", "east.local"),
        ("ROOTCA", "CA", "true", "00000000000000000000000000000a0b", "west.local")]


def test_secret_unparseable_certificate_keeps_the_row_and_says_why() -> None:
    bad = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n").decode()
    key_first = base64.b64encode(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").decode()
    dump = _secrets_dump(_secret("bad", {"tls_certificate": {"certificate_chain": {"inline_bytes": bad}}}),
                         _secret("key", {"tls_certificate": {"certificate_chain": {"inline_bytes": key_first}}}))
    table = meshlens.load(dump).proxy().view("secret", now=NOW)
    assert table.cells == [["bad", "", "ACTIVE", "false", "", "", ""], ["key", "", "ACTIVE", "false", "", "", ""]]
    assert len(table.notes) == 2 and table.notes[0].startswith("secret bad: the certificate cannot be parsed")
    assert "PRIVATE KEY" in table.notes[1]


def test_secret_none_found() -> None:
    table = meshlens.load(_secrets_dump()).proxy().view("secret", now=NOW)
    assert table.text() == "No active or warming secrets found.\n"


def test_capture_time_is_the_default_now_in_an_archive() -> None:
    snap = meshlens.load(fixture_path("bugreport", "bookinfo-mesh.tar.gz"))
    table = snap.proxy("productpage-v1-6c886ff494-7vxhs.default").view("secret")
    assert [r.valid for r in table.rows] == [True, True]
    assert any("capture time 2026-11-22T13:31:47Z" in n for n in table.notes)


def test_ecds_and_bootstrap_rows() -> None:
    ecds = proxy_of(istio("envoy-configdump__ecds-wasm-and-stats.json")).view("ecds")
    assert [r.name for r in ecds.rows][-2:] == ["default.display-metadata", "default.httpbin-rate-limiting"]
    assert ecds.rows[-1].type == "envoy.extensions.filters.http.wasm.v3.Wasm"
    boot = proxy_of(envoy("sidecar-productpage", "config_dump.json")).view("bootstrap")
    assert boot.rows[0].istio_version == "1.24.2" and boot.rows[0].envoy_version == "1.40.0/Clean/RELEASE/BoringSSL"
    assert render(boot, "short") == "Istio Version: 1.24.2\nEnvoy Version: 1.40.0/Clean/RELEASE/BoringSSL\n"
    assert render(boot).startswith('{\n    "bootstrap": {\n        "node": {\n')


def test_scale_n1000_views_render() -> None:
    from meshlens.models.names import ClusterName

    proxy = proxy_of(fixture_path("envoy", "scale", "n1000-config_dump_include_eds.json.gz"))
    clusters = proxy.view("cluster")
    assert len(clusters) == sum(1 for c in proxy.clusters if c.state in ("active", "static")) == 1272
    names = [r["name"] for r in clusters.to_dict()]
    assert names == sorted(names, key=lambda n: ClusterName.parse(n).istioctl_sort_key())
    assert len(proxy.view("listener", verbose=False)) == 115
    lb_endpoints = sum(e.lb_endpoint_count for e in proxy.endpoints)
    assert len(proxy.view("eds")) == lb_endpoints == 2766  # 2762 dynamic + 4 static
    assert proxy.view("all", now="2026-11-22T13:00:00Z").text().count("\n\n") == 5
    endpoints = proxy_of(fixture_path("envoy", "scale", "n1000-clusters.json.gz")).view("endpoint")
    assert len(endpoints) > 2000 and endpoints.notes == []


def test_multi_proxy_archive_needs_a_name() -> None:
    archive = fixture_path("bugreport", "bookinfo-mesh.tar.gz")
    with pytest.raises(UsageError, match="name one of"):
        render_view(archive, "cluster")
    text = render_view(archive, "ep", proxy="pod/reviews-v1-5c4d6d447c-jq8sm.default").text
    assert text.startswith("ENDPOINT ")


# --- errors ----------------------------------------------------------------------------------------
def test_wrong_kind_of_capture() -> None:
    with pytest.raises(UnsupportedDumpError, match="ztunnel"):
        render_view(istio("ztunnel-configdump__legacy-map-format__bookinfo.json"), "cluster")
    with pytest.raises(UnsupportedDumpError, match="istiod"):
        render_view(istio("istiod-xds-syncz__ClientConfig-discoveryresponse.json"), "cluster")
    with pytest.raises(UnsupportedDumpError, match="needs an Envoy /config_dump"):
        render_view(envoy("sidecar-unhealthy", "clusters.json"), "cluster")
    with pytest.raises(UnsupportedDumpError, match="ClustersConfigDump"):
        render_view(istio("envoy-configdump__gateway-rds__empty.json"), "cluster")


def test_unknown_view_filter_and_output() -> None:
    path = istio("envoy-configdump__gateway-rds__empty.json")
    with pytest.raises(UsageError, match="unknown proxy-config view 'clustr'"):
        render_view(path, "clustr")
    with pytest.raises(UsageError, match="takes no filter"):
        render_view(path, "route", fqdn="x")
    with pytest.raises(UsageError, match="output format"):
        render_view(path, "route", "table")


# --- Go-compatible writers ------------------------------------------------------------------------
def test_go_json_escaping_and_numbers() -> None:
    assert go_string("<a&b>\u2028\n\t\x01") == '"\\u003ca\\u0026b\\u003e\\u2028\\n\\t\\u0001"'
    assert go_string("<a>", html=False) == '"<a>"'
    assert [go_float(v) for v in (1.0, 0.5, 1e21, 1e-7, 123456789.0, 1e20)] == [
        "1", "0.5", "1e+21", "1e-7", "123456789", "100000000000000000000"]
    assert marshal_indent({"a": [], "b": {}, "c": [1, {"d": None}]}) == (
        '{\n    "a": [],\n    "b": {},\n    "c": [\n        1,\n        {\n            "d": null\n        }\n    ]\n}')


def test_jsonpb_layout_quirks() -> None:
    # Struct entries sit two levels below their key and the closing brace one level below; an empty
    # message is "{", a blank line, "}"; Struct numbers are doubles.
    doc = {"node": {"metadata": GoStruct({"b": 1, "a": {"x": [True]}}), "locality": {}}}
    assert jsonpb_indent(doc, "  ") == (
        '{\n  "node": {\n    "metadata": {\n        "a": {\n              "x": [\n                    true\n'
        '                  ]\n            },\n        "b": 1\n      },\n    "locality": {\n\n    }\n  }\n}')


def test_go_yaml_scalars() -> None:
    assert go_yaml({"@type": "x", "n": "1605", "t": "2022-12-08T11:03:53.361Z", "v": "2022-12-08T09:07:09Z/10",
                    "b": "true", "e": "", "j": '{"a":1}', "m": "a\nb", "f": 0.5, "i": 7, "z": None, "l": [],
                    "k": "yes", "o": "0755", "s": "a: b"}) == (
        "'@type': x\nb: \"true\"\ne: \"\"\nf: 0.5\ni: 7\nj: '{\"a\":1}'\nk: \"yes\"\nl: []\nm: |-\n  a\n  b\n"
        "\"n\": \"1605\"\no: \"0755\"\ns: 'a: b'\nt: \"2022-12-08T11:03:53.361Z\"\n"
        "v: 2022-12-08T09:07:09Z/10\nz: null\n")
    long = " ".join(["word"] * 30)
    assert go_yaml({"k": long}) == "k: " + " ".join(["word"] * 16) + "\n  " + " ".join(["word"] * 14) + "\n"
    assert go_yaml({"a10": 1, "a9": 2, "_x": 3, "B": 4}) == "_x: 3\nB: 4\na9: 2\na10: 1\n"
