"""ztunnel log analysis on seeded scenarios (tests/ztunnel_loggen.py): counts, fit, failover, dump findings."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import meshlens as ml
from meshlens.analysis.logs import analyze_logs, chi_square_p
from meshlens.cli import main
from meshlens.sources.ztunnel_logs import parse_text
from tests.conftest import SAMPLES
from tests.ztunnel_loggen import BACKENDS, SERVICE, scenario

DUMP = SAMPLES / "ztunnel" / "config_dump.json"
V1, V2, V3 = (b[0] for b in BACKENDS)
CONTRACT_KEYS = ["lines", "events", "unparsed", "unparsed_examples", "flows", "failovers", "errors", "outlier"]
FLOW_KEYS = ["source", "service", "connections", "failed", "protocols", "expected_protocol", "backends", "expected",
             "p_value", "balanced", "never_selected"]


def _analyse(lines: list[str], dump: Any = None, **kw: Any) -> Any:
    return analyze_logs(parse_text("\n".join(lines)), dump, **kw)


def _dump(tmp_path: Path, *, capacity: dict[str, int] | None = None, unhealthy: tuple[str, ...] = (),
          extra_backend: str | None = None) -> Path:
    """The sample ztunnel dump with reviews served directly (no waypoint), capacities and health changed."""
    doc = json.loads(DUMP.read_text())
    svc = next(s for s in doc["services"] if s["name"] == "reviews")
    del svc["waypoint"]
    svc["loadBalancer"] = {"healthPolicy": "AllowAll", "mode": "Standard", "routingPreferences": []}
    for w in doc["workloads"]:
        if w["name"] in (capacity or {}):
            w["capacity"] = capacity[w["name"]]  # type: ignore[index]
        if w["name"] in unhealthy:
            w["status"] = "Unhealthy"
            svc["endpoints"][w["uid"]]["status"] = "Unhealthy"
    if extra_backend:
        template = next(w for w in doc["workloads"] if w["name"] == V1)
        new = copy.deepcopy(template)
        new.update(name=extra_backend, uid=f"Kubernetes//Pod/bookinfo/{extra_backend}", workloadIps=["10.244.1.99"])
        doc["workloads"].append(new)
        svc["endpoints"][new["uid"]] = {"workloadUid": new["uid"], "port": {"9080": 9080}, "status": "Healthy"}
    path = tmp_path / "dump.json"
    path.write_text(json.dumps(doc))
    return path


def test_per_backend_counts_and_failover_are_exact() -> None:
    lines, truth = scenario(300, seed=7, fail=1, fail_window=(100, 200))
    result = _analyse(lines)
    (flow,) = result.flows
    assert (flow.source, flow.service) == ("bookinfo/productpage-v1-6c8f9d7b5b-q8m4z", SERVICE)
    assert {b.workload: b.connections for b in flow.backends} == truth.connections
    assert {b.workload: b.failed for b in flow.backends} == truth.failed
    assert flow.connections == 300 and flow.failed == truth.failures
    assert flow.protocols == {"HBONE": 300}
    assert {b.workload: b.inbound for b in flow.backends} == truth.succeeded  # the other side, not added
    (fo,) = result.failovers
    assert (fo.service, fo.backend, fo.failures, fo.errors) == (SERVICE, V2, truth.failures, ["CONNECT"])
    assert (fo.first_failure, fo.last_failure, fo.recovered) == (truth.first_failure, truth.last_failure,
                                                                 truth.recovered)
    assert fo.others_served == truth.others_served
    (err,) = result.errors
    assert (err.cls, err.count) == ("CONNECT", truth.failures)


def test_no_recovery_when_the_backend_never_comes_back() -> None:
    lines, truth = scenario(300, seed=3, fail=0, fail_window=(150, 300))
    (fo,) = _analyse(lines).failovers
    assert truth.recovered is None and fo.recovered is None and fo.backend == V1


def test_whole_service_down_is_no_failover() -> None:
    lines, _ = scenario(50, seed=3, backends=BACKENDS[:1], fail=0, fail_window=(0, 50))
    result = _analyse(lines)
    assert result.failovers == [] and result.flows[0].failed == 50


def test_balanced_for_a_capacity_weighted_random_spread(tmp_path: Path) -> None:
    dump = _dump(tmp_path, capacity={V1: 2})
    lines, _ = scenario(400, seed=11, weights=(2, 1, 1))
    flow = _analyse(lines, str(dump)).flows[0]
    assert flow.expected == [{"workload": V1, "weight": 2}, {"workload": V2, "weight": 1},
                             {"workload": V3, "weight": 1}]
    assert flow.balanced is True and flow.p_value is not None and flow.p_value >= 0.01
    assert flow.expected_protocol == "HBONE" and flow.never_selected == []


def test_not_balanced_for_a_heavily_skewed_spread(tmp_path: Path) -> None:
    lines, _ = scenario(400, seed=11, weights=(8, 1, 1))
    flow = _analyse(lines, str(_dump(tmp_path))).flows[0]
    assert flow.balanced is False and flow.p_value is not None and flow.p_value < 1e-10
    # without a dump, every backend seen with weight 1: still skewed
    assert _analyse(lines).flows[0].balanced is False


def test_p_value_null_below_five_expected_per_backend() -> None:
    lines, _ = scenario(12, seed=1)
    flow = _analyse(lines).flows[0]
    assert flow.p_value is None and flow.balanced is None
    assert chi_square_p([1, 1], [5, 5]) == pytest.approx(1.0)
    assert chi_square_p([1], [10]) is None


def test_never_selected_and_unhealthy_on_the_right_workloads(tmp_path: Path) -> None:
    dump = _dump(tmp_path, unhealthy=(V3,), extra_backend="reviews-v4-1a2b3c4d5e-zzzzz")
    lines, _ = scenario(300, seed=5)  # picks v1, v2, v3 only
    flow = _analyse(lines, str(dump)).flows[0]
    assert flow.never_selected == ["reviews-v4-1a2b3c4d5e-zzzzz"]
    assert flow.unhealthy_selected == [V3]
    assert flow.unknown_selected == []
    assert [e["workload"] for e in flow.expected] == [V1, V2, "reviews-v4-1a2b3c4d5e-zzzzz"]
    assert flow.balanced is False  # v4 got nothing of its third


def test_backend_absent_from_the_dump(tmp_path: Path) -> None:
    lines, _ = scenario(60, seed=5, backends=(*BACKENDS, ("reviews-v9-000000000-aaaaa", "10.9.9.9")))
    flow = _analyse(lines, str(_dump(tmp_path))).flows[0]
    assert flow.unknown_selected == ["reviews-v9-000000000-aaaaa"]


def test_json_contract_keys_and_order(tmp_path: Path) -> None:
    lines, _ = scenario(100, seed=2, fail=2, fail_window=(10, 60), outlier_lines=True)
    doc = _analyse(lines, str(_dump(tmp_path))).to_dict()
    assert list(doc)[:len(CONTRACT_KEYS)] == CONTRACT_KEYS
    assert list(doc["flows"][0])[:len(FLOW_KEYS)] == FLOW_KEYS
    assert list(doc["flows"][0]["backends"][0])[:4] == ["workload", "address", "connections", "failed"]
    assert list(doc["failovers"][0]) == ["service", "backend", "first_failure", "last_failure", "failures", "errors",
                                         "recovered", "others_served"]
    assert list(doc["errors"][0]) == ["class", "count", "example"]
    (outlier,) = doc["outlier"]
    assert outlier["backend"] == "10.244.1.14:9080"
    assert {e["kind"] for e in outlier["events"]} == {"circuit_breaker"}
    assert list(outlier["events"][0]) == ["time", "kind", "fields"]


def test_since_until_and_service_filters() -> None:
    lines, _ = scenario(100, seed=2)
    result = _analyse(lines, since="2026-11-22T13:00:05Z", until="2026-11-22T13:00:05.900000Z")
    assert result.flows[0].connections == 10
    assert _analyse(lines, service="reviews").flows[0].connections == 100
    assert _analyse(lines, service="ratings").flows == []
    with pytest.raises(ml.UsageError, match="--since"):
        _analyse(lines, since="yesterday")


def test_result_protocol() -> None:
    lines, _ = scenario(100, seed=2, fail=1, fail_window=(10, 50))
    result = _analyse(lines)
    text = str(result)
    assert "BACKEND" in text and "Failover timeline" in text and "balanced" in text
    assert "<table>" in result._repr_html_()
    frame = result.to_frame()
    assert list(frame["backend"]) == [V1, V2, V3] and frame["connections"].sum() == 100


def test_cli_logs_text_json_and_errors(tmp_path: Path) -> None:
    lines, truth = scenario(200, seed=4, fail=0, fail_window=(50, 100))
    log = tmp_path / "ztunnel.log"
    log.write_text("\n".join(lines) + "\n")
    dump = _dump(tmp_path)
    runner = CliRunner()
    res = runner.invoke(main, ["logs", str(log), "--dump", str(dump), "-o", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["lines"] == len(lines) and doc["unparsed"] == 0
    assert doc["failovers"][0]["recovered"] == truth.recovered
    res = runner.invoke(main, ["logs", str(log)])
    assert res.exit_code == 0 and "reviews.bookinfo.svc.cluster.local" in res.output
    res = runner.invoke(main, ["logs", str(tmp_path / "missing.log")])
    assert res.exit_code == 2 and "no such file" in res.output
    res = runner.invoke(main, ["logs", str(dump)])
    assert res.exit_code == 2 and "holds no ztunnel log" in res.output
    res = runner.invoke(main, ["logs", str(log), "--since", "nope"])
    assert res.exit_code == 2 and "--since" in res.output


def test_plot_png_and_svg(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    lines, _ = scenario(100, seed=2, fail=1, fail_window=(10, 50))
    log = tmp_path / "z.log"
    log.write_text("\n".join(lines))
    for name in ("shares.png", "shares.svg"):
        res = CliRunner().invoke(main, ["logs", str(log), "--plot", str(tmp_path / name)])
        assert res.exit_code == 0, res.output
        assert (tmp_path / name).stat().st_size > 1000
    res = CliRunner().invoke(main, ["logs", str(log), "--plot", str(tmp_path / "x.pdf")])
    assert res.exit_code == 2 and ".png or .svg" in res.output


def test_sample_log_is_what_the_script_writes(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.conftest import REPO

    subprocess.run([sys.executable, str(REPO / "scripts" / "make_ztunnel_log_sample.py"), "--out", str(tmp_path)],
                   check=True, capture_output=True)
    for name in ("ztunnel.log", "config_dump_direct.json"):
        assert (tmp_path / name).read_bytes() == (SAMPLES / "ztunnel" / name).read_bytes(), name


def test_sample_log_failover_and_flows() -> None:
    result = analyze_logs(SAMPLES / "ztunnel" / "ztunnel.log", SAMPLES / "ztunnel" / "config_dump_direct.json")
    assert result.unparsed == 0 and result.lines == 577
    flow = result.flow("reviews")
    assert flow.expected_protocol == "HBONE" and flow.balanced is True and flow.connections == 300
    (fo,) = result.failovers
    assert (fo.backend, fo.recovered) == (V2, "2026-11-22T13:00:21.400000Z")
    assert [o.backend for o in result.outlier] == ["10.244.2.22:9080"]
    assert result.plaintext_inbound[0]["workload"] == "details-v1-7d4b9c8f6d-h2xlq"


def test_readme_ambient_commands_on_the_samples_run() -> None:
    import re
    import subprocess
    import sys

    from tests.conftest import REPO

    text = (REPO / "README.md").read_text()
    section = text.split("## Ambient", 1)[1].split("\n## ", 1)[0]
    commands = [line.split("  #")[0].strip() for block in re.findall(r"```sh\n(.*?)\n```", section, re.S)
                for line in block.splitlines() if line.startswith("meshlens ")]
    runnable = [c for c in commands if "samples/" in c and "[" not in c]
    assert len(runnable) >= 3
    for command in runnable:
        proc = subprocess.run(f"{sys.executable} -m meshlens.cli {command.removeprefix('meshlens ')}", shell=True,  # noqa: S602
                              cwd=REPO, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, (command, proc.stderr[-300:])
        assert proc.stdout.strip()
