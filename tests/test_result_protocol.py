"""One result protocol: every public result has to_dict(), to_frame(), _repr_html_() and a readable str();
pandas' absence is one clear error naming the extra; the public API is exported and documented."""

from __future__ import annotations

import inspect
import json
import re
import sys
import xml.etree.ElementTree as ET
from typing import Any

import orjson
import pytest

import meshlens as ml
from meshlens.errors import MissingExtraError
from meshlens.models.result import Result
from meshlens.render.report import render as render_report
from tests.conftest import FIXTURES, REPO, SAMPLES

PP = SAMPLES / "envoy" / "productpage"
DUMP = str(PP / "config_dump_include_eds.json")
INTENDED = str(PP / "intended" / "istiod_debug_config_dump_include_eds.json")


@pytest.fixture(scope="module")
def results() -> dict[str, Any]:
    proxy = ml.load(DUMP).proxy()
    report = ml.check([DUMP, str(PP / "clusters.json"), str(PP / "certs.json")], now="2040-01-01T00:00:00Z")
    finding = report.findings[0] if report.findings else None
    out = {
        "Table": proxy.view("cluster"),
        "Trace": ml.trace(proxy, to="reviews:9080", path="/reviews/0"),
        "Drift": ml.diff(INTENDED, DUMP),
        "Report": report,
        "Summary": ml.inspect(DUMP),
        "IstioctlComparison": ml.compare_istioctl(INTENDED, DUMP),
        "LogAnalysis": ml.analyze_logs(SAMPLES / "ztunnel" / "ztunnel.log",
                                       SAMPLES / "ztunnel" / "config_dump_direct.json"),
    }
    if finding is not None:
        out["Finding"] = finding
    unhealthy = FIXTURES / "envoy" / "sidecar-unhealthy" / "config_dump_include_eds.json"
    if unhealthy.exists():
        from meshlens.analysis.route_tests import run_route_tests

        out["RouteTestReport"] = run_route_tests(REPO / "tests" / "data" / "route_tests" / "unhealthy.yaml",
                                                 str(unhealthy))
    from meshlens.analysis.route_tests import run_router_check

    out["RouterCheckReport"] = run_router_check(REPO / "tests" / "data" / "router_check" / "routes.yaml",
                                                REPO / "tests" / "data" / "router_check" / "tests.yaml")
    return out


KINDS = ["Table", "Trace", "Drift", "Report", "Summary", "IstioctlComparison", "Finding", "RouteTestReport",
         "RouterCheckReport", "LogAnalysis"]


def _get(results: dict[str, Any], kind: str) -> Any:
    if kind not in results:
        pytest.skip(f"the sample capture gave no {kind}")
    return results[kind]


@pytest.mark.parametrize("kind", KINDS)
def test_every_result_follows_the_protocol(results: dict[str, Any], kind: str) -> None:
    import pandas as pd

    result = _get(results, kind)
    assert isinstance(result, Result) and (kind in ("RouteTestReport", "RouterCheckReport")
                                              or isinstance(result, getattr(ml, kind)))
    orjson.dumps(result.to_dict())  # JSON-safe
    frame = result.to_frame()
    assert isinstance(frame, pd.DataFrame)
    html = result._repr_html_()
    assert isinstance(html, str) and html.startswith("<")
    text = str(result)
    assert text.strip() and " object at 0x" not in text and not text.startswith(type(result).__name__ + "(")


@pytest.mark.parametrize("kind", KINDS)
def test_without_pandas_to_frame_names_the_extra(results: dict[str, Any], kind: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    result = _get(results, kind)
    monkeypatch.setitem(sys.modules, "pandas", None)  # what an environment without pandas looks like
    with pytest.raises(MissingExtraError, match=re.escape("pip install 'meshlens[pandas]'")) as caught:
        result.to_frame()
    assert isinstance(caught.value, ImportError) and isinstance(caught.value, ml.MeshlensError)


def test_the_cli_prints_the_missing_extra_as_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from meshlens.cli.app import handle_errors

    monkeypatch.setitem(sys.modules, "pandas", None)

    @handle_errors
    def command() -> None:
        ml.load(DUMP).proxy().view("cluster").to_frame()

    with pytest.raises(SystemExit) as exited:
        command()
    assert exited.value.code == 2


def test_report_renders_sarif_and_junit_like_the_cli(results: dict[str, Any]) -> None:
    report = results["Report"]
    sarif = report.to_sarif()
    assert sarif == render_report(report, "sarif")
    assert json.loads(sarif)["version"] == "2.1.0"
    junit = report.to_junit()
    assert junit == render_report(report, "junit")
    assert ET.fromstring(junit).tag in ("testsuites", "testsuite")


def test_route_test_report_renders_like_the_cli(results: dict[str, Any]) -> None:
    from meshlens.render.route_tests import render_junit, render_text

    report = _get(results, "RouteTestReport")
    assert str(report) == render_text(report) and report.to_junit() == render_junit(report)
    assert list(report.to_frame()["name"]) == [r.name for r in report.results]


def test_str_of_a_summary_is_what_inspect_prints(results: dict[str, Any]) -> None:
    from meshlens.render.inspect import render_summary

    assert str(results["Summary"]) == render_summary(results["Summary"])


def _readme_python() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return "\n".join(re.findall(r"```python\n(.*?)```", text, flags=re.S))


def test_every_name_the_readme_uses_is_exported_and_documented() -> None:
    used = set(re.findall(r"\bml\.(\w+)", _readme_python()))
    assert used, "README has no python example using `ml.`"
    for name in sorted(used):
        assert name in ml.__all__, f"README uses ml.{name}, not in meshlens.__all__"
        assert (inspect.getdoc(getattr(ml, name)) or "").strip(), f"ml.{name} has no docstring"


def test_what_the_public_functions_return_is_exported() -> None:
    # load -> Snapshot, proxy() -> EnvoyProxy, view -> Table, trace -> Trace, diff -> Drift, check -> Report ...
    wanted = {"Snapshot", "EnvoyProxy", "Table", "Trace", "Drift", "Report", "Finding", "Summary", "Severity",
              "IstioctlComparison", "MeshGraph", "Ztunnel", "explain", "list_checks"}
    assert wanted <= set(ml.__all__)
    for name in ml.__all__:
        if name.startswith("_"):
            continue
        value = getattr(ml, name)
        assert (inspect.getdoc(value) or "").strip(), f"meshlens.{name} has no docstring"
        if inspect.isfunction(value):
            ret = value.__annotations__.get("return")
            if isinstance(ret, str) and re.fullmatch(r"[A-Z]\w*", ret):
                assert ret in ml.__all__, f"meshlens.{name} returns {ret}, which is not exported"


def test_all_is_sorted_and_resolves() -> None:
    names = [n for n in ml.__all__ if n != "__version__"]
    assert names == sorted(names, key=lambda n: (n[0].islower(), n))
    for name in ml.__all__:
        getattr(ml, name)
    assert set(dir(ml)) >= set(ml.__all__)
