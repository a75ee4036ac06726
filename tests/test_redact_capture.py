"""``meshlens redact IN OUT [--pseudonymize]``: a copy safe to share, on which meshlens still works."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

import meshlens
from meshlens.analysis.pseudonym import Pseudonymizer
from meshlens.analysis.redact_capture import redact_capture
from meshlens.cli import main
from meshlens.models.redaction import contains_key_material
from tests.conftest import fixture_path, needs_shared

NOW = "2026-11-22T14:00:00Z"
KEPT_IPS = {"0.0.0.0", "127.0.0.1", "127.0.0.6"}
_IP = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(?![\w.])")


def _members(path: Path) -> dict[str, str]:
    with tarfile.open(path) as tar:
        return {m.name: tar.extractfile(m).read().decode("utf-8", "replace")  # type: ignore[union-attr]
                for m in tar if m.isfile()}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def bookinfo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Pseudonymizer]:
    source = fixture_path("bugreport", "bookinfo-mesh.tar.gz")
    before = _digest(source)
    out = tmp_path_factory.mktemp("redact") / "shared.tar.gz"
    result = redact_capture(source, out, pseudonymize=True, key=b"meshlens-test-key".ljust(32, b"."))
    assert _digest(source) == before  # never modifies the input
    assert result.pseudonymizer is not None and result.skipped == []
    return source, out, result.pseudonymizer


@needs_shared
def test_no_original_ip_pod_or_namespace_remains(bookinfo: tuple[Path, Path, Pseudonymizer]) -> None:
    source, out, _ = bookinfo
    assert out.read_bytes()[:2] == b"\x1f\x8b"  # an archive of the same format
    original = _members(source)
    snap = meshlens.load(str(source))
    namespaces = {w.namespace for z in snap.ztunnels for w in z.workloads}
    pods = {w.name for z in snap.ztunnels for w in z.workloads}
    for name in original:
        parts = name.split("/")
        if len(parts) > 3 and parts[1] in ("proxies", "istio"):
            namespaces.add(parts[2])
            pods.add(parts[3])
    assert {"default", "istio-system"} <= namespaces and "productpage-v1-6c886ff494-7vxhs" in pods
    ips = {ip for text in original.values() for ip in _IP.findall(text)} - KEPT_IPS
    assert len(ips) > 40
    copy = _members(out)
    assert len(copy) == len(original)
    alternatives = "|".join(map(re.escape, sorted(namespaces | pods)))
    words = re.compile(r"(?<![A-Za-z0-9_])(" + alternatives + r")(?![A-Za-z0-9_])")
    left = {(member, m.group(0)) for member, text in copy.items() for m in words.finditer(member + "\n" + text)}
    assert left == set()
    assert {(member, ip) for member, text in copy.items() for ip in _IP.findall(text) if ip in ips} == set()


@needs_shared
def test_check_trace_and_diff_agree_on_the_copy(bookinfo: tuple[Path, Path, Pseudonymizer]) -> None:
    source, out, names = bookinfo
    a, b = meshlens.load(str(source)), meshlens.load(str(out))
    found_a = sorted((f.code, names.text(f.subject.proxy), f.subject.kind, names.text(f.subject.name))
                     for f in meshlens.check(a, now=NOW).findings)
    found_b = sorted((f.code, f.subject.proxy, f.subject.kind, f.subject.name)
                     for f in meshlens.check(b, now=NOW).findings)
    assert found_a == found_b and len(found_a) > 10
    pod = "productpage-v1-6c886ff494-7vxhs.default"
    for to, path in (("reviews:9080", "/reviews/0"), ("details:9080", "/details/0"), ("nosuch:9080", "/")):
        ta = meshlens.trace(a.proxy(pod), to=to, path=path)
        tb = meshlens.trace(b.proxy(names.text(pod)), to=names.text(to), path=path)
        assert (ta.disposition, [names.text(c.name) for c in ta.clusters]) == \
            (tb.disposition, [c.name for c in tb.clusters])
    v1, v2 = "reviews-v1-5c4d6d447c-jq8sm.default", "reviews-v2-65cb66b45c-9d2rz.default"
    da, db = meshlens.diff(a.proxy(v1), a.proxy(v2)), meshlens.diff(b.proxy(names.text(v1)), b.proxy(names.text(v2)))
    assert da.summary == db.summary
    assert sorted((r.type, names.text(r.name), r.status) for r in da.resources) == \
        sorted((r.type, r.name, r.status) for r in db.resources)


def test_cidrs_and_prefixes_keep_their_meaning() -> None:
    names = Pseudonymizer(b"k" * 32)
    a, b, other = names.text("10.244.1.7"), names.text("10.244.1.200"), names.text("10.96.0.10")
    net = names.text("10.244.0.0/16")
    import ipaddress

    assert ipaddress.ip_address(a) in ipaddress.ip_network(net) and ipaddress.ip_address(b) in ipaddress.ip_network(net)
    assert ipaddress.ip_address(other) not in ipaddress.ip_network(net)
    assert a != "10.244.1.7" and names.text("127.0.0.6") == "127.0.0.6" and names.text("0.0.0.0") == "0.0.0.0"
    assert names.text("10.244.1.7") == a  # stable
    names.learn_string("outbound|9080|v1|reviews.default.svc.cluster.local")
    renamed = names.text("outbound|9080|v1|reviews.default.svc.cluster.local")
    assert "reviews" not in renamed and "default" not in renamed and renamed.endswith(".svc.cluster.local")
    assert names.text("default_filter_chain", key=True) == "default_filter_chain"  # Envoy's field names stay


def test_redact_a_file_with_keys_and_refuse_to_overwrite(tmp_path: Path) -> None:
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    dump = {"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.SecretsConfigDump", "dynamic_active_secrets": [
        {"name": "default", "secret": {"@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret",
                                       "name": "default", "tls_certificate": {"private_key": {
                                           "inline_bytes": base64.b64encode(pem.encode()).decode()}}}}]}]}
    src = tmp_path / "dump.json"
    src.write_text(json.dumps(dump))
    before = src.read_bytes()
    out = tmp_path / "shared.json"
    result = CliRunner().invoke(main, ["redact", str(src), str(out)])
    assert result.exit_code == 0, result.output
    assert src.read_bytes() == before
    text = out.read_text()
    assert not contains_key_material(text) and "W3JlZGFjdGVkXQ==" in text
    again = CliRunner().invoke(main, ["redact", str(src), str(out)])
    assert again.exit_code == 2 and "already exists" in again.stderr
    folder = tmp_path / "folder"
    (folder / "proxies" / "ns1" / "web-1x").mkdir(parents=True)
    (folder / "proxies" / "ns1" / "web-1x" / "config_dump").write_text(json.dumps(dump))
    (folder / "proxies" / "ns1" / "web-1x" / "envoy.log").write_text(f"oops {pem}\n")
    copied = CliRunner().invoke(main, ["redact", str(folder), str(tmp_path / "copy"), "--pseudonymize"])
    assert copied.exit_code == 0, copied.output
    files = [p for p in (tmp_path / "copy").rglob("*") if p.is_file()]
    assert len(files) == 2 and all("ns1" not in str(p) and "web-1x" not in str(p) for p in files)
    assert not any(contains_key_material(p.read_text()) for p in files)
