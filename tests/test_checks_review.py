"""Defects found reviewing the checks, each on a small derivation of a real capture."""

from __future__ import annotations

import copy
import xml.dom.minidom
from typing import Any

import orjson
import pytest

import meshlens
from meshlens.render import junit
from meshlens.runner import resolve_now
from tests.conftest import FIXTURES, needs_shared

PRODUCTPAGE = "envoy/sidecar-productpage/config_dump_include_eds.json"
ZTUNNEL_LEGACY = "istio/ztunnel-configdump__legacy-map-format__bookinfo.json"


@pytest.fixture(scope="module")
def productpage() -> dict[str, Any]:
    return orjson.loads((FIXTURES / PRODUCTPAGE).read_bytes())  # type: ignore[no-any-return]


def _vhost(dump: dict[str, Any], route_config: str, index: int = 0) -> dict[str, Any]:
    for section in dump["configs"]:
        for entry in section.get("dynamic_route_configs", ()):
            if entry["route_config"]["name"] == route_config:
                return entry["route_config"]["virtual_hosts"][index]  # type: ignore[no-any-return]
    raise KeyError(route_config)


@needs_shared
def test_grpc_only_catch_all_does_not_shadow(productpage: dict[str, Any]) -> None:
    """``grpc: {}`` is an empty message whose presence restricts the route to gRPC requests."""
    dump = copy.deepcopy(productpage)
    vh = _vhost(dump, "9080")
    vh["routes"].insert(0, {**copy.deepcopy(vh["routes"][-1]), "name": "grpc-only",
                            "match": {"prefix": "/", "grpc": {}}})
    report = meshlens.check(meshlens.load(dump), select=["ML3002"])
    assert not report.findings
    # ...while a plain catch-all still does.
    vh["routes"][0]["match"] = {"prefix": "/"}
    report = meshlens.check(meshlens.load(dump), select=["ML3002"])
    assert [f.subject.name for f in report.findings] == [f"9080/{vh['name']}/default"]


@needs_shared
def test_connect_matcher_is_a_condition(productpage: dict[str, Any]) -> None:
    from meshlens.checks.routes import unconditional

    assert not unconditional({"connect_matcher": {}})
    assert not unconditional({"prefix": "/", "grpc": {}})
    assert unconditional({"prefix": "/", "headers": []})


@needs_shared
def test_duplicate_domain_within_one_virtual_host(productpage: dict[str, Any]) -> None:
    """Envoy rejects a domain listed twice (without case) even inside one virtual host."""
    dump = copy.deepcopy(productpage)
    vh = _vhost(dump, "9080")
    vh["domains"].append(vh["domains"][0].upper())
    report = meshlens.check(meshlens.load(dump), select=["ML3003"])
    [finding] = report.findings
    assert finding.subject.name == f"9080/{vh['name']}"
    assert "an earlier entry of the same virtual host" in finding.message
    assert finding.location.json_path.endswith(f".virtual_hosts[0].domains[{len(vh['domains']) - 1}]")
    assert not meshlens.check(meshlens.load(productpage), select=["ML3003"]).findings


@needs_shared
def test_junit_stays_well_formed_with_control_characters(productpage: dict[str, Any]) -> None:
    dump = copy.deepcopy(productpage)
    _vhost(dump, "9080")["routes"][0]["route"] = {"cluster": "outbound|9080||x\x1b[0m\x00.default.svc.cluster.local"}
    report = meshlens.check(meshlens.load(dump), select=["ML3001"])
    assert report.findings
    text = junit.render(report)
    xml.dom.minidom.parseString(text)  # raises on an invalid document
    assert "\\x1b" in text


@needs_shared
def test_ztunnel_identity_no_longer_needed_is_not_flagged() -> None:
    report = meshlens.check(meshlens.load(FIXTURES / ZTUNNEL_LEGACY), select=["ML1006"])
    flagged = {f.subject.name for f in report.findings}
    assert flagged == {"spiffe://cluster.local/ns/istio-system/sa/istiod"}
    assert any(s.name.endswith("/another-sa") for s in report.run("ML1006").passed)


@needs_shared
def test_now_from_last_updated_without_fraction(productpage: dict[str, Any]) -> None:
    """A stamp whose .000 fraction Envoy dropped is not later than one with a fraction."""
    dump = copy.deepcopy(productpage)
    stamps = ["2030-01-01T00:00:05Z", "2030-01-01T00:00:05.987Z"]
    for section in dump["configs"]:
        for entry in section.get("dynamic_active_clusters", ())[:2]:
            entry["last_updated"] = stamps.pop(0)
    when, source = resolve_now(meshlens.load(dump))
    assert "last_updated" in source
    assert when.isoformat().startswith("2030-01-01T00:00:05.987")
