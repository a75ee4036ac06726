"""Fuzzing: mutations of real captures through every loader and the main consumers.

Seeds are real captures (an Envoy config dump with EDS, ``/clusters``, ``/certs``, ``/server_info``, a
ztunnel dump and an istiod syncz from the bookinfo bug-report). Each example replaces one value of the
seed (anywhere in its tree) with a hostile one, deletes a key, or nests it deeply, then runs: load (from
the parsed dict and from bytes), every resource's typed ``.config``, ``check``, ``trace``, every view in
every output format, the graph, ``diff`` against the seed, ``inspect`` and the istioctl comparison.
Nothing may raise anything but :class:`MeshlensError`.

A small budget runs in CI; ``pytest --fuzz-long`` runs thousands of cases (``--fuzz-examples N``).
"""

from __future__ import annotations

import tarfile
from collections.abc import Callable
from functools import cache
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import meshlens as ml
from meshlens.errors import MeshlensError
from tests.conftest import FIXTURES, needs_shared

pytestmark = needs_shared

BOOKINFO = FIXTURES / "bugreport" / "bookinfo-mesh.tar.gz"
ENVOY_SEEDS = {
    "config_dump": FIXTURES / "envoy" / "sidecar-productpage" / "config_dump_include_eds.json",
    "degraded": FIXTURES / "envoy" / "sidecar-productpage-degraded" / "config_dump_include_eds.json",
    "clusters": FIXTURES / "envoy" / "sidecar-productpage" / "clusters.json",
    "certs": FIXTURES / "envoy" / "sidecar-productpage" / "certs.json",
    "server_info": FIXTURES / "envoy" / "sidecar-productpage" / "server_info.json",
}
ARCHIVE_SEEDS = {
    "ztunnel": "bug-report/proxies/istio-system/ztunnel-qk2pp/config_dump",
    "syncz": "bug-report/istio/istio-system/istiod-7d4f8c9b6d-x2kqp/debug/syncz",
}
TRACES = (
    {"to": "reviews:9080", "path": "/reviews/0", "headers": {"end-user": "jason"}},
    {"to": "productpage:9080", "path": "/"},
    {"to": "details.default.svc.cluster.local:9080", "path": "/details/1"},
    {"to": "reviews:9080", "dst": "10.96.0.1:443"},
    {"to": "unknown:8081"},
)
HOSTILE: tuple[Any, ...] = (
    -1, 0, 1, 140, 2**63, -(2**63), 1.5, -0.0, 1e308, True, False, None, "", "GRPC", "x" * 2000,
    "0.0.0.0", "::", "10.0.0.1/33", "outbound|9080||", "*", "[", "-1s", "1e9s", "\u0000", "é" * 10,
    [], {}, [1], ["x"], [None], [{}], {"x": 1}, {"@type": "type.googleapis.com/bogus"}, [[[]]],
)


@cache
def seed(name: str) -> bytes:
    if name in ENVOY_SEEDS:
        return ENVOY_SEEDS[name].read_bytes()
    with tarfile.open(BOOKINFO) as tar:
        handle = tar.extractfile(ARCHIVE_SEEDS[name])
        assert handle is not None
        return handle.read()


@cache
def paths(name: str) -> tuple[tuple[Any, ...], ...]:
    """Every location in the seed's tree (iteratively), as a tuple of keys and indexes."""
    out: list[tuple[Any, ...]] = []
    stack: list[tuple[tuple[Any, ...], Any]] = [((), orjson.loads(seed(name)))]
    while stack:
        path, node = stack.pop()
        out.append(path)
        if isinstance(node, dict):
            stack.extend((path + (k,), v) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((path + (i,), v) for i, v in enumerate(node))
    return tuple(sorted(out, key=repr))


def nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value] if depth % 2 else {"a": value}
    return value


def mutate(doc: Any, path: tuple[Any, ...], action: str, value: Any) -> Any:
    if not path:
        return value if action == "replace" else doc
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    if action == "delete":
        del parent[key]
    elif action == "nest":
        parent[key] = nested(value)
    elif action == "wrap":
        parent[key] = [parent[key]] if not isinstance(parent[key], list) else {"x": parent[key]}
    elif action == "stringify":
        parent[key] = orjson.dumps(parent[key]).decode()[:5000]
    else:
        parent[key] = value
    return doc


@st.composite
def mutated(draw: Callable[..., Any]) -> tuple[str, Any, str]:
    name = draw(st.sampled_from(sorted(ENVOY_SEEDS) + sorted(ARCHIVE_SEEDS)))
    path = draw(st.sampled_from(paths(name)))
    action = draw(st.sampled_from(("replace", "replace", "replace", "delete", "nest", "wrap", "stringify")))
    value = draw(st.integers(min_value=50, max_value=1100)) if action == "nest" else draw(st.sampled_from(HOSTILE))
    doc = mutate(orjson.loads(seed(name)), path, action, value)
    return name, doc, f"{name}: {action} {path!r} -> {value!r:.80}"


def _each(calls: list[tuple[str, Callable[[], Any]]]) -> None:
    for label, call in calls:
        try:
            call()
        except MeshlensError:
            pass
        except Exception as exc:  # the property under test
            raise AssertionError(f"{label}: {type(exc).__name__}: {exc}") from exc


