"""Answers that agree (issue 13 item 4): every command treats the same input the same way."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

import meshlens as ml
from meshlens.errors import LoadError, UsageError
from meshlens.summary import inspect
from tests.conftest import fixture_path

BOOKINFO = ("bugreport", "bookinfo-mesh.tar.gz")
ZTUNNEL = ("istio", "ztunnel-configdump__legacy-map-format__bookinfo.json")
SIDECAR = ("envoy", "sidecar-productpage", "config_dump_include_eds.json")


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "meshlens.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=60, check=False)


# --- unknown names are errors everywhere ---------------------------------------------------------------
@pytest.mark.parametrize("view", ["certificate", "service", "policy", "all"])
def test_zc_unknown_pod_is_an_error_not_the_only_ztunnel(view: str) -> None:
    proc = cli("zc", view, fixture_path(*BOOKINFO), "wrong-name")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip() == ("meshlens: no ztunnel or workload pod 'wrong-name' in the capture "
                                   "(ztunnels: ztunnel-qk2pp.istio-system)")


def test_zc_known_names_still_choose() -> None:
    assert cli("zc", "certificate", fixture_path(*BOOKINFO), "ztunnel-qk2pp").returncode == 0
    assert cli("zc", "certificate", fixture_path(*BOOKINFO), "ratings-v1-6484c4d9bb-mdxm5.bookinfo").returncode == 0


@pytest.mark.parametrize("args", [("pc", "cluster", "{src}", "wrong-name"), ("pc", "secret", "{src}", "wrong"),
                                  ("trace", "{src}", "--to", "reviews:9080", "--proxy", "wrong")])
def test_pc_and_trace_unknown_proxy_is_an_error(args: tuple[str, ...]) -> None:
    src = str(fixture_path(*BOOKINFO))
    proc = cli(*(a.replace("{src}", src) for a in args))
    assert proc.returncode == 2 and "no proxy named" in proc.stderr and proc.stdout == ""


# --- query refuses what is no capture --------------------------------------------------------------------
@pytest.mark.parametrize("body", [b"null", b"{}", b"[]", b"just some text\n", b'{"a": 1}'])
def test_query_refuses_what_every_other_command_refuses(tmp_path: Path, body: bytes) -> None:
    path = tmp_path / "x.json"
    path.write_bytes(body)
    for args in (("query", path, "$"), ("inspect", path), ("check", path)):
        proc = cli(*args)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert "no capture meshlens knows" in proc.stderr or "an empty list" in proc.stderr, proc.stderr
    from meshlens.analysis.query import query

    with pytest.raises(LoadError, match="expected an Envoy /config_dump"):
        query(path, "$")


def test_query_still_answers_captures() -> None:
    proc = cli("query", fixture_path(*SIDECAR), '$.configs[0]["@type"]')
    assert proc.returncode == 0
    assert json.loads(proc.stdout) == ["type.googleapis.com/envoy.admin.v3.BootstrapConfigDump"]


# --- inspect reads a 1.24 ztunnel's version --------------------------------------------------------------
def test_inspect_reads_the_release_of_a_1_24_ztunnel(tmp_path: Path) -> None:
    doc = orjson.loads(fixture_path(*ZTUNNEL).read_bytes())
    doc["version"] = {"version": "1.24.0-2-g4c7cdf1", "gitRevision": "4c7cdf1", "gitTag": "1.24.0-2-g4c7cdf1",
                      "rustVersion": "1.81.0", "buildProfile": "release", "buildStatus": "Clean",
                      "istioVersion": "unknown"}
    assert inspect(orjson.dumps(doc)).to_dict()["versions"] == {"istio": "1.24.0"}
    doc["version"]["istioVersion"] = "1.26.1"
    assert inspect(orjson.dumps(doc)).to_dict()["versions"] == {"istio": "1.26.1"}
    doc["version"] = {"istioVersion": "unknown"}
    assert inspect(orjson.dumps(doc)).to_dict()["versions"] in ({}, {"istio": None})


# --- diff's words ------------------------------------------------------------------------------------------
def test_diff_says_neither_capture_has_a_section() -> None:
    doc = orjson.loads(fixture_path(*SIDECAR).read_bytes())
    doc["configs"] = [c for c in doc["configs"] if not c["@type"].endswith("EndpointsConfigDump")]
    drift = ml.diff(doc, doc)
    assert drift.summary["EDS"] == "NOT_COMPARED"
    notes = json.dumps(drift.to_dict())
    assert "neither capture has an endpoints section" in notes and "neither capture has no" not in notes


def test_unknown_proxy_in_the_library_too() -> None:
    snap = ml.load(fixture_path(*BOOKINFO))
    with pytest.raises(UsageError, match="no proxy named"):
        snap.proxy("wrong-name")
    with pytest.raises(UsageError, match="no ztunnel named"):
        snap.ztunnel("wrong-name")


# --- one now for every command ----------------------------------------------------------------------------
def test_one_now_for_check_and_the_views_and_it_is_said() -> None:
    """A dump given as bytes has no capture time: check and pc secret both judge at its latest
    last_updated (never one at the wall clock and the other at the capture), and both say so."""
    from meshlens.models.clock import NOW_LAST_UPDATED
    from meshlens.runner import resolve_now

    snap = ml.load(fixture_path(*SIDECAR).read_bytes())
    instant, source = resolve_now(snap)
    assert source == NOW_LAST_UPDATED
    table = snap.proxy().view("secret")
    assert any(f"judged at the capture's latest last_updated, {instant:%Y-%m-%dT%H:%M:%SZ}" in n
               for n in table.notes), table.notes
    report = ml.check(snap)
    assert report.now == instant and report.now_source == NOW_LAST_UPDATED
    assert "latest last_updated" in str(report)
    given = snap.proxy().view("secret", now="2026-11-22T14:00:00Z")
    assert not any("judged at" in n for n in given.notes)  # --now given: nothing to say


def test_one_now_for_an_archive_is_its_capture_time() -> None:
    from meshlens.models.clock import NOW_CAPTURE
    from meshlens.runner import resolve_now

    snap = ml.load(fixture_path(*BOOKINFO))
    instant, source = resolve_now(snap)
    assert source == NOW_CAPTURE
    proxy = snap.proxy("productpage-v1-6c886ff494-7vxhs.default")
    assert any(f"capture time {proxy.captured_at:%Y-%m-%dT%H:%M:%SZ}" in n for n in proxy.view("secret").notes)
    assert any("VALID CERT judged at the capture time" in n for n in snap.ztunnels[0].view("certificate").notes)


def test_ztunnel_dump_dates_that_disagree_with_the_pem_are_a_finding() -> None:
    report = ml.check(fixture_path(*ZTUNNEL), select=["ML1009"], now="2026-11-22T00:00:00Z")
    assert sorted(f.subject.name for f in report.findings) == [
        "root 8a516645c40ce76c2c0d27ab4e2461c1", "spiffe://cluster.local/ns/istio-system/sa/istiod"]
    leaf = next(f for f in report.findings if f.subject.name.startswith("spiffe"))
    assert "2033-03-22T13:04:57Z" in leaf.message and "2023-03-22T13:04:57Z" in leaf.message
    # and the expiry check judges the PEM's date (expired in 2023), not the dump's (2033)
    expired = ml.check(fixture_path(*ZTUNNEL), select=["ML1001"], now="2026-11-22T00:00:00Z")
    assert any(f.subject.name == "spiffe://cluster.local/ns/istio-system/sa/istiod" for f in expired.findings)
