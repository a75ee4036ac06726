"""Bulk work holds the cyclic GC and settles once (issue 14 items 2 and 4): no "GC storms".

Counted, not timed: the collector's own callbacks say how many full passes ran. Typing every
resource of the n1000 dump one ``.config`` at a time used to run a full collection each time the
heap grew by a quarter (each one re-traversing the whole capture); validated in bulk there is at
most the one settling pass, and traces afterwards run no full pass at all.
"""

from __future__ import annotations

import gc
import gzip
import pickle
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

import meshlens
from meshlens.errors import LoadError
from tests.conftest import SAMPLES, fixture_path


@contextmanager
def full_passes() -> Iterator[list[int]]:
    passes: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "stop":
            passes.append(info["generation"])

    gc.callbacks.append(count)
    try:
        yield passes
    finally:
        gc.callbacks.remove(count)


def _every_resource(proxy: meshlens.EnvoyProxy) -> list[object]:
    return [*proxy.listeners, *proxy.clusters, *proxy.route_configs, *proxy.endpoints, *proxy.secrets, *proxy.ecds]


@pytest.fixture(scope="module")
def n1000() -> bytes:
    return gzip.decompress(fixture_path("envoy", "scale", "n1000-config_dump_include_eds.json.gz").read_bytes())


def test_typing_every_resource_runs_at_most_one_full_collection(n1000: bytes) -> None:
    proxy = meshlens.load(n1000).proxy()
    with full_passes() as passes:
        for resource in _every_resource(proxy):
            resource.config  # noqa: B018 - the validation is the point
    assert passes.count(2) <= 1, f"{passes.count(2)} full collections while typing the dump"


def test_traces_after_the_first_run_no_full_collection(n1000: bytes) -> None:
    proxy = meshlens.load(n1000).proxy()
    meshlens.trace(proxy, to="reviews:9080", path="/")  # builds the indexes and types what a trace reads
    hosts = sorted({c.parsed_name.host for c in proxy.clusters if c.parsed_name.kind == "outbound"})[:300]
    with full_passes() as passes:
        for host in hosts:
            meshlens.trace(proxy, to=f"{host}:9080", path="/x")
    assert passes.count(2) == 0


def test_bulk_validation_keeps_a_malformed_resource_located() -> None:
    raw = (SAMPLES / "envoy" / "productpage" / "config_dump_include_eds.json").read_bytes()
    doc = meshlens.load(raw)
    proxy = doc.proxy()
    bad = proxy.clusters[3]
    bad.raw["connect_timeout"] = {"not": "a duration"}
    bad._model = None  # as if never validated
    good = proxy.clusters[4]
    assert good.config is not None  # validating the others (in bulk) does not raise for the bad one
    with pytest.raises(LoadError) as err:
        bad.config  # noqa: B018
    assert "malformed cluster" in str(err.value) and "connect_timeout" in str(err.value)
    with pytest.raises(LoadError):  # and again: the refusal is kept
        bad.config  # noqa: B018


def test_an_unpickled_proxy_validates_in_bulk_again() -> None:
    raw = (SAMPLES / "envoy" / "productpage" / "config_dump_include_eds.json").read_bytes()
    proxy = pickle.loads(pickle.dumps(meshlens.load(raw))).proxy()
    proxy.clusters[0].config  # noqa: B018
    assert all(r._model is not None for r in proxy.clusters)  # one access typed them all
    assert all(r._model is None for r in proxy.route_configs)  # and only that kind
