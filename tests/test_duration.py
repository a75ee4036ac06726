"""One protobuf Duration for the models: every spelling captures use, one value, protojson text back."""

from __future__ import annotations

from datetime import timedelta

import pytest
import yaml

import meshlens
from meshlens.models.duration import Duration
from meshlens.models.envoy.cluster import Cluster
from tests.conftest import SAMPLES


@pytest.mark.parametrize(("value", "seconds", "nanos"), [
    ("5s", 5, 0),
    ("0.250s", 0, 250_000_000),
    ("1.000000001s", 1, 1),
    ("-1.5s", -1, -500_000_000),
    ("0s", 0, 0),
    ({"seconds": 30}, 30, 0),
    ({"seconds": "30", "nanos": 500000000}, 30, 500_000_000),   # protojson writes int64 as a string
    ({"nanos": 250000000}, 0, 250_000_000),
    ({"secs": 86400, "nanos": 0}, 86400, 0),                      # ztunnel (Rust serde)
    (yaml.safe_load("{seconds: 30}"), 30, 0),                     # YAML message form
    (2.5, 2, 500_000_000),
    (timedelta(milliseconds=1500), 1, 500_000_000),
])
def test_parse_every_spelling(value: object, seconds: int, nanos: int) -> None:
    d = Duration.parse(value)
    assert (d.seconds, d.nanos) == (seconds, nanos)
    assert Duration.parse(str(d)) == d  # protojson text round-trips


@pytest.mark.parametrize(("value", "text"), [
    ("5s", "5s"), ("0.250s", "0.250s"), ("0.25s", "0.250s"), ("1.000001s", "1.000001s"),
    ({"seconds": 1, "nanos": 1}, "1.000000001s"), ("-1.5s", "-1.500s"), ({"seconds": 30}, "30s"),
])
def test_text_is_protojson(value: object, text: str) -> None:
    assert str(Duration.parse(value)) == text


@pytest.mark.parametrize("value", ["5", "5ms", "1.5m", "s", "1.0000000001s", {"seconds": 1, "nanos": -1},
                                   {"seconds": 1.5}, {"minutes": 1}, {"nanos": 1_000_000_000}, True, None, [1],
                                   "315576000001s"])
def test_refuses_what_is_not_a_duration(value: object) -> None:
    with pytest.raises(ValueError):
        Duration.parse(value)


def test_compares_and_converts() -> None:
    assert Duration.parse("0.250s") < Duration.parse("1s") == Duration.parse({"seconds": 1})
    assert Duration.parse("1.5s").to_timedelta() == timedelta(seconds=1.5)
    assert Duration.parse("0.250s").total_seconds() == 0.25
    assert not Duration.parse("0s") and Duration.parse("1s")


def test_model_fields_are_typed_durations() -> None:
    snake = Cluster.model_validate({"name": "c", "connect_timeout": "10s"})
    camel = Cluster.model_validate({"name": "c", "connectTimeout": {"seconds": 10}})
    assert snake.connect_timeout == camel.connect_timeout == Duration(10, 0)
    assert snake.model_dump(mode="json")["connect_timeout"] == "10s"
    with pytest.raises(ValueError, match="not a protobuf duration"):
        Cluster.model_validate({"name": "c", "connect_timeout": "ten seconds"})


def test_a_real_capture_reads_as_durations() -> None:
    proxy = meshlens.load(SAMPLES / "envoy" / "productpage" / "config_dump_include_eds.json").proxy()
    timeouts = [c.config.connect_timeout for c in proxy.clusters if c.config.connect_timeout is not None]
    assert timeouts and all(isinstance(t, Duration) for t in timeouts)
