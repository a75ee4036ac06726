"""`meshlens inspect` and `meshlens query` end to end, and the one-line error contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from meshlens.cli import main
from tests.conftest import fixture_path, needs_shared


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@needs_shared
def test_inspect_healthy_productpage_json() -> None:
    code, out, _ = run("inspect", str(fixture_path("envoy", "sidecar-productpage", "config_dump_include_eds.json")),
                       "-o", "json")
    assert code == 0
    doc = json.loads(out)
    assert set(doc) >= {"kind", "proxy", "versions", "counts", "findings"}
    assert doc["kind"] == "envoy-config-dump"
    assert doc["proxy"] == "sidecar~10.244.0.22~productpage-v1-6c886ff494-7vxhs.default~default.svc.cluster.local"
    assert doc["versions"] == {"istio": "1.24.2", "envoy": "1.40.0"}
    counts = doc["counts"]
    assert counts["clusters"] == {"total": 22, "static": 4, "active": 18}
    assert counts["listeners"] == {"total": 12, "static": 2, "active": 10}
    assert counts["endpoints"]["dynamic"] == 18
    assert counts["virtual_hosts"]["dynamic"] == 11
    assert doc["findings"] == []


@needs_shared
def test_inspect_degraded_reports_states_and_findings() -> None:
    path = fixture_path("envoy", "sidecar-productpage-degraded", "config_dump.json")
    code, out, _ = run("inspect", str(path), "-o", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["counts"]["clusters"]["warming"] == 1
    assert doc["counts"]["listeners"] == {"total": 14, "static": 2, "active": 10, "warming": 1, "rejected": 1}
    by_code = {(f["code"], f["name"]) for f in doc["findings"]}
    assert ("ML0005", "0.0.0.0_8081") in by_code
    assert ("ML0004", "0.0.0.0_8082") in by_code
    rejected = next(f for f in doc["findings"] if f["code"] == "ML0004")
    assert "duplicate matcher" in rejected["message"]
    assert rejected["location"]["json_path"].startswith("$.configs[")
    code, text, _ = run("inspect", str(path))
    assert code == 0
    assert "0.0.0.0_8082 was rejected" in text and "warming" in text


@needs_shared
def test_query_jsonpath() -> None:
    path = fixture_path("envoy", "sidecar-productpage", "config_dump.json")
    code, out, _ = run("query", str(path), '$.configs[*]["@type"]')
    assert code == 0
    types = json.loads(out)
    assert types[0].endswith("BootstrapConfigDump") and len(types) == 6


BAD = {
    "truncated.json": b'{"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump"',
    "list.json": b"[]",
    "picture.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200),
    "empty.json": b"",
    "ztunnel-wrong-type.json": json.dumps(
        {"workloads": [{"uid": "Kubernetes//Pod/default/a", "name": "a", "namespace": "default",
                        "workloadIps": 7, "protocol": "HBONE", "status": "Healthy"}],
         "services": [], "policies": [], "certificates": []}).encode(),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(BAD[name])
    proc = subprocess.run([sys.executable, "-m", "meshlens.cli", "inspect", str(path)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert str(path) in lines[0]
    assert path.read_bytes() == BAD[name]


def test_bad_jsonpath_is_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text('{"configs": []}')
    code, _, err = run("query", str(path), "$[[[")
    assert code == 2
    assert "invalid JSONPath" in err
