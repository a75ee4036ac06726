"""Route tests over a whole dump, like Envoy's router_check_tool but through every hop.

A tests file (YAML or JSON) lists requests and what should happen to them::

    tests:
      - name: jason sees reviews v2
        request: {authority: "reviews:9080", path: /reviews/0, headers: {end-user: jason}}
        expect: {cluster: "outbound|9080|v2|reviews.default.svc.cluster.local", disposition: ROUTED}

``request`` takes ``authority`` (required), ``path``, ``method``, ``headers``, ``listener_port``
(or ``port``), ``dst``, ``src``, ``http_version`` and ``proxy``; ``expect`` takes ``disposition``,
``listener``, ``filter_chain``, ``route_config``, ``virtual_host``, ``route``, ``cluster`` (the
single cluster, or one of the weighted ones), ``clusters`` (the full set), ``response_code`` and
``redirect`` (the Location). router_check_tool's own form (``test_name``/``input``/``validate``,
:mod:`.schema`) is accepted too and judged by the same comparator as ``router-check``
(:mod:`.compare`), every ``validate`` field included; here the request goes through the whole proxy
(listener, connection manager, route, cluster), so ``ssl`` sends ``x-forwarded-proto: https`` and
``internal`` sends ``x-envoy-internal: true`` as a client would (the connection manager decides what
survives). ``runtime``, ``dynamic_metadata`` and ``additional_response_headers`` describe run-time
state a capture does not hold: a test that sets them is an error here (use ``router-check``).

Coverage counts the routes of the proxy's named route configurations that no test reached.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from meshlens.analysis.route_tests.compare import Observed, compare
from meshlens.analysis.route_tests.schema import CheckTest, parse_check_item
from meshlens.analysis.trace import trace
from meshlens.analysis.trace.headers import HeaderMap
from meshlens.analysis.trace.model import Disposition, Trace
from meshlens.errors import LoadError
from meshlens.models import hooks
from meshlens.models.result import Result
from meshlens.models.snapshot import EnvoyProxy, Snapshot
from meshlens.sources.coerce import as_snapshot
from meshlens.sources.read import Document, read_source

EXPECT_KEYS = ("disposition", "listener", "filter_chain", "route_config", "virtual_host", "route", "cluster",
               "clusters", "response_code", "redirect")


class RouteTest(BaseModel):
    """One route test: a ``request`` (authority, path, headers ...) and what the trace must ``expect``
    (meshlens' form), or router_check_tool's test (``check``).
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    name: str
    request: dict[str, Any]
    expect: dict[str, Any]
    check: CheckTest | None = Field(default=None, exclude=True)


class Mismatch(BaseModel):
    """One expectation of a route test that the trace did not meet."""

    model_config = ConfigDict(frozen=True)

    field: str
    expected: Any
    actual: Any


class RouteTestResult(BaseModel):
    """How one route test went: passed, the mismatches or the error, and the trace behind it."""

    model_config = ConfigDict(frozen=True)

    name: str
    passed: bool
    mismatches: list[Mismatch] = Field(default_factory=list)
    error: str | None = None
    trace: Trace | None = None


class RouteKey(BaseModel):
    """A route's identity for coverage: route configuration, virtual host and route name (or index)."""

    model_config = ConfigDict(frozen=True)

    route_config: str
    virtual_host: str
    route: str


class RouteTestReport(Result, BaseModel):
    """Results, and which routes no test exercised (``str()``: the ``test-routes`` text)."""

    model_config = ConfigDict(frozen=True)

    results: list[RouteTestResult]
    routes_total: int
    routes_covered: int
    uncovered: list[RouteKey]

    @property
    def passed(self) -> int:
        return sum(1 for r in self.results if r.passed)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed

    @property
    def coverage(self) -> float:
        return 100.0 * self.routes_covered / self.routes_total if self.routes_total else 100.0

    def records(self) -> list[dict[str, Any]]:
        """One row per test: name, passed, mismatches (``field: expected != actual``), error."""
        return [{"name": r.name, "passed": r.passed,
                 "mismatches": "; ".join(f"{m.field}: {m.expected!r} != {m.actual!r}" for m in r.mismatches),
                 "error": r.error} for r in self.results]

    def columns(self) -> tuple[str, ...]:
        """The columns of ``to_frame()``."""
        return ("name", "passed", "mismatches", "error")

    def to_junit(self) -> str:
        """The results as JUnit XML (what ``test-routes --format junit`` prints)."""
        return hooks.render(self, "junit")

    def __str__(self) -> str:
        """What ``meshlens test-routes`` prints."""
        return hooks.render(self, "text")

    def to_dict(self) -> dict[str, Any]:
        """The ``test-routes --format json`` document: results, coverage and a summary."""
        out = self.model_dump(mode="json")
        out["summary"] = {"passed": self.passed, "failed": self.failed, "coverage": round(self.coverage, 2)}
        return out


def _from_router_check(doc: Document, item: dict[str, Any], path: str) -> RouteTest:
    check = parse_check_item(doc, item, path)
    given = check.input
    headers = list(given.request_headers)
    if given.ssl:
        headers.append(("x-forwarded-proto", "https"))
    if given.internal:
        headers.append(("x-envoy-internal", "true"))
    request = {"authority": given.authority, "path": given.path, "method": given.method, "headers": headers,
               "random_value": given.random_value}
    return RouteTest(name=check.name, request=request, expect={}, check=check)


def parse_tests(source: Any) -> list[RouteTest]:
    """Route tests from a YAML/JSON file, bytes or parsed value."""
    docs, _ = read_source(source)
    doc = docs[0]
    data = doc.data
    items = data.get("tests") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise doc.error("expected a route tests document: {tests: [{name, request, expect}, ...]}", "$.tests")
    tests: list[RouteTest] = []
    for i, item in enumerate(items):
        path = f"$.tests[{i}]"
        if not isinstance(item, dict):
            raise doc.error("expected a test (a mapping)", path)
        test = _from_router_check(doc, item, path) if "input" in item else RouteTest(
            name=str(item.get("name") or f"test {i + 1}"), request=dict(item.get("request") or {}),
            expect=dict(item.get("expect") or {}))
        if not test.request.get("authority"):
            raise doc.error("the request needs an authority (Host header)", path + ".request.authority")
        unknown = sorted(set(test.expect) - set(EXPECT_KEYS))
        if unknown:
            raise doc.error(f"unknown expectation {', '.join(unknown)} (known: {', '.join(EXPECT_KEYS)})",
                            path + ".expect")
        tests.append(test)
    return tests


def _not_over_dumps(check: CheckTest) -> str | None:
    given = check.input
    used = [name for name, value in (("runtime", given.runtime), ("dynamic_metadata", given.dynamic_metadata),
                                     ("additional_response_headers", given.response_headers)) if value]
    if not used:
        return None
    return (f"input {', '.join(used)} describes run-time state a capture does not hold: "
            "run this test with meshlens router-check")


def observed(t: Trace) -> Observed:
    """What the router did in a whole-proxy trace, as the route-test comparator reads it."""
    obs = Observed(unknown=dict(t.unknown), route_metadata=dict(t.route_metadata))
    obs.request = HeaderMap([(":authority", t.upstream_host or ""), (":path", t.upstream_path or "")]
                            + [(h.name, h.value) for h in t.request_headers])
    obs.response = HeaderMap([(h.name, h.value) for h in t.response_headers])
    if t.disposition in (Disposition.REDIRECT, Disposition.DIRECT_RESPONSE) and t.route is not None:
        obs.direct_entry = True
        obs.path_redirect = t.redirect_location or ""
        obs.code_redirect = t.response_code or 0
    elif t.upstream_path is not None:
        obs.route_entry = True
        obs.virtual_host_name = t.virtual_host or ""
        obs.virtual_cluster_name = t.virtual_cluster or ""
        obs.path_rewrite, obs.host_rewrite = t.upstream_path, t.upstream_host or ""
        obs.timeout = t.timeout or ""
        live = [c.name for c in t.clusters if c.weight is None or c.weight > 0]
        if len(live) == 1:
            obs.cluster_name = live[0]
        elif live:
            obs.unknown.setdefault("cluster_name", "a weighted split without a random value")
    elif t.disposition in (Disposition.INSUFFICIENT_INFO,):
        obs.undetermined = "; ".join(t.notes) or "the capture lacks what the trace needs"
    return obs


def _compare(test: RouteTest, t: Trace) -> list[Mismatch]:
    actual: dict[str, Any] = {
        "disposition": t.disposition.value, "listener": t.listener, "filter_chain": t.filter_chain,
        "route_config": t.route_config, "virtual_host": t.virtual_host, "route": t.route,
        "response_code": t.response_code, "redirect": t.redirect_location,
        "clusters": sorted(c.name for c in t.clusters),
    }
    out = []
    for key, want in test.expect.items():
        if key == "cluster":
            names = [c.name for c in t.clusters if c.weight is None or c.weight > 0]
            if want not in names:
                out.append(Mismatch(field="cluster", expected=want, actual=names[0] if len(names) == 1 else names))
            continue
        got = actual[key]
        if key == "clusters":
            want = sorted(want)
        if key == "disposition":
            want = str(want).upper()
        if got != want:
            out.append(Mismatch(field=key, expected=want, actual=got))
    return out


def _routes(proxy: EnvoyProxy) -> list[RouteKey]:
    keys: dict[tuple[str, str, str], RouteKey] = {}
    for rc in proxy.valid_route_configs:
        if not rc.name or rc.state == "rejected":
            continue
        for vh in rc.route_config.virtual_hosts:
            for i, route in enumerate(vh.routes):
                key = (rc.name, vh.name, route.name or str(i))
                keys.setdefault(key, RouteKey(route_config=key[0], virtual_host=key[1], route=key[2]))
    return list(keys.values())


def run_route_tests(tests_source: Any, dump: Any, *, proxy: str | None = None) -> RouteTestReport:
    """Run route tests against a captured proxy (a path, bytes, Snapshot or EnvoyProxy)."""
    tests = parse_tests(tests_source)
    if isinstance(dump, EnvoyProxy):
        snapshot: Snapshot | None = None
        default_proxy: EnvoyProxy | None = dump
    else:
        snapshot = as_snapshot(dump)
        default_proxy = snapshot.proxy(proxy) if proxy or len(snapshot.proxies) == 1 else None
    results: list[RouteTestResult] = []
    hit: set[tuple[str, str, str]] = set()
    for test in tests:
        req = test.request
        try:
            target: Any = default_proxy
            if req.get("proxy") or target is None:
                if snapshot is None:
                    raise LoadError("a test names a proxy but a single proxy was given")
                target = snapshot.proxy(req.get("proxy"))
            if test.check is not None and (why := _not_over_dumps(test.check)):
                raise LoadError(why)
            t = trace(target, to=str(req["authority"]), path=str(req.get("path", "/")),
                      method=str(req.get("method", "GET")), headers=req.get("headers") or {},
                      dst=req.get("dst"), src=req.get("src"), http_version=str(req.get("http_version", "1.1")),
                      port=req.get("listener_port") or req.get("port"), random_value=req.get("random_value"))
        except LoadError as exc:
            results.append(RouteTestResult(name=test.name, passed=False, error=str(exc)))
            continue
        except Exception as exc:  # noqa: BLE001 - a bad test is a failed test, not a crash of the run
            results.append(RouteTestResult(name=test.name, passed=False, error=f"{type(exc).__name__}: {exc}"))
            continue
        if t.route_config is not None and t.virtual_host is not None and t.route is not None:
            hit.add((t.route_config, t.virtual_host, t.route))
        if test.check is not None:
            verdict = compare(test.check.validate, observed(t))
            mismatches = [Mismatch(field=line.rsplit("test type: ", 1)[-1], expected=None, actual=line)
                          for line in verdict.failures]
            error = "; ".join(verdict.errors) or None
            results.append(RouteTestResult(name=test.name, passed=verdict.passed, mismatches=mismatches,
                                           error=error, trace=t))
            continue
        mismatches = _compare(test, t)
        results.append(RouteTestResult(name=test.name, passed=not mismatches, mismatches=mismatches, trace=t))
    universe = _routes(default_proxy) if default_proxy is not None else []
    covered = [k for k in universe if (k.route_config, k.virtual_host, k.route) in hit]
    uncovered = [k for k in universe if (k.route_config, k.virtual_host, k.route) not in hit]
    return RouteTestReport(results=results, routes_total=len(universe), routes_covered=len(covered),
                           uncovered=uncovered)
