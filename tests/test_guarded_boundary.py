"""The guarded boundary: a resource the typed model refuses is a located ML0007 finding, and every consumer
(views, trace, graph, index, checks, diff) skips it instead of reading its raw dict.

Each case is one of issue 13's reproducers, made here from the real productpage capture: the CLI answers
within 10 s and 1 GiB with exit 0/1 (and a finding) or 2 (one line), never ``internal error``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import pytest

import meshlens as ml
from meshlens.errors import MeshlensError
from tests.conftest import fixture_path
from tests.test_hostile_inputs import run_cli

SIDECAR = ("envoy", "sidecar-productpage", "config_dump_include_eds.json")


@cache
def _dump() -> dict[str, Any]:
    return orjson.loads(fixture_path(*SIDECAR).read_bytes())


def dump() -> dict[str, Any]:
    return copy.deepcopy(_dump())


def section(doc: dict[str, Any], suffix: str) -> dict[str, Any]:
    return next(c for c in doc["configs"] if c["@type"].endswith("." + suffix))


def route_config(doc: dict[str, Any]) -> dict[str, Any]:
    routes = section(doc, "RoutesConfigDump")
    entries = routes.get("dynamic_route_configs") or routes["static_route_configs"]
    return next(e["route_config"] for e in entries if e["route_config"].get("virtual_hosts"))


def listener(doc: dict[str, Any], name: str = "0.0.0.0_9080") -> dict[str, Any]:
    entries = section(doc, "ListenersConfigDump")["dynamic_listeners"]
    return next(e["active_state"]["listener"] for e in entries if e["name"] == name)


def assignment(doc: dict[str, Any]) -> dict[str, Any]:
    entries = section(doc, "EndpointsConfigDump")["dynamic_endpoint_configs"]
    return next(e["endpoint_config"] for e in entries if e["endpoint_config"].get("endpoints"))


def cluster(doc: dict[str, Any]) -> dict[str, Any]:
    return section(doc, "ClustersConfigDump")["dynamic_active_clusters"][0]["cluster"]


def deep(levels: int) -> Any:
    value: Any = {}
    for _ in range(levels):
        value = {"a": [value]}
    return value


def deep_marker(levels: int) -> str:
    """A placeholder that :func:`to_bytes` turns into ``levels`` x ``{"a": [...]}`` (beyond orjson.dumps)."""
    return f"@@DEEP{levels}@@"


def to_bytes(doc: dict[str, Any]) -> bytes:
    body = orjson.dumps(doc)
    while b'"@@DEEP' in body:
        start = body.index(b'"@@DEEP')
        end = body.index(b'@@"', start + 7)
        levels = int(body[start + 7:end])
        body = body[:start] + b'{"a":[' * levels + b"{}" + b"]}" * levels + body[end + 3:]
    return body


def _set(target: Callable[[dict[str, Any]], dict[str, Any]], key: str, value: Any) -> Callable[[], dict[str, Any]]:
    def make() -> dict[str, Any]:
        doc = dump()
        target(doc)[key] = value
        return doc
    return make


# (case id, make the capture, kind of the refused resource)
CASES = [
    ("virtual_hosts=-1", _set(route_config, "virtual_hosts", -1), "route_config"),
    ("domains=1", lambda: _vhost_field("domains", 1), "route_config"),
    ("domains='x'*100000", lambda: _vhost_field("domains", "x" * 100_000), "route_config"),
    ("port_value='GRPC'", lambda: _port("GRPC"), "listener"),
    ("lb_endpoints=140", lambda: _locality("lb_endpoints", 140), "endpoint"),
    ("float for an object", _set(cluster, "outlier_detection", 1.5), "cluster"),
    ("filter_chains=float", _set(listener, "filter_chains", 2.5), "listener"),
    ("1000-deep nesting", _set(cluster, "metadata", deep_marker(500)), "cluster"),
    ("120-deep nesting", _set(route_config, "request_headers_to_add", deep_marker(60)), "route_config"),
]


def _vhost_field(key: str, value: Any) -> dict[str, Any]:
    doc = dump()
    route_config(doc)["virtual_hosts"][0][key] = value
    return doc


def _port(value: Any) -> dict[str, Any]:
    doc = dump()
    listener(doc)["address"]["socket_address"]["port_value"] = value
    return doc


def _locality(key: str, value: Any) -> dict[str, Any]:
    doc = dump()
    assignment(doc)["endpoints"][0][key] = value
    return doc


def _consumers(proxy: Any) -> list[tuple[str, Callable[[], Any]]]:
    from meshlens.views import ENVOY_VIEWS
    from meshlens.views.envoy import render

    calls: list[tuple[str, Callable[[], Any]]] = []
    for view in ENVOY_VIEWS:
        for output in ("short", "json", "yaml"):
            calls.append((f"pc {view} -o {output}", lambda v=view, o=output: render(proxy.view(v), o)))
    calls += [
        ("trace", lambda: str(ml.trace(proxy, to="reviews:9080", path="/reviews/0"))),
        ("trace 9080", lambda: str(ml.trace(proxy, to="productpage:9080", path="/"))),
        ("graph", lambda: [d.to_dict() for d in proxy.graph().dangling()]),
        ("diff", lambda: ml.diff(_dump(), proxy).to_dict()),
    ]
    return calls


@pytest.mark.parametrize("case, make, kind", CASES, ids=[c[0] for c in CASES])
def test_a_refused_resource_is_a_located_finding_and_skipped(case: str, make: Callable[[], dict[str, Any]],
                                                             kind: str, tmp_path: Path) -> None:
    body = to_bytes(make())
    snap = ml.load(body)
    proxy = snap.proxy()
    for label, call in _consumers(proxy):
        try:
            call()
        except MeshlensError:
            pass
        except Exception as exc:  # noqa: BLE001 - the property under test
            pytest.fail(f"{case}: {label} raised {type(exc).__name__}: {exc}")
    refused = proxy.validate_all()
    assert [f.kind for f in refused] == [kind], refused
    (finding,) = refused
    assert finding.code == "ML0007" and finding.location.json_path.startswith("$.configs[")
    assert len(finding.message) < 400  # one finding, not one per character of a string taken as a list
    for res in proxy.valid(kind + "s" if kind != "route_config" else "route_configs"):
        assert res.name != finding.name or res.state != "active"
    report = ml.check(snap, now="2026-11-22T14:00:00Z")
    ml0007 = [f for f in report.findings if f.code == "ML0007"]
    assert len(ml0007) == 1 and ml0007[0].subject.name == finding.name
    # the healthy capture has no finding: the refused resource is ONE finding (not one per character of
    # a string taken as a list, nor findings from checks reading what the model refused)
    assert len(report.findings) <= 3, [(f.code, f.message[:80]) for f in report.findings]
    path = tmp_path / "dump.json"
    path.write_bytes(body)
    for args in (("check", path), ("pc", "all", path, "-o", "json"), ("trace", path, "--to", "reviews:9080")):
        proc = run_cli(*args)
        assert proc.returncode in (0, 1, 2), (args, proc.stderr)
        assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr, (args, proc.stderr)
        if proc.returncode == 2:
            assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_the_inventory_keeps_refused_resources() -> None:
    """``proxy.route_configs`` is the capture's inventory (inspect, diff, query); only consumers skip."""
    doc = dump()
    route_config(doc)["virtual_hosts"] = -1
    proxy = ml.load(doc).proxy()
    assert len(proxy.route_configs) == len(ml.load(_dump()).proxy().route_configs)
    assert len(proxy.valid_route_configs) == len(proxy.route_configs) - 1
    drift = ml.diff(_dump(), proxy)
    assert any(r.type == "RDS" and r.status == "changed" for r in drift.resources)


def test_deep_nesting_is_not_compared_as_equal() -> None:
    doc = dump()
    cluster(doc)["metadata"] = deep(300)
    other = dump()
    cluster(other)["metadata"] = deep(300)
    drift = ml.diff(doc, other)
    (entry,) = [r for r in drift.resources if r.type == "CDS"]
    assert entry.status == "changed" and entry.details and "nested deeper" in entry.details
