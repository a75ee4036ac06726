"""One way in: every top-level function takes a source (path, bytes, dict, "-", list of paths) or
anything load/load_many returns (Snapshot, EnvoyProxy, Ztunnel), with the same result."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import meshlens
from meshlens.analysis.route_tests import run_route_tests
from meshlens.index.graph import export_graph
from meshlens.sources.coerce import as_proxy, as_snapshot, as_ztunnel
from tests.conftest import FIXTURES, SAMPLES, needs_shared

ENVOY = SAMPLES / "envoy" / "productpage" / "config_dump_include_eds.json"
INTENDED = SAMPLES / "envoy" / "productpage" / "intended" / "istiod_debug_config_dump_include_eds.json"
ZTUNNEL = SAMPLES / "ztunnel" / "config_dump.json"
NOW = "2026-11-22T14:00:00Z"

ROUTE_TEST = {"name": "r", "request": {"authority": "reviews:9080", "path": "/"},
              "expect": {"cluster": "outbound|9080||reviews.default.svc.cluster.local"}}
KINDS = ("str", "path", "bytes", "dict", "stdin", "list", "snapshot", "proxy_or_ztunnel")


def _as(kind: str, path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``path`` given as ``kind``."""
    if kind == "str":
        return str(path)
    if kind == "path":
        return path
    if kind == "bytes":
        return path.read_bytes()
    if kind == "dict":
        return json.loads(path.read_text())
    if kind == "stdin":
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(path.read_bytes())))
        return "-"
    if kind == "list":
        return [str(path)]
    snapshot = meshlens.load(path)
    if kind == "snapshot":
        return snapshot
    return snapshot.proxies[0] if snapshot.proxies else snapshot.ztunnels[0]


# Where the input came from (a file name, "<bytes>", "<stdin>") is all that may differ between kinds.
_ORIGIN_KEYS = ("source", "origin", "inputs", "loaded", "intended", "file")


def _same(result: Any, source: Any) -> str:
    """``result`` as JSON text without its origin labels; a ztunnel named after its file becomes Z."""
    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in _ORIGIN_KEYS}
        if isinstance(value, (list, tuple)):
            return [strip(v) for v in value]
        return value

    text = json.dumps(strip(result), default=str, sort_keys=True)
    for z in as_snapshot(source).ztunnels if not isinstance(source, str) or source != "-" else ():
        text = text.replace(f'"{z.name}"', '"Z"').replace(f"proxy='{z.name}'", "proxy='Z'")
    return text


def _check(source: Any) -> list[Any]:
    report = meshlens.check(source, now=NOW, hash_inputs=False)
    return [(f.code, f.subject) for f in report.findings] + [(r.code, r.status) for r in report.runs]


# Each top-level function, called on an Envoy capture, reduced to something comparable across inputs.
ENVOY_CALLS: dict[str, Callable[[Any], Any]] = {
    "check": lambda s: _check(s),
    "inspect": lambda s: meshlens.inspect(s).to_dict(),
    "trace": lambda s: meshlens.trace(s, to="reviews:9080", path="/reviews/0").to_dict(),
    "diff": lambda s: meshlens.diff(INTENDED, s).to_dict(),
    "diff_intended_side": lambda s: meshlens.diff(s, ENVOY).to_dict(),
    "view": lambda s: meshlens.view(s, "cluster", fqdn="reviews").text(),
    "query": lambda s: meshlens.query(s, "$.configs[*]['@type']"),
    "graph": lambda s: export_graph(s, "json"),
    "route_tests": lambda s: run_route_tests([ROUTE_TEST], s).to_dict(),
}

ZTUNNEL_CALLS: dict[str, Callable[[Any], Any]] = {
    "check": lambda s: _check(s),
    "inspect": lambda s: meshlens.inspect(s).to_dict(),
    "view": lambda s: meshlens.view(s, "workload").text(),
    "view_all": lambda s: meshlens.view(s, "all").text(),
    "query": lambda s: meshlens.query(s, "$.workloads[*].name"),
}


@pytest.mark.parametrize("function", sorted(ENVOY_CALLS))
def test_every_function_takes_every_kind_of_envoy_input(function: str, monkeypatch: pytest.MonkeyPatch) -> None:
    call = ENVOY_CALLS[function]
    expected = _same(call(str(ENVOY)), str(ENVOY))
    assert expected  # something to compare
    for kind in KINDS:
        with monkeypatch.context() as m:
            assert _same(call(_as(kind, ENVOY, m)), str(ENVOY)) == expected, kind


