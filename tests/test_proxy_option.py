"""--proxy on query and diff: one proxy of an archive, with the same name rules (node id, pod.namespace, pod)."""

from __future__ import annotations

import json

from click.testing import CliRunner

import meshlens as ml
from meshlens.analysis.query import query
from meshlens.cli import main
from tests.conftest import fixture_path

PP = "productpage-v1-6c886ff494-7vxhs"
NODE = f"sidecar~10.244.0.22~{PP}.default~default.svc.cluster.local"


def test_query_one_proxy_or_keyed_by_proxy() -> None:
    snap = ml.load(fixture_path("bugreport", "bookinfo-mesh.tar.gz"))
    expr = "$.configs[0].bootstrap.node.id"
    for name in (PP, f"{PP}.default", NODE):
        assert query(snap, expr, proxies=[name]) == [NODE]
    keyed = query(snap, expr, proxies=[PP, "reviews-v1-5c4d6d447c-jq8sm"])
    assert isinstance(keyed, dict) and set(keyed) == {f"{PP}.default", "reviews-v1-5c4d6d447c-jq8sm.default"}
    every = query(snap, expr, by_proxy=True)
    assert isinstance(every, dict) and len(every) == 5 and every["ztunnel-qk2pp"] == []
    assert len(query(snap, expr)) == 4  # without --proxy: every document, as before


def test_cli_query_and_diff_with_proxy() -> None:
    archive = str(fixture_path("bugreport", "bookinfo-mesh.tar.gz"))
    res = CliRunner().invoke(main, ["query", archive, "$.configs[0].bootstrap.node.id", "--proxy", PP])
    assert res.exit_code == 0 and json.loads(res.output) == [NODE]
    res = CliRunner().invoke(main, ["query", archive, "$.x", "--proxy", "nope"])
    assert res.exit_code == 2 and "no proxy named 'nope'" in res.output
    res = CliRunner().invoke(main, ["diff", archive, archive, "--proxy", PP, "-o", "json"])
    assert res.exit_code == 0, res.output
    statuses = {(r["type"], r["name"]): r["status"] for r in json.loads(res.output)["resources"]}
    assert statuses[("LDS", "0.0.0.0_8082")] == "rejected"
    res = CliRunner().invoke(main, ["diff", archive, archive])
    assert res.exit_code == 2  # several proxies and none named


def test_zc_takes_proxy_as_the_ztunnel_name() -> None:
    archive = str(fixture_path("bugreport", "bookinfo-mesh.tar.gz"))
    by_proxy = CliRunner().invoke(main, ["zc", "service", archive, "--proxy", "ztunnel-qk2pp"])
    by_ztunnel = CliRunner().invoke(main, ["zc", "service", archive, "--ztunnel", "ztunnel-qk2pp"])
    assert by_proxy.exit_code == 0 and by_proxy.output == by_ztunnel.output
