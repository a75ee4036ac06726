"""Capture kinds are registered: a loader and its summary line are the whole change for a new kind."""

from __future__ import annotations

from pathlib import Path

import pytest

import meshlens
import meshlens.sources as sources
from meshlens.models.snapshot import EnvoyProxy
from meshlens.sources import kinds
from meshlens.sources.admin import CAPTURE_KINDS
from meshlens.sources.kinds import CaptureKind, register
from meshlens.summary import summarize
from tests.conftest import SAMPLES

PP = SAMPLES / "envoy" / "productpage"


def test_every_admin_loader_is_a_registered_kind() -> None:
    assert set(CAPTURE_KINDS) <= set(sources.LOADERS)
    for kind in CAPTURE_KINDS:
        assert kind in kinds.kinds_of(kind.slot)
        assert kind.label.startswith("/") and kind.summary and kind.sniff


def test_the_usual_captures_read_as_attributes_and_slots() -> None:
    snap = meshlens.load_many([str(PP / "config_dump_include_eds.json"), str(PP / "clusters.json"),
                               str(PP / "certs.json"), str(PP / "server_info.json")])
    proxy = snap.proxy()
    assert proxy.cluster_statuses is proxy.capture("clusters") is proxy.captures["clusters"]
    assert proxy.certs is proxy.captures["certs"] and proxy.server_info is proxy.captures["server_info"]
    assert proxy.listener_statuses is None and proxy.capture("listeners") is None
    lines = summarize(snap).proxies[0].captures
    assert lines["/clusters"] == f"{len(proxy.cluster_statuses)} clusters, " \
        f"{sum(len(c.host_statuses) for c in proxy.cluster_statuses)} hosts"
    assert set(lines) == {"/clusters", "/certs", "/server_info"}
    assert "/clusters: " in str(summarize(snap))


def test_a_new_capture_kind_is_one_declaration(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Envoy's /ready answers one word; nothing in meshlens knows it. Declaring it is the whole change:
    # the proxy holds it (no new EnvoyProxy field), inspect summarises it.
    monkeypatch.setattr(kinds, "_SLOTS", {k: list(v) for k, v in kinds._SLOTS.items()})
    ready = CaptureKind("envoy-ready", "ready", "/ready",
                        sniff=lambda doc: (doc.text or "").strip() in ("LIVE", "DRAINING", "PRE_INITIALIZING"),
                        parse=lambda doc, builder, proxy: (doc.text or "").strip(),
                        summary=lambda state: f"server state {state}")
    monkeypatch.setattr(sources, "LOADERS", (*sources.LOADERS, *register([ready])))
    (tmp_path / "ready.txt").write_text("LIVE\n")
    snap = meshlens.load_many([str(PP / "config_dump_include_eds.json"), str(tmp_path / "ready.txt")])
    proxy = snap.proxy()
    assert proxy.capture("ready") == "LIVE"
    assert "ready" not in EnvoyProxy.__dataclass_fields__
    assert summarize(snap).proxies[0].captures == {"/ready": "server state LIVE"}
    assert "envoy-ready" in {s.kind for s in proxy.sources}


def test_a_second_capture_of_a_slot_is_reported_and_the_richer_form_wins() -> None:
    snap = meshlens.load_many([str(PP / "config_dump_include_eds.json"), str(PP / "clusters.txt"),
                               str(PP / "clusters.json")])
    proxy = snap.proxy()
    json_only = meshlens.load_many([str(PP / "config_dump_include_eds.json"), str(PP / "clusters.json")])
    text_only = meshlens.load_many([str(PP / "config_dump_include_eds.json"), str(PP / "clusters.txt")])
    assert proxy.cluster_statuses == json_only.proxy().cluster_statuses  # the JSON form (richer) was kept
    assert json_only.proxy().cluster_statuses != text_only.proxy().cluster_statuses
    twice = meshlens.load_many([str(PP / "config_dump_include_eds.json"), str(PP / "certs.json"),
                                str(PP / "certs.json")])
    assert [f.code for f in twice.findings if f.code == "ML0013"] == ["ML0013"]  # same rank: reported, ignored
