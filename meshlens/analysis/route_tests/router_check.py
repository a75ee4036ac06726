"""router_check_tool's semantics over one route configuration (``meshlens router-check``).

The request of each test is what the tool builds: ``:authority``, ``:path``, ``:method``,
``x-forwarded-proto`` and ``:scheme`` from ``ssl``, ``x-envoy-internal: true`` when ``internal``, then
``additional_request_headers`` (no connection manager runs: no trimming, no sanitising); the
downstream peer is ``127.0.0.1:0``. A virtual host's ``require_tls`` answers a plaintext request
with a redirect to ``https://``. A route with a ``runtime_fraction`` matches only when the test
names its runtime key and ``random_value`` falls under the fraction (a 0% default counts as one
unit), as the tool's runtime mock does. ``random_value`` (default 0) picks weighted clusters.

Coverage is the tool's: a route entry (each weighted cluster counts as one) is covered when a test
checked one of its fields and it matched; ``--covall`` weighs each entry by the share of its fields
checked (cluster, virtual cluster, virtual host, path rewrite, host rewrite; the redirect path for
redirects and direct responses).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from meshlens.analysis.route_tests.compare import Observed, Verdict, compare
from meshlens.analysis.route_tests.schema import CheckTest, parse_check_document
from meshlens.analysis.route_tests.text import router_check_text
from meshlens.analysis.trace.headers import FormatContext, HeaderMap
from meshlens.analysis.trace.request import Request
from meshlens.analysis.trace.router import (
    FinalizeOptions,
    Outcome,
    finalize,
    format_duration,
    request_headers,
    select_route,
    select_vhost,
)
from meshlens.analysis.trace.routes import MatchOptions
from meshlens.errors import LoadError, UsageError
from meshlens.models.envoy.route import RouteConfiguration, RouteMatch, VirtualHost
from meshlens.models.result import Result
from meshlens.sources.coerce import as_proxy
from meshlens.sources.read import Document, read_source

TOOL_PEER = "127.0.0.1:0"  # the tool's downstream address (canonical IPv4 loopback)
ROUTE_FIELDS = ("cluster_name", "virtual_cluster_name", "virtual_host_name", "path_rewrite", "host_rewrite")
DIRECT_FIELDS = ("path_redirect",)

EntryKey = tuple[int, int, int]  # (virtual host, route, weighted cluster or -1)


@dataclass
class CheckResult:
    """One test's outcome."""

    name: str
    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """No failure and no error."""
        return not self.failures and not self.errors

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {"test_name": self.name, "passed": self.passed, "failures": self.failures, "errors": self.errors}


@dataclass
class RouterCheckReport(Result):
    """The outcome of ``router-check``: per-test results and the tool's route coverage."""

    results: list[CheckResult]
    coverage: float
    missing: list[str] = field(default_factory=list)  # "Missing test for host: ..." lines
    config: str = ""

    @property
    def failed(self) -> int:
        """Tests that failed or could not be evaluated."""
        return sum(1 for r in self.results if not r.passed)

    @property
    def passed(self) -> int:
        """Tests that passed."""
        return len(self.results) - self.failed

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {"config": self.config, "results": [r.to_dict() for r in self.results],
                "summary": {"passed": self.passed, "failed": self.failed, "coverage": self.coverage},
                "missing": self.missing}

    def records(self) -> list[dict[str, Any]]:
        """One row per test (``to_frame()``)."""
        return [{"test_name": r.name, "passed": r.passed, "failures": len(r.failures), "errors": len(r.errors)}
                for r in self.results]

    def columns(self) -> tuple[str, ...]:
        """The columns of ``to_frame()``."""
        return ("test_name", "passed", "failures", "errors")

    def __str__(self) -> str:
        return router_check_text(self)


def _from_capture(source: Any, label: str, proxy: str | None, name: str | None) -> RouteConfiguration:
    envoy = as_proxy(source, proxy)
    configs: dict[str, RouteConfiguration] = {rc.name: rc.route_config for rc in envoy.route_configs
                                              if rc.name and rc.state != "rejected"}
    for listener in envoy.listeners:
        for chain in [*listener.listener.filter_chains, listener.listener.default_filter_chain]:
            hcm = chain.hcm if chain is not None else None
            if hcm is not None and hcm.route_config is not None and hcm.route_config.name:
                configs.setdefault(hcm.route_config.name, hcm.route_config)
    if name is None:
        if len(configs) != 1:
            shown = ", ".join(sorted(configs)[:20]) or "none"
            raise UsageError(f"{label}: the capture holds {len(configs)} route configurations; pick one with "
                             f"--route-config NAME ({shown})")
        name = next(iter(configs))
    found = configs.get(name)
    if found is None:
        raise UsageError(f"{label}: no route configuration {name!r} in the capture")
    return found


