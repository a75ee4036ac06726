"""Private key material never leaves meshlens unless asked (``--show-secrets``): every output path.

The test makes real RSA and EC keys (cryptography), puts them where captures carry them (an SDS
secret, a static secret, the bootstrap, a cluster's and a listener's transport socket, a generic
secret), runs every output path over the capture and looks for any piece of any key.
"""

from __future__ import annotations

import base64
import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

import meshlens
from meshlens.cli import main
from meshlens.models.redaction import REDACTED, REDACTED_BYTES, contains_key_material, redact_text, redact_tree
from tests.conftest import fixture_path, needs_shared

TLS = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3."


def _pem(key: Any, fmt: serialization.PrivateFormat) -> str:
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode()


@pytest.fixture(scope="module")
def keys() -> dict[str, str]:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    der = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return {
        "rsa_pem": _pem(rsa_key, serialization.PrivateFormat.TraditionalOpenSSL),
        "ec_pem": _pem(ec_key, serialization.PrivateFormat.PKCS8),
        "der_b64": base64.b64encode(der).decode(),  # no PEM marker: only the field says it is a key
        "generic": base64.b64encode(os.urandom(48)).decode(),
    }


def _fragments(keys: dict[str, str]) -> list[str]:
    """Pieces of every key as any output could spell them: PEM body lines, base64 of the PEM, DER."""
    out = []
    for name in ("rsa_pem", "ec_pem"):
        body = [line for line in keys[name].splitlines() if not line.startswith("-----")]
        out.append(body[1][:40])
        b64 = base64.b64encode(keys[name].encode()).decode()
        out.append(b64[len(b64) // 2:len(b64) // 2 + 40])
    out.append(keys["der_b64"][20:60])
    out.append(keys["generic"][8:40])
    return out


def _leaks(text: str, keys: dict[str, str]) -> list[str]:
    found = [f for f in _fragments(keys) if f in text]
    if contains_key_material(text):
        found.append("PEM private key")
    return found


def _tls_context(kind: str, private_key: dict[str, str]) -> dict[str, Any]:
    return {"name": "envoy.transport_sockets.tls", "typed_config": {
        "@type": TLS + kind, "common_tls_context": {"tls_certificates": [
            {"certificate_chain": {"inline_string": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"},
             "private_key": private_key}]}}}


def _capture_with_keys(keys: dict[str, str]) -> dict[str, Any]:
    doc = json.loads(fixture_path("envoy", "sidecar-productpage", "config_dump.json").read_text())
    by_type = {c["@type"].rpartition(".")[2]: c for c in doc["configs"]}
    rsa_b64 = base64.b64encode(keys["rsa_pem"].encode()).decode()
    # an SDS secret (dynamic) and a static secret
    sds = by_type["SecretsConfigDump"]
    sds["dynamic_active_secrets"][0]["secret"]["tls_certificate"]["private_key"] = {"inline_bytes": rsa_b64}
    sds["static_secrets"][0]["secret"]["tls_certificate"]["private_key"] = {"inline_string": keys["ec_pem"]}
    # a generic secret
    generic = {"secret": {"inline_bytes": keys["generic"]}}
    sds["dynamic_active_secrets"].append({"name": "oauth-hmac", "version_info": "1", "secret": {
        "@type": TLS + "Secret", "name": "oauth-hmac", "generic_secret": generic}})
    # the bootstrap: a static secret and a static cluster's transport socket
    boot = by_type["BootstrapConfigDump"]["bootstrap"]
    boot["static_resources"].setdefault("secrets", []).append(
        {"name": "bootstrap-key", "tls_certificate": {"private_key": {"inline_string": keys["rsa_pem"]}}})
    boot["static_resources"]["clusters"][0]["transport_socket"] = _tls_context(
        "UpstreamTlsContext", {"inline_bytes": keys["der_b64"]})
    # a dynamic cluster's and a listener's transport socket
    clusters = by_type["ClustersConfigDump"]["dynamic_active_clusters"]
    target = next(c for c in clusters if c["cluster"]["name"] == "outbound|9080||details.default.svc.cluster.local")
    target["cluster"]["transport_socket"] = _tls_context("UpstreamTlsContext", {"inline_string": keys["ec_pem"]})
    listeners = by_type["ListenersConfigDump"]["dynamic_listeners"]
    chain = next(x for x in listeners if x["name"] == "0.0.0.0_9080")["active_state"]["listener"]["filter_chains"][0]
    chain["transport_socket"] = _tls_context("DownstreamTlsContext", {"inline_bytes": keys["der_b64"]})
    return doc


@pytest.fixture(scope="module")
def capture(keys: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("secrets") / "config_dump.json"
    path.write_text(json.dumps(_capture_with_keys(keys), indent=1))
    return path


def _outputs(capture: Path, show: bool = False) -> dict[str, str]:
    """Every command's output over the capture (stdout and stderr)."""
    c = str(capture)
    original = str(fixture_path("envoy", "sidecar-productpage", "config_dump.json"))
    flag = ["--show-secrets"] if show else []
    runs: dict[str, list[str]] = {}
    for view in ("secret", "all", "bootstrap", "cluster", "listener", "route"):
        for out in ("short", "json", "yaml"):
            runs[f"pc {view} -o {out}"] = ["pc", view, c, "-o", out, *flag]
    runs["query private_key"] = ["query", c, "$..private_key", *flag]
    runs["query generic"] = ["query", c, "$..generic_secret", *flag]
    runs["query all"] = ["query", c, "$", *flag]
    for mode in (["-o", "text"], ["-o", "json"], ["--istioctl"]):
        runs[f"diff {mode}"] = ["diff", original, c, *mode, *flag]
        runs[f"diff reverse {mode}"] = ["diff", c, original, *mode, *flag]
    if not show:
        for fmt in ("text", "json", "sarif", "junit"):
            runs[f"check {fmt}"] = ["check", c, "--format", fmt, "--fail-on", "never"]
        runs["inspect"] = ["inspect", c, "-o", "json"]
        runs["inspect text"] = ["inspect", c]
    texts = {}
    for name, args in runs.items():
        result = CliRunner().invoke(main, args)
        assert result.exit_code in (0, 1), f"{name}: {result.output}"
        texts[name] = result.output + (result.stderr if result.stderr_bytes else "")
    return texts


@needs_shared
def test_no_output_path_prints_key_material(capture: Path, keys: dict[str, str]) -> None:
    assert _leaks(capture.read_text(), keys)  # the capture does hold them
    leaks = {name: found for name, text in _outputs(capture).items() if (found := _leaks(text, keys))}
    assert leaks == {}


@needs_shared
def test_show_secrets_prints_them(capture: Path, keys: dict[str, str]) -> None:
    texts = _outputs(capture, show=True)
    fragments = _fragments(keys)
    assert keys["rsa_pem"].splitlines()[1][:40] in texts["pc bootstrap -o json"]
    rsa_body, rsa_b64, ec_body, _, der, generic = fragments
    assert rsa_b64 in texts["pc secret -o json"]  # base64 of the RSA PEM in the SDS secret
    assert der in texts["query all"] and der in texts["pc listener -o json"]  # the listener's DER key
    assert generic in texts["pc secret -o yaml"]  # the generic secret
    assert ec_body in texts["pc cluster -o json"]  # the cluster's transport socket
    assert "BEGIN EC PRIVATE KEY" in texts["pc all -o json"] or "BEGIN PRIVATE KEY" in texts["pc all -o json"]


@needs_shared
def test_redacted_the_way_envoy_does(capture: Path) -> None:
    result = CliRunner().invoke(main, ["query", str(capture), "$..private_key"])
    values = json.loads(result.stdout)
    assert {"inline_bytes": REDACTED_BYTES} in values and {"inline_string": REDACTED} in values
    generic = json.loads(CliRunner().invoke(main, ["query", str(capture), "$..generic_secret"]).stdout)
    assert generic == [{"secret": {"inline_bytes": REDACTED_BYTES}}]


@needs_shared
def test_library_results_and_reprs(capture: Path, keys: dict[str, str]) -> None:
    snap = meshlens.load(str(capture))
    proxy = snap.proxies[0]
    original = str(fixture_path("envoy", "sidecar-productpage", "config_dump.json"))
    drift = meshlens.diff(original, str(capture))
    report = meshlens.check(str(capture))
    shown = [str(drift), drift._repr_html_(), json.dumps(drift.to_dict()), str(report), report._repr_html_(),
             json.dumps(report.to_dict())]
    for view in ("secret", "cluster", "listener", "bootstrap"):
        table = proxy.view(view)
        shown += [str(table), table._repr_html_(), json.dumps(table.to_dict(), default=str)]
    assert [s for s in shown if _leaks(s, keys)] == []
    assert any(c.path.endswith("transport_socket") for r in drift.resources for c in r.changes)


def test_redact_tree_leaves_the_input_alone(keys: dict[str, str]) -> None:
    tree = {"tls_certificates": [{"private_key": {"inline_string": keys["ec_pem"]}, "password": {"filename": "/p"}}],
            "other": {"x": 1}}
    before = copy.deepcopy(tree)
    out = redact_tree(tree)
    assert tree == before
    assert out["tls_certificates"][0] == {"private_key": {"inline_string": REDACTED},
                                          "password": {"filename": REDACTED}}
    assert out["other"] is tree["other"]  # unchanged parts are shared, not copied
    assert redact_tree(tree, show_secrets=True) is tree
    plain = {"name": "x", "certificate_chain": {"inline_bytes": "Q0VSVA=="}}
    assert redact_tree(plain) is plain


def test_pem_blocks_anywhere_and_base64_of_them(keys: dict[str, str]) -> None:
    text = f"log line: {keys['rsa_pem']} and more"
    assert redact_text(text) == f"log line: {REDACTED}\n and more"
    b64 = base64.b64encode(("junk\n" + keys["ec_pem"]).encode()).decode()
    assert redact_text(json.dumps({"somewhere": b64})) == json.dumps({"somewhere": REDACTED_BYTES})
    assert redact_tree({"struct": {"value": b64}}) == {"struct": {"value": REDACTED_BYTES}}
    cert = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" * 4).decode()
    assert redact_text(cert) == cert
