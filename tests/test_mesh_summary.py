"""inspect of an archive: one row per proxy and ztunnel, trouble first (sync state, findings, not serving)."""

from __future__ import annotations

import json

from click.testing import CliRunner

import meshlens as ml
from meshlens.cli import main
from tests.conftest import fixture_path

PP = "productpage-v1-6c886ff494-7vxhs.default"


def test_inspect_archive_rows_problems_first() -> None:
    archive = str(fixture_path("bugreport", "bookinfo-mesh.tar.gz"))
    summary = ml.inspect(archive)
    rows = summary.mesh
    assert [r.name for r in rows][0] == PP and len(rows) == 5
    pp = rows[0]
    assert pp.sync["CDS"] == "STALE" and pp.sync["LDS"] == "ERROR" and pp.sync["EDS"] == "SYNCED"
    assert pp.rejected == 1 and pp.warming == 2 and pp.findings["error"] == 1
    zt = next(r for r in rows if r.kind == "ztunnel")
    assert zt.sync == {"WADS": "SYNCED", "WDS": "SYNCED"}
    frame_rows = summary.records()
    assert frame_rows[0]["name"] == PP and frame_rows[0]["sync_LDS"] == "ERROR" and frame_rows[0]["warming"] == 2
    res = CliRunner().invoke(main, ["inspect", archive])
    assert res.exit_code == 0
    table = res.output.split("mesh:", 1)[1].splitlines()
    assert PP in table[2] and "STALE" in table[2] and "ERROR" in table[2]
    data = json.loads(CliRunner().invoke(main, ["inspect", archive, "-o", "json"]).output)
    assert data["mesh"][0]["name"] == PP


def test_one_proxy_has_no_mesh_rows() -> None:
    assert ml.inspect(str(fixture_path("envoy", "sidecar-productpage", "config_dump_include_eds.json"))).mesh == []
