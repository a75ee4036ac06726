"""`meshlens router-check`: router_check_tool's semantics, lines and exit codes.

Every ``validate`` and ``input`` field is exercised on the hand-made route configuration
``tests/data/router_check/routes.yaml``: the passing form (``tests.yaml``) and, per field, a test that
must fail and does (with router_check_tool's failure line). An expectation meshlens cannot evaluate
is an error of its test, never a pass.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from meshlens.analysis.route_tests import run_router_check
from meshlens.errors import LoadError
from tests.conftest import REPO, fixture_path, needs_shared

DATA = REPO / "tests" / "data" / "router_check"
ROUTES = DATA / "routes.yaml"
TESTS = DATA / "tests.yaml"
WWW = "www.example.com"


def _run(tmp_path: Path, *tests: dict[str, Any], routes: Path = ROUTES, **kw: Any) -> Any:
    path = tmp_path / "tests.yaml"
    path.write_text(yaml.safe_dump({"tests": list(tests)}))
    return run_router_check(routes, path, **kw)


def _test(path: str, validate: dict[str, Any], **given: Any) -> dict[str, Any]:
    return {"test_name": "t", "input": {"authority": WWW, "path": path, "method": "GET", **given},
            "validate": validate}


def test_every_field_passes_on_the_hand_made_routes() -> None:
    report = run_router_check(ROUTES, TESTS)
    failed = {r.name: r.failures + r.errors for r in report.results if not r.passed}
    assert not failed
    assert len(report.results) == 15


# (test, the failure line it must produce): one per validate field, and per input field one where
# the input decides the outcome.
MUST_FAIL = [
    (_test("/w", {"cluster_name": "w-b"}, random_value=29),
     "expected: [w-b], actual: [w-a], test type: cluster_name"),
    (_test("/w", {"cluster_name": "w-a"}, random_value=30),
     "expected: [w-a], actual: [w-b], test type: cluster_name"),
    (_test("/w", {"virtual_cluster_name": "vc-post"}),
     "expected: [vc-post], actual: [other], test type: virtual_cluster_name"),
    (_test("/w", {"virtual_host_name": "secure"}),
     "expected: [secure], actual: [www], test type: virtual_host_name"),
    (_test("/old/x", {"path_rewrite": "/old/x"}),
     "expected: [/old/x], actual: [/new/x], test type: path_rewrite"),
    (_test("/re/ab/1", {"path_rewrite": "/ab/1"}),
     "expected: [/ab/1], actual: [/1/ab], test type: path_rewrite"),
    (_test("/books/9/reviews", {"path_rewrite": "/books/9/reviews"}),
     "expected: [/books/9/reviews], actual: [/reviews/9], test type: path_rewrite"),
    (_test("/old/x", {"host_rewrite": WWW}),
     f"expected: [{WWW}], actual: [rewritten.example.com], test type: host_rewrite"),
    (_test("/redirect", {"path_redirect": "http://www.example.com/moved"}),
     "expected: [http://www.example.com/moved], actual: [https://www.example.com/moved], test type: path_redirect"),
    (_test("/w", {"path_redirect": "https://www.example.com/w"}),
     "expected: [https://www.example.com/w], actual: [], test type: path_redirect"),
    (_test("/redirect", {"code_redirect": 301}),
     "expected: [301], actual: [302], test type: code_redirect"),
    (_test("/ping", {"code_redirect": 404}),
     "expected: [404], actual: [200], test type: code_redirect"),
    (_test("/old/x", {"timeout": "15s"}),
     "expected: [15s], actual: [30s], test type: timeout"),
    (_test("/w", {"timeout": {"seconds": 30}}),
     "expected: [30s], actual: [15s], test type: timeout"),
    (_test("/md", {"route_metadata": [{"namespace": "example.route", "key": "route_id", "value": "other"}]},
           dynamic_metadata=[{"metadata_namespace": "example.meta", "value": {"foo": "bar"}}]),
     "expected: [example.route.route_id: other], actual: [example.route.route_id: md], test type: route_metadata"),
    (_test("/headers", {"request_header_matches": [{"name": "x-route", "string_match": {"exact": "bye"}}]},
           additional_request_headers=[{"key": "x-in", "value": "hello"}]),
     "expected: [x-route: bye], actual: [x-route: hello], test type: request_header_matches.string_match.exact"),
    (_test("/headers", {"request_header_matches": [{"name": "x-drop", "present_match": True}]},
           additional_request_headers=[{"key": "x-drop", "value": "v"}]),
     "expected: [has(x-drop):true], actual: [has(x-drop):false], test type: request_header_matches.present_match"),
    (_test("/headers", {"response_header_matches": [{"name": "x-upstream-secret", "present_match": True}]},
           additional_response_headers=[{"key": "x-upstream-secret", "value": "s"}]),
     "expected: [has(x-upstream-secret):true], actual: [has(x-upstream-secret):false], "
     "test type: response_header_matches.present_match"),
    (_test("/ping", {"response_header_matches": [{"name": "content-length", "range_match": {"start": 5, "end": 9}}]}),
     "actual: [content-length: 4], test type: response_header_matches.range_match"),
    (_test("/headers", {"request_header_fields": [{"key": "x-vh", "value": "other"}]}),
     "expected: [other], actual: [vhost], test type: request_header_fields"),
    (_test("/headers", {"response_header_fields": [{"key": "x-route-resp", "value": "other"}]}),
     "expected: [other], actual: [route], test type: response_header_fields"),
    # input fields
    (_test("/rt", {"cluster_name": "c-default"}, runtime="feature.rt"),
     "expected: [c-default], actual: [c-runtime], test type: cluster_name"),
    (_test("/rt", {"cluster_name": "c-default"}, runtime="feature.rt", random_value=1),
     None),  # 1 % 100 is not under the 0% default (counted as 1/100): the runtime route is skipped
    (_test("/redirect", {"path_redirect": "https://www.example.com/moved"}, ssl=False),
     None),  # https_redirect: the scheme is https whatever ssl says
    (_test("/x", {"cluster_name": "c-secure"}, authority="secure.example.com"),
     "expected: [c-secure], actual: [], test type: cluster_name"),
    (_test("/old/x", {"virtual_cluster_name": "other"}, method="POST"),
     "expected: [other], actual: [vc-post], test type: virtual_cluster_name"),
    (_test("/md", {"cluster_name": "c-md"}, dynamic_metadata=[{"metadata_namespace": "example.meta",
                                                                "value": {"foo": "baz"}}]),
     "expected: [c-md], actual: [c-default], test type: cluster_name"),
    (_test("/headers", {"request_header_matches": [{"name": "x-envoy-internal", "present_match": True}]},
           internal=False),
     "expected: [has(x-envoy-internal):true], actual: [has(x-envoy-internal):false], "
     "test type: request_header_matches.present_match"),
]


@pytest.mark.parametrize(("test", "line"), MUST_FAIL, ids=[f"{i}" for i in range(len(MUST_FAIL))])
def test_a_wrong_expectation_fails_with_the_tools_line(tmp_path: Path, test: dict[str, Any], line: str | None) -> None:
    result = _run(tmp_path, test).results[0]
    if line is None:
        assert result.passed, result.failures + result.errors
        return
    assert not result.passed
    assert result.failures == [line]


def test_input_fields_that_make_a_test_pass(tmp_path: Path) -> None:
    cases = [
        _test("/headers", {"request_header_matches": [{"name": "x-envoy-internal", "string_match":
                                                        {"exact": "true"}}]}, internal=True),
        _test("/x", {"cluster_name": "c-secure"}, authority="secure.example.com", ssl=True),
        _test("/headers", {"response_header_matches": [{"name": "x-upstream-secret", "present_match": True,
                                                         "invert_match": True}]},
              additional_response_headers=[{"key": "x-upstream-secret", "value": "s"}]),
    ]
    report = _run(tmp_path, *cases)
    assert [r.passed for r in report.results] == [True, True, True]


@pytest.mark.parametrize(("test", "what"), [
    (_test("/auto", {"host_rewrite": WWW}), "host_rewrite cannot be evaluated offline: auto_host_rewrite"),
    (_test("/headers", {"request_header_matches": [{"name": "x-when", "present_match": True}]}),
     "request_header_matches.present_match cannot be evaluated offline: header x-when holds a formatter"),
])
def test_what_cannot_be_evaluated_is_an_error_never_a_pass(tmp_path: Path, test: dict[str, Any], what: str) -> None:
    result = _run(tmp_path, test).results[0]
    assert not result.passed and not result.failures
    assert result.errors and result.errors[0].startswith("error: " + what)


def test_a_regex_meshlens_cannot_evaluate_makes_the_route_undecided(tmp_path: Path) -> None:
    routes = tmp_path / "routes.yaml"
    routes.write_text(yaml.safe_dump({"virtual_hosts": [{"name": "v", "domains": ["*"], "routes": [
        {"match": {"safe_regex": {"regex": "(?<=a)b"}}, "route": {"cluster": "x"}},
        {"match": {"prefix": "/"}, "route": {"cluster": "y"}}]}]}))
    result = _run(tmp_path, _test("/ab", {"cluster_name": "y"}), routes=routes).results[0]
    assert not result.passed and result.errors[0].startswith("error: route cannot be evaluated offline")


@pytest.mark.parametrize(("change", "where"), [
    ({"validate": {"cluster_nam": "x"}}, "$.tests[0].validate.cluster_nam"),
    ({"input": {"authority": WWW, "path": "/"}}, "$.tests[0].input.method"),
    ({"input": {"authority": WWW, "path": "/", "method": "GET", "sll": True}}, "$.tests[0].input.sll"),
    ({"validate": {}}, "$.tests[0].validate"),
    ({"validate": {"timeout": "soon"}}, "$.tests[0].validate.timeout"),
])
def test_a_malformed_test_is_a_located_error(tmp_path: Path, change: dict[str, Any], where: str) -> None:
    test = {**_test("/", {"cluster_name": "x"}), **change}
    with pytest.raises(LoadError) as info:
        _run(tmp_path, test)
    assert where in str(info.value)


def test_coverage_as_the_tool_counts_it(tmp_path: Path) -> None:
    one = _run(tmp_path, _test("/w", {"cluster_name": "w-a"}))
    assert one.coverage == pytest.approx(100 / 13)  # 12 routes, the weighted one counting its 2 clusters
    full = _run(tmp_path, _test("/w", {"cluster_name": "w-a", "virtual_host_name": "www"}), covall=True)
    assert full.coverage == pytest.approx(100 * (2 / 5) / 13)
    assert "Missing test for host: www, route: prefix: \"/old/\"" in full.missing
    wrong = _run(tmp_path, _test("/w", {"cluster_name": "nope"}))
    assert wrong.coverage == 0  # only matching checks cover a route


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "meshlens.cli", "router-check", *args], capture_output=True, text=True,
                          cwd=REPO, timeout=60)


def test_cli_lines_and_exit_codes(tmp_path: Path) -> None:
    ok = _cli("-c", str(ROUTES), "-t", str(TESTS), "--details")
    assert ok.returncode == 0, ok.stderr
    lines = ok.stdout.splitlines()
    assert lines[0] == "weighted random 0 picks the first" and lines[-1].startswith("Current route coverage: ")
    assert _cli("-c", str(ROUTES), "-t", str(TESTS), "-f", "100").returncode == 1
    low = _cli("-c", str(ROUTES), "-t", str(TESTS), "-f", "100")
    assert low.stderr.strip() == "Failed to meet coverage requirement: 100%"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"tests": [
        _test("/w", {"cluster_name": "w-a"}) | {"test_name": "good"},
        _test("/w", {"cluster_name": "w-b", "virtual_cluster_name": "vc"}) | {"test_name": "wrong"}]}))
    failing = _cli("-c", str(ROUTES), "-t", str(bad), "--details")
    assert failing.returncode == 1
    assert failing.stdout.splitlines() == ["good"]  # no coverage line when a test fails
    assert failing.stderr.splitlines() == ["wrong", "expected: [w-b], actual: [w-a], test type: cluster_name",
                                           "expected: [vc], actual: [other], test type: virtual_cluster_name"]
    only = _cli("-c", str(ROUTES), "-t", str(bad), "--only-show-failures")
    assert "good" not in only.stdout and only.stderr.splitlines()[0] == "wrong"
    quiet = _cli("-c", str(ROUTES), "-t", str(bad))
    assert quiet.returncode == 1 and quiet.stdout == "" and quiet.stderr == ""
    unreadable = _cli("-c", str(tmp_path / "missing.yaml"), "-t", str(TESTS))
    assert unreadable.returncode == 2 and len(unreadable.stderr.strip().splitlines()) == 1
    as_json = _cli("-c", str(ROUTES), "-t", str(TESTS), "--format", "json", "--disable-deprecation-check", "--covall")
    assert json.loads(as_json.stdout)["summary"]["failed"] == 0
    proto = _cli("-c", str(ROUTES), "-t", str(TESTS), "-o", str(tmp_path / "out.pb"))
    assert proto.returncode == 2 and "binary protobuf" in proto.stderr


def test_help_documents_every_flag() -> None:
    text = _cli("--help").stdout
    for flag in ("-c, --config-path", "-t, --test-path", "-d, --details", "--only-show-failures",
                 "-f, --fail-under", "--covall", "--detailed-coverage", "--disable-deprecation-check", "--proxy",
                 "--route-config", "--format", "-o, --output-path"):
        assert flag in text, flag


@needs_shared
def test_a_config_dump_with_route_config(tmp_path: Path) -> None:
    dump = fixture_path("envoy", "sidecar-unhealthy", "config_dump_include_eds.json")
    tests = tmp_path / "t.json"
    tests.write_text(json.dumps({"tests": [{"test_name": "ratings", "input": {
        "authority": "ratings:9080", "path": "/ratings/0", "method": "GET"},
        "validate": {"cluster_name": "outbound|9080||ratings.default.svc.cluster.local"}}]}))
    report = run_router_check(dump, tests, route_config="9080")
    assert report.results[0].passed, report.results[0].failures
    with pytest.raises(Exception, match="--route-config"):
        run_router_check(dump, tests)


@needs_shared
def test_an_archive_with_proxy_and_route_config() -> None:
    archive = fixture_path("bugreport", "bookinfo-mesh.tar.gz")
    report = run_router_check(archive, {"tests": [{"test_name": "details", "input": {
        "authority": "details:9080", "path": "/details/0", "method": "GET"},
        "validate": {"cluster_name": "outbound|9080||details.default.svc.cluster.local"}}]},
        proxy="productpage-v1-6c886ff494-7vxhs.default", route_config="9080")
    assert report.results[0].passed, report.results[0].failures
