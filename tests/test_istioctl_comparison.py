"""``diff --istioctl`` is a typed result: per-type in-sync flags; the CLI renders it and exits on the flags."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from meshlens.analysis import istioctl_compare as ic
from meshlens.analysis.istioctl_compare import IstioctlComparison, SectionComparison, compare_istioctl
from meshlens.cli import main
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
def test_flags_per_type(tmp_path: Path) -> None:
    intended, loaded = _lab()
    same = compare_istioctl(str(intended), str(loaded))
    assert same.in_sync and same.clusters_in_sync and same.listeners_in_sync and same.routes_in_sync
    assert [s.type for s in same.sections] == ["Clusters", "Listeners", "Routes"]
    assert all(s.diff == "" for s in same.sections)
    doc = json.loads(intended.read_text())
    clusters = next(c for c in doc["configs"] if c["@type"].endswith("ClustersConfigDump"))
    clusters["dynamicActiveClusters"][3]["cluster"]["connectTimeout"] = "3s"
    edited = tmp_path / "intended.json"
    edited.write_text(json.dumps(doc))
    drifted = compare_istioctl(str(edited), str(loaded))
    assert not drifted.in_sync and not drifted.clusters_in_sync
    assert drifted.listeners_in_sync and drifted.routes_in_sync
    assert drifted.section("clusters").diff.startswith("--- Istiod Clusters\n+++ Envoy Clusters\n")
    assert str(drifted).startswith("Clusters Don't Match\n--- Istiod Clusters\n")
    assert drifted.to_dict()["sections"][0] == {"type": "Clusters", "in_sync": False,
                                                 "diff": drifted.section("Clusters").diff}
    frame = drifted.to_frame()
    assert list(frame["type"]) == ["Clusters", "Listeners", "Routes"] and list(frame["in_sync"]) == [False, True, True]
    assert "Clusters Don&#x27;t Match" in drifted._repr_html_()


def test_the_cli_decides_the_exit_code_from_the_flags_not_the_text(monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path: Path) -> None:
    # A comparison whose text would not contain "Don't Match" but whose flag says drifted: exit 1.
    fake = IstioctlComparison(sections=(SectionComparison("Clusters", False, "--- a\n+++ b\n"),
                                        SectionComparison("Listeners", True), SectionComparison("Routes", True)),
                              notes=("a note",))
    monkeypatch.setattr(ic, "istioctl_text", lambda c: "(rendered)\n")
    monkeypatch.setattr(ic, "compare_istioctl", lambda a, b, **_: fake)
    result = CliRunner().invoke(main, ["diff", "a.json", "b.json", "--istioctl", "--exit-code"])
    assert result.exit_code == 1, result.output
    assert result.stdout == "(rendered)\n" and "note: a note" in result.stderr
    synced = IstioctlComparison(sections=(SectionComparison("Clusters", True),))
    monkeypatch.setattr(ic, "compare_istioctl", lambda a, b, **_: synced)
    result = CliRunner().invoke(main, ["diff", "a.json", "b.json", "--istioctl", "--exit-code", "-o", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"in_sync": True, "rds_loaded_at": None, "notes": [],
                                         "sections": [{"type": "Clusters", "in_sync": True, "diff": ""}]}


def test_the_cli_does_not_search_the_text() -> None:
    from tests.conftest import REPO

    assert "Don't Match" not in (REPO / "meshlens" / "cli" / "diff.py").read_text(encoding="utf-8")