def _bare(doc: Document) -> RouteConfiguration:
    try:
        return RouteConfiguration.model_validate(doc.data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"])
        raise doc.error(f"not a valid RouteConfiguration: {err['msg']}", where) from exc


def load_route_config(source: Any, proxy: str | None = None, route_config: str | None = None) -> RouteConfiguration:
    """A RouteConfiguration from a bare RouteConfiguration (YAML/JSON, as router_check_tool's ``-c``) or
    from a capture (config dump, directory, archive; ``proxy`` and ``route_config`` pick one).
    """
    if isinstance(source, RouteConfiguration):
        return source
    docs, _ = read_source(source)
    data = docs[0].data if len(docs) == 1 else None
    if isinstance(data, dict) and ("virtual_hosts" in data or "virtualHosts" in data) and "configs" not in data:
        return _bare(docs[0])
    if len(docs) == 1 and not (isinstance(data, dict) and "configs" in data):
        raise docs[0].error("expected a RouteConfiguration (with virtual_hosts) or a config dump", "$")
    return _from_capture(source, docs[0].basename, proxy, route_config)


def load_check_tests(source: Any) -> list[CheckTest]:
    """router_check_tool tests from a JSON/YAML file, bytes or parsed value."""
    docs, _ = read_source(source)
    return parse_check_document(docs[0])


def _request(test: CheckTest) -> Request:
    given = test.input
    scheme = "https" if given.ssl else "http"
    headers: dict[str, str] = {"x-forwarded-proto": scheme}
    if given.internal:
        headers["x-envoy-internal"] = "true"
    multi: dict[str, list[str]] = {}
    for name, value in given.request_headers:
        headers[name] = f"{headers[name]},{value}" if name in headers else value
        multi.setdefault(name, []).append(value)
    repeated = {k: tuple(v) for k, v in multi.items() if len(v) > 1}
    return Request(authority=given.authority, path=given.path, method=given.method, scheme=scheme, headers=headers,
                   dynamic_metadata=dict(given.dynamic_metadata), repeated=repeated)


def _tls_redirect(vhost: VirtualHost, req: Request, internal: bool) -> str | None:
    mode = vhost.require_tls
    if mode not in ("ALL", "EXTERNAL_ONLY") or req.header("x-forwarded-proto") == "https":
        return None
    if mode == "EXTERNAL_ONLY" and internal:
        return None
    return f"https://{req.authority}{req.path}"


def _observe(config: RouteConfiguration, test: CheckTest) -> tuple[Observed, EntryKey | None]:
    req = _request(test)
    response = HeaderMap(list(test.input.response_headers))
    obs = Observed(request=request_headers(req), response=response)
    vi = -1
    vhost, _ = select_vhost(config, req.authority)
    if vhost is None:
        return obs, None
    vi = next(i for i, vh in enumerate(config.virtual_hosts) if vh is vhost)
    location = _tls_redirect(vhost, req, test.input.internal)
    if location is not None:
        obs.direct_entry, obs.path_redirect, obs.code_redirect = True, location, 301
        return obs, None
    sel = select_route(vhost, req, MatchOptions(random_value=test.input.random_value, runtime_key=test.input.runtime,
                                                check_tool=True))
    if sel.notes and any("cannot tell" in n for n in sel.notes):
        obs.undetermined = "; ".join(n for n in sel.notes if "cannot tell" in n)
        return obs, None
    if sel.route is None:
        return obs, None
    fmt = FormatContext(protocol="HTTP/1.1", downstream_remote=TOOL_PEER)
    out = finalize(config, vhost, sel.route, req,
                   FinalizeOptions(random_value=test.input.random_value, internal=test.input.internal, fmt=fmt,
                                   check_tool=True, response=response))
    _fill(obs, out, vhost)
    obs.route_metadata = dict(sel.route.metadata.filter_metadata) if sel.route.metadata is not None else {}
    wi = -1
    action = sel.route.route
    if out.kind == "route" and action is not None and action.weighted_clusters is not None:
        names = [c.name for c in action.weighted_clusters.clusters]
        wi = names.index(out.cluster) if out.cluster in names else -1
    return obs, (vi, sel.index, wi)


def _fill(obs: Observed, out: Outcome, vhost: VirtualHost) -> None:
    obs.request, obs.response = out.request, out.response
    obs.unknown = dict(out.unknown)
    if out.kind in ("redirect", "direct_response"):
        obs.direct_entry = True
        obs.path_redirect = out.location or ""
        obs.code_redirect = out.response_code or 0
        return
    if out.kind != "route":
        return
    obs.route_entry = True
    obs.virtual_host_name = vhost.name
    obs.cluster_name = out.cluster or ""
    if out.cluster is None and "cluster_name" not in obs.unknown:
        obs.unknown["cluster_name"] = "no weighted cluster has a positive weight"
    obs.virtual_cluster_name = out.virtual_cluster or ""
    obs.path_rewrite = out.upstream_path or ""
    obs.host_rewrite = out.upstream_host or ""
    obs.timeout = format_duration(out.timeout_ns)
    if "path_rewrite" in out.unknown:
        obs.unknown["path_rewrite"] = out.unknown["path_rewrite"]
    if "host_rewrite" in out.unknown:
        obs.unknown["host_rewrite"] = out.unknown["host_rewrite"]


def _entries(config: RouteConfiguration) -> list[tuple[EntryKey, int]]:
    """Every route entry the tool counts, with its number of coverage fields."""
    out: list[tuple[EntryKey, int]] = []
    for vi, vh in enumerate(config.virtual_hosts):
        for ri, route in enumerate(vh.routes):
            action = route.route
            if action is not None and action.weighted_clusters is not None:
                out.extend(((vi, ri, wi), len(ROUTE_FIELDS)) for wi in range(len(action.weighted_clusters.clusters)))
            else:
                fields = len(ROUTE_FIELDS) if action is not None else len(DIRECT_FIELDS)
                out.append(((vi, ri, -1), fields))
    return out


def _match_text(match: RouteMatch) -> str:
    """The route's match as the tool prints it (protobuf text format, one line per field)."""
    raw = match.model_dump(exclude_none=True, exclude_defaults=True, by_alias=False)
    parts = []
    for key, value in raw.items():
        if isinstance(value, (dict, list)):
            parts.append(f"{key} {json.dumps(value, sort_keys=True)}")
        elif isinstance(value, bool):
            parts.append(f"{key}: {'true' if value else 'false'}")
        else:
            parts.append(f"{key}: {json.dumps(value)}")
    return " ".join(parts)


def _coverage(config: RouteConfiguration, covered: dict[EntryKey, set[str]], covall: bool, detailed: bool) -> tuple[
        float, list[str]]:
    entries = _entries(config)
    total = len(entries)
    if not total:
        return 0.0, []
    missing: list[str] = []
    if covall:
        share = sum(len(covered.get(key, set()) & set(ROUTE_FIELDS + DIRECT_FIELDS)) / n
                    for key, n in entries if n)
        value = 100.0 * share / total
    else:
        value = 100.0 * sum(1 for key, _ in entries if covered.get(key)) / total
    if covall or detailed:
        for vi, vh in enumerate(config.virtual_hosts):
            for ri, route in enumerate(vh.routes):
                if any(k[0] == vi and k[1] == ri and covered.get(k) for k in covered):
                    continue
                if detailed:
                    suffix = uuid.uuid5(uuid.NAMESPACE_URL, f"{vh.name}/{ri}")
                    missing.append(f"Missing test for host: {vh.name}, route name: {route.name}-{suffix}")
                else:
                    missing.append(f"Missing test for host: {vh.name}, route: {_match_text(route.match)}")
    return value, missing


def run_router_check(config: Any, tests: Any, *, proxy: str | None = None, route_config: str | None = None,
                     covall: bool = False, detailed_coverage: bool = False) -> RouterCheckReport:
    """router_check_tool's run: each test of ``tests`` against the route configuration ``config``.

    Args:
        config: a bare RouteConfiguration (path, bytes, parsed value or model) or a config dump
            (then ``route_config`` names the route configuration unless the dump holds one).
        tests: router_check_tool's tests file (JSON or YAML).
        proxy: which proxy of an archive / multi-proxy source.
        route_config: which route configuration of a config dump.
        covall: comprehensive coverage (every checkable field of each route), with missing tests.
        detailed_coverage: list the routes no test reached, by name.

    Raises:
        LoadError: a file cannot be read or is not what it should be.
        UsageError: the config dump does not identify one route configuration.
    """
    rc = load_route_config(config, proxy, route_config)
    checks = load_check_tests(tests)
    results: list[CheckResult] = []
    covered: dict[EntryKey, set[str]] = {}
    for test in checks:
        obs, key = _observe(rc, test)
        verdict: Verdict = compare(test.validate, obs)
        if key is not None and verdict.covered:
            covered.setdefault(key, set()).update(verdict.covered)
        results.append(CheckResult(name=test.name, failures=verdict.failures, errors=verdict.errors))
    value, missing = _coverage(rc, covered, covall, detailed_coverage)
    return RouterCheckReport(results=results, coverage=value, missing=missing, config=rc.name)


__all__ = ["CheckResult", "LoadError", "RouterCheckReport", "load_check_tests", "load_route_config",
           "run_router_check"]
