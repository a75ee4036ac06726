"""``diff --istioctl``: both sides re-marshalled as Go's jsonpb does, so only real differences show."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from meshlens.analysis.istioctl_compare import compare_sections, istioctl_compare
from meshlens.cli import main
from meshlens.encoding.gojson import jsonpb_indent
from meshlens.encoding.proto_order import ProtoOrderer
from tests.conftest import fixture_path, needs_shared


def _lab() -> tuple[Path, Path]:
    base = fixture_path("envoy", "sidecar-productpage")
    return base / "intended" / "istiod_debug_config_dump.json", base / "config_dump.json"


@pytest.fixture(autouse=True)
def _utc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    import time

    if hasattr(time, "tzset"):
        time.tzset()


@needs_shared
def test_healthy_lab_capture_matches_like_istioctl() -> None:
    # istiod's writer and Envoy's order the same fields differently (declaration vs field-number
    # order): istioctl re-marshals both, so a fully synced proxy is three Match lines.
    intended, loaded = _lab()
    text = istioctl_compare(str(intended), str(loaded))
    assert text.splitlines()[0] == "Clusters Match"
    assert text.splitlines()[1] == "Listeners Match"
    assert text.splitlines()[2].startswith("Routes Match (RDS last loaded at ")
    assert len(text.splitlines()) == 3
    result = CliRunner().invoke(main, ["diff", str(intended), str(loaded), "--istioctl", "--exit-code"])
    assert result.exit_code == 0, result.output
    assert result.stdout == text


@needs_shared
def test_a_changed_cluster_gives_only_its_changed_lines(tmp_path: Path) -> None:
    intended, loaded = _lab()
    doc = json.loads(intended.read_text())
    clusters = next(c for c in doc["configs"] if c["@type"].endswith("ClustersConfigDump"))
    target = clusters["dynamicActiveClusters"][3]["cluster"]
    assert target["name"] == "inbound|9080||" and target["connectTimeout"] == "10s"
    target["connectTimeout"] = "3s"
    edited = tmp_path / "intended.json"
    edited.write_text(json.dumps(doc))
    text = istioctl_compare(str(edited), str(loaded))
    sections = text.split("Listeners ")
    assert sections[0].startswith("Clusters Don't Match\n--- Istiod Clusters\n+++ Envoy Clusters\n")
    assert "Listeners Match\n" in text and "Routes Match" in text
    changed = [line for line in sections[0].splitlines()[3:] if line.startswith(("+", "-"))]
    assert changed == ['-                "connectTimeout": "3s",', '+                "connectTimeout": "10s",']
    assert len(re.findall(r"^@@ ", text, re.M)) == 1
    hunk = sections[0].split("@@", 2)[2]
    assert '"name": "inbound|9080||"' in hunk  # the hunk's context names the cluster


def test_fields_in_declaration_order_whatever_the_input_order() -> None:
    # Cluster declares transport_socket_matches first although its number is 43; Envoy's admin
    # writes field-number order, istiod declaration order: both come out the same.
    envoy_order = {"name": "c", "connect_timeout": "1s", "transport_socket_matches": [{"name": "m"}],
                   "metadata": {"filter_metadata": {"istio": {"z": 1, "a": "x"}}}}
    istiod_order = {"transportSocketMatches": [{"name": "m"}], "metadata": {
        "filterMetadata": {"istio": {"a": "x", "z": 1}}}, "connectTimeout": "1s", "name": "c"}
    a = ProtoOrderer().tree(envoy_order, "envoy.config.cluster.v3.Cluster")
    b = ProtoOrderer().tree(istiod_order, "envoy.config.cluster.v3.Cluster")
    assert list(a) == ["transportSocketMatches", "name", "connectTimeout", "metadata"]
    assert jsonpb_indent(a) == jsonpb_indent(b)
    text = jsonpb_indent(a)
    assert text.index('"a": "x"') < text.index('"z": 1')  # Struct keys sorted like Go


def test_defaults_are_left_out_but_present_wrappers_are_kept() -> None:
    hcm = "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
    tree = ProtoOrderer().tree({"stat_prefix": "", "codec_type": "AUTO", "use_remote_address": False,
                                "generate_request_id": True}, hcm)
    assert tree == {"useRemoteAddress": False, "generateRequestId": True}


def test_what_cannot_be_placed_is_a_note_not_a_silent_match() -> None:
    orderer = ProtoOrderer()
    tree = orderer.tree({"name": "c", "no_such_field": 1,
                         "typed_extension_protocol_options": {"x": {"@type": "type.googleapis.com/istio.Unknown",
                                                                    "b_field": 1, "a_field": 2}}},
                        "envoy.config.cluster.v3.Cluster")
    assert list(tree) == ["name", "typedExtensionProtocolOptions", "noSuchField"]
    assert list(tree["typedExtensionProtocolOptions"]["x"]) == ["@type", "bField", "aField"]
    assert any("no field 'no_such_field'" in n for n in orderer.notes)
    assert any("istio.Unknown is not in Envoy's API table" in n for n in orderer.notes)


@needs_shared
def test_notes_are_returned_beside_the_text() -> None:
    intended, loaded = _lab()
    text, notes = compare_sections(str(intended), str(loaded))
    assert text.startswith("Clusters Match\n") and notes == []
