"""``meshlens proxy-config`` / ``pc`` end to end: istioctl's sub-commands, aliases and flags."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from meshlens.cli import main
from tests.conftest import fixture_path


def run(*args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def productpage() -> str:
    return str(fixture_path("envoy", "sidecar-productpage", "config_dump.json"))


def test_cluster_fqdn_with_aliases() -> None:
    outputs = {run(cmd, view, productpage(), "--fqdn", "reviews")[1] for cmd in ("pc", "proxy-config")
               for view in ("cluster", "clusters", "c")}
    assert len(outputs) == 1
    lines = outputs.pop().splitlines()
    assert lines[0].split() == ["SERVICE", "FQDN", "PORT", "SUBSET", "DIRECTION", "TYPE", "DESTINATION", "RULE"]
    assert [line.split()[2] for line in lines[1:]] == ["-", "v1", "v2", "v3"]


def test_golden_through_the_cli_and_stdin() -> None:
    source = fixture_path("istio", "envoy-configdump__gateway-rds__istio-gateway-prefix.json")
    expected = fixture_path("istio", "golden__pc-routes-short__istio-gateway-prefix.txt").read_text()
    assert run("pc", "routes", "-f", str(source)) == (0, expected, "")
    assert run("pc", "r", "-f", "-", stdin=source.read_bytes()) == (0, expected, "")


def test_secret_now_flag_and_env() -> None:
    source = str(fixture_path("istio", "envoy-configdump__sds-secrets__istio-ca-with-warming.json"))
    expected = fixture_path("istio", "golden__pc-secret-short__istio-ca.txt").read_text()
    assert run("pc", "s", source, "--now", "2026-01-01T00:00:00Z")[1] == expected
    result = CliRunner(env={"MESHLENS_NOW": "2026-01-01T00:00:00Z"}).invoke(main, ["pc", "secrets", "-f", source])
    assert result.stdout == expected


def test_verbose_false_istioctl_syntax() -> None:
    code, out, _ = run("pc", "l", productpage(), "--port", "9080", "--verbose=false")
    assert (code, out) == (0, "ADDRESSES PORT TYPE\n0.0.0.0   9080 HTTP+TCP\n")
    code, out, _ = run("pc", "routes", productpage(), "--name", "9080", "--verbose=0")
    assert out == "NAME     VIRTUAL HOSTS\n9080     5\n"
    assert run("pc", "l", productpage(), "--port", "9080", "--verbose=true")[1].startswith("ADDRESSES PORT MATCH")
    code, _, err = run("pc", "l", productpage(), "--verbose=maybe")
    assert code == 2 and err.count("\n") == 1 and 'invalid argument "maybe" for "--verbose" flag' in err


def test_bootstrap_defaults_to_json() -> None:
    source = str(fixture_path("istio", "envoy-configdump__bootstrap-only__istio1.10-camelcase.json"))
    code, out, _ = run("pc", "b", source)
    assert code == 0 and out == fixture_path("istio", "golden__pc-bootstrap-json__istio1.10.json").read_text()
    assert run("pc", "bootstrap", source, "-o", "short")[1].startswith("Istio Version:       1.10.0\n")
    assert run("pc", "b", source, "-o", "yaml")[1].startswith("bootstrap:\n  node:\n")


def test_json_output_is_parseable_and_filtered() -> None:
    code, out, _ = run("pc", "c", productpage(), "--subset", "v1", "-o", "json")
    assert code == 0
    clusters = json.loads(out)
    assert [c["name"] for c in clusters] == ["outbound|9080|v1|reviews.default.svc.cluster.local"]
    assert "edsClusterConfig" in clusters[0]


def test_all_json_echoes_the_dump() -> None:
    source = fixture_path("istio", "envoy-configdump__waypoint-full__istio1.21.json")
    code, out, _ = run("pc", "a", str(source), "-o", "json")
    assert code == 0 and json.loads(out) == json.loads(source.read_text())
    code, out, _ = run("pc", "all", str(source), "--with-headers", "--now", "2026-01-01T00:00:00Z")
    assert out.startswith("------ BOOTSTRAP INFO ------\n\n")


def test_notes_go_to_stderr() -> None:
    code, out, err = run("pc", "ep", productpage())
    assert code == 0 and out == "ENDPOINT     STATUS     OUTLIER CHECK     CLUSTER\n"
    assert err.startswith("meshlens: note: this capture has no /clusters output")


def test_endpoint_from_clusters_capture() -> None:
    clusters = str(fixture_path("envoy", "sidecar-unhealthy", "clusters.json"))
    code, out, _ = run("pc", "ep", clusters, "--status", "healthy", "--address", "127.0.1.3")
    assert code == 0
    assert [line.split() for line in out.splitlines()[1:]] == [
        ["127.0.1.3:9080", "HEALTHY", "FAILED", "outbound|9080|v3|reviews.default.svc.cluster.local"],
        ["127.0.1.3:9080", "HEALTHY", "FAILED", "outbound|9080||reviews.default.svc.cluster.local"]]


def test_archive_proxy_selection() -> None:
    archive = str(fixture_path("bugreport", "bookinfo-mesh.tar.gz"))
    code, _, err = run("pc", "c", archive)
    assert code == 2 and err.count("\n") == 1 and "name one of" in err
    by_pod = run("pc", "c", "productpage-v1-6c886ff494-7vxhs.default", "-f", archive, "--fqdn", "reviews")
    by_flag = run("pc", "c", archive, "--proxy", "productpage-v1-6c886ff494-7vxhs.default", "--fqdn", "reviews")
    positional = run("pc", "c", archive, "pod/productpage-v1-6c886ff494-7vxhs.default", "--fqdn", "reviews")
    assert by_pod == by_flag == positional and by_pod[0] == 0 and len(by_pod[1].splitlines()) == 5


@pytest.mark.parametrize(("args", "message"), [
    (("pc", "clustr", "x.json"), "No such command 'clustr'"),
    (("pc", "c", "{file}", "--bogus"), "No such option '--bogus'"),
    (("pc", "c", "{file}", "-o", "table"), "'table' is not one of"),
    (("pc", "c", "{file}", "--port", "x"), "'x' is not a valid integer"),
    (("pc", "c"), "an input is required"),
    (("pc", "c", "{ztunnel}"), "ztunnel config dump"),
    (("pc", "c", "{syncz}"), "istiod state"),
    (("pc", "c", "{clusters}"), "needs an Envoy /config_dump"),
    (("pc", "s", "{file}", "--now", "soon"), "not an RFC 3339 time"),
    (("pc", "ecds", "{file}"), "EcdsConfigDump"),
])
def test_errors_are_one_line_exit_2(args: tuple[str, ...], message: str) -> None:
    paths = {"file": productpage(),
             "ztunnel": str(fixture_path("istio", "ztunnel-configdump__legacy-map-format__bookinfo.json")),
             "syncz": str(fixture_path("istio", "istiod-xds-syncz__ClientConfig-discoveryresponse.json")),
             "clusters": str(fixture_path("envoy", "sidecar-unhealthy", "clusters.json"))}
    code, out, err = run(*(a.format(**paths) for a in args))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("meshlens: ") and message in err, err