def consume(snap: Any, name: str) -> None:
    """Every main consumer over every proxy and ztunnel of ``snap``."""
    from meshlens.analysis.istioctl_compare import istioctl_compare
    from meshlens.summary import inspect
    from meshlens.views import ENVOY_VIEWS, ZTUNNEL_VIEWS
    from meshlens.views.envoy import render as render_envoy
    from meshlens.views.ztunnel import render as render_ztunnel

    calls: list[tuple[str, Callable[[], Any]]] = [("check", lambda: str(ml.check(snap, now="2026-11-22T14:00:00Z"))),
                                                  ("inspect", lambda: inspect(snap).to_dict())]
    for proxy in snap.proxies:
        for kind in ("listeners", "clusters", "route_configs", "endpoints", "secrets", "ecds"):
            for r in getattr(proxy, kind):
                calls.append((f"{kind} {r.name!r}.config", lambda r=r: r.config))
        for view in ENVOY_VIEWS:
            for output in ("short", "json", "yaml"):
                calls.append((f"pc {view} -o {output}",
                              lambda v=view, o=output, p=proxy: render_envoy(p.view(v), o)))
        for kwargs in TRACES:
            calls.append((f"trace {kwargs}", lambda k=kwargs, p=proxy: (str(ml.trace(p, **k)),
                                                                        ml.trace(p, **k).to_dict())))
        calls.append(("graph", lambda p=proxy: ([d.to_dict() for d in p.graph().dangling()], p.graph().to_dot())))
        if name in ("config_dump", "degraded"):
            calls.append(("diff", lambda p=proxy: str(ml.diff(orjson.loads(seed(name)), p))))
            calls.append(("istioctl diff", lambda p=proxy: istioctl_compare(orjson.loads(seed(name)), p)))
    for z in snap.ztunnels:
        for view in ZTUNNEL_VIEWS:
            for output in ("short", "json", "yaml"):
                calls.append((f"zc {view} -o {output}",
                              lambda v=view, o=output, z=z: render_ztunnel(z.view(v), o)))
    _each(calls)


def load_and_consume(name: str, doc: Any) -> None:
    try:
        sources: tuple[Any, ...] = (doc, orjson.dumps(doc))
    except TypeError:  # deeper than orjson writes (254 levels): the parsed form only
        sources = (doc,)
    for source in sources:
        try:
            snap = ml.load(source)
        except MeshlensError:
            continue
        except Exception as exc:
            raise AssertionError(f"load: {type(exc).__name__}: {exc}") from exc
        consume(snap, name)


def fuzz_settings(request: pytest.FixtureRequest) -> settings:
    long = request.config.getoption("--fuzz-long")
    examples = request.config.getoption("--fuzz-examples") or (3000 if long else 40)
    return settings(max_examples=examples, deadline=None, derandomize=not long, database=None,
                    suppress_health_check=list(HealthCheck))


def test_fuzz_mutated_real_captures(request: pytest.FixtureRequest) -> None:
    @fuzz_settings(request)
    @given(mutated())
    def run(case: tuple[str, Any, str]) -> None:
        name, doc, label = case
        try:
            load_and_consume(name, doc)
        except AssertionError as exc:
            raise AssertionError(f"{label}\n{exc}") from exc

    run()


def test_every_seed_runs_clean() -> None:
    """The unmutated seeds go through every consumer (so the fuzzing exercises real code paths)."""
    for name in sorted(ENVOY_SEEDS) + sorted(ARCHIVE_SEEDS):
        load_and_consume(name, orjson.loads(seed(name)))


# Mutations the fuzzing found (each once raised something other than MeshlensError), kept as fixed cases.
REGRESSIONS = [
    ("clusters", ("cluster_statuses", 7, "host_statuses", 0, "stats", 2, "name"), "replace", []),
    ("clusters", ("cluster_statuses", 15, "circuit_breakers", "thresholds", 0), "nest", 472),
    ("config_dump", ("configs", 5, "dynamic_route_configs", 1, "last_updated"), "replace", True),
    ("config_dump", ("configs", 0, "@type"), "nest", 1092),
    ("config_dump", ("configs", 0, "bootstrap", "node", "extensions", 62, "type_urls", 0), "nest", 439),
    ("degraded", ("configs", 6, "dynamic_active_secrets", 0, "secret", "@type"), "nest", 254),
    ("degraded", ("configs", 3, "dynamic_listeners", 2, "active_state", "listener", "address", "socket_address",
                  "port_value"), "replace", "GRPC"),
    ("degraded", ("configs", 2, "dynamic_endpoint_configs", 7, "endpoint_config", "endpoints"), "replace", [None]),
    ("ztunnel", ("workloadState",), "nest", 1094),
    ("config_dump", ("configs", 2, "static_endpoint_configs", 3, "endpoint_config", "endpoints", 0, "lb_endpoints"),
     "replace", 1.5),
    ("config_dump", ("configs", 2, "static_endpoint_configs", 3, "endpoint_config", "endpoints"), "replace", 7),
]


@pytest.mark.parametrize("name, path, action, value", REGRESSIONS, ids=[f"{r[0]}-{r[2]}-{i}" for i, r in
                                                                      enumerate(REGRESSIONS)])
def test_fuzz_regressions(name: str, path: tuple[Any, ...], action: str, value: Any) -> None:
    doc = orjson.loads(seed(name))
    try:
        doc = mutate(doc, path, action, value)
    except (KeyError, IndexError, TypeError):
        pytest.skip(f"the seed changed: {path!r} is gone")
    load_and_consume(name, doc)