@pytest.mark.parametrize("function", sorted(ZTUNNEL_CALLS))
def test_every_function_takes_every_kind_of_ztunnel_input(function: str, monkeypatch: pytest.MonkeyPatch) -> None:
    call = ZTUNNEL_CALLS[function]
    expected = _same(call(str(ZTUNNEL)), str(ZTUNNEL))
    assert expected
    for kind in KINDS:
        with monkeypatch.context() as m:
            given = _as(kind, ZTUNNEL, m)
            named = given if kind != "stdin" else ZTUNNEL.read_bytes()  # stdin is read once
            assert _same(call(given), named) == expected, kind


def test_envoy_functions_refuse_a_ztunnel_with_one_line() -> None:
    z = meshlens.load(ZTUNNEL).ztunnels[0]
    for call in (lambda: meshlens.trace(z, to="reviews:9080"), lambda: meshlens.diff(z, ENVOY),
                 lambda: export_graph(z), lambda: meshlens.view(z, "cluster")):
        with pytest.raises(meshlens.UsageError):
            call()


def test_coerce_keeps_loaded_objects_as_they_are() -> None:
    snapshot = meshlens.load(ENVOY)
    proxy = snapshot.proxies[0]
    assert as_snapshot(snapshot) is snapshot
    assert as_proxy(proxy) is proxy and as_proxy(snapshot) is proxy
    assert as_snapshot(proxy).proxies == [proxy]
    with pytest.raises(meshlens.UsageError, match="not 'nobody'"):
        as_proxy(proxy, "nobody")
    z = meshlens.load(ZTUNNEL).ztunnels[0]
    assert as_ztunnel(z) is z and as_snapshot(z).ztunnels == [z]
    with pytest.raises(meshlens.LoadError, match="cannot load a int"):
        as_snapshot(42)  # type: ignore[arg-type]


def test_an_envoy_proxy_keeps_its_index_across_functions() -> None:
    proxy = meshlens.load(ENVOY).proxies[0]
    meshlens.trace(proxy, to="reviews:9080")
    built = proxy.derived.built()
    assert "index" in built
    meshlens.check(proxy, now=NOW, hash_inputs=False)
    assert set(built) <= set(proxy.derived.built())


# ------------------------------------------- the files of one proxy, joined, serve every consumer
@needs_shared
def test_trace_of_config_dump_and_clusters_is_routed_with_the_clusters_hosts() -> None:
    base = FIXTURES / "envoy" / "sidecar-productpage"
    t = meshlens.trace(meshlens.load_many([base / "config_dump.json", base / "clusters.json"]), to="reviews:9080")
    assert t.disposition == "ROUTED"
    assert [c.name for c in t.clusters] == ["outbound|9080||reviews.default.svc.cluster.local"]
    assert [(e.address, e.health, e.source) for e in t.endpoints] == [
        (f"10.244.0.{i}:9080", "HEALTHY", "clusters") for i in (20, 21, 23)]
    # the same list, as a list of paths given to trace directly
    same = meshlens.trace([str(base / "config_dump.json"), str(base / "clusters.json")], to="reviews:9080")
    assert same.to_dict() == t.to_dict()
    # without /clusters the dump alone cannot say (no EDS section): never a guess
    alone = meshlens.trace(base / "config_dump.json", to="reviews:9080")
    assert alone.disposition == "INSUFFICIENT_INFO" and not alone.endpoints


@needs_shared
def test_joined_files_serve_views_and_checks_the_same_way() -> None:
    base = FIXTURES / "envoy" / "sidecar-productpage-degraded"
    joined = meshlens.load_many([base / "config_dump.json", base / "clusters.json"])
    proxy = joined.proxy()
    # the endpoint view reads /clusters; the trace and the checks read the same hosts through the index
    hosts = {row["endpoint"] for row in meshlens.view(proxy, "endpoint").to_dict()}
    t = meshlens.trace(proxy, to="reviews:9080")
    assert {e.address for e in t.endpoints} <= hosts
    report = meshlens.check(joined, hash_inputs=False)
    assert report.findings == meshlens.check(proxy, hash_inputs=False).findings
