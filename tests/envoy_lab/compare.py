"""Envoy's outcome for a probe vs meshlens' trace of the same request: the agreement rules.

Envoy is the truth. What it did is read from its access log only (``Outcome.envoy_verdict``):

* connection refused                      -> NO_LISTENER
* listener logged the connection, flag NR -> NO_FILTER_CHAIN
* TCP proxy logged the connection         -> the TCP proxy's cluster (ROUTED, or PASSTHROUGH / BLACKHOLE for
                                             Istio's PassthroughCluster / BlackHoleCluster, NO_HEALTHY_UPSTREAM
                                             on UH, NO_CLUSTER on NC)
* HCM logged the request                  -> route name (or NO_ROUTE on NR), then NO_CLUSTER on NC,
                                             NO_HEALTHY_UPSTREAM on UH, DIRECT_RESPONSE / REDIRECT when the
                                             response was generated locally (details ``direct_response``:
                                             same status code, same Location for a redirect), else ROUTED /
                                             PASSTHROUGH / BLACKHOLE to the logged upstream cluster.
The filter chain Envoy logged must be trace's filter chain. An upstream cluster Envoy picked must be one
of trace's clusters with a weight > 0 (so for a deterministic 100/0 split, exactly that one).
"""

from __future__ import annotations

import json
from typing import Any

from envoy_lab.envoy_json import LAB_ID_HEADER
from envoy_lab.model import Outcome

PASSTHROUGH_CLUSTERS = {"PassthroughCluster", "InboundPassthroughCluster"}
# upstream request headers compared besides the lab's own x-lab-* ones
CHECKED_UPSTREAM = ("x-envoy-internal", "x-envoy-original-path", "x-forwarded-host", "x-forwarded-for",
                    "x-forwarded-proto")
BLACKHOLE_CLUSTERS = {"BlackHoleCluster"}


def _flags(line: dict[str, Any]) -> set[str]:
    return {f for f in (line.get("flags") or "").split(",") if f and f != "-"}


def envoy_summary(o: Outcome) -> str:
    """Envoy's outcome in the notation of ``Probe.expect`` (for the harness self-test and for reports)."""
    verdict = o.envoy_verdict()
    if verdict in ("NOLISTENER", "NOCHAIN", "UNKNOWN"):
        return verdict
    if verdict == "TCP":
        assert o.tcp_log is not None
        tcp_flags = sorted(_flags(o.tcp_log))
        return f"TCP:{o.tcp_log.get('cluster') or '-'}" + (f"[{','.join(tcp_flags)}]" if tcp_flags else "")
    line = o.http_log or {}
    flags = _flags(line)
    route = line.get("route") or "-"
    if "NR" in flags:
        return "NR"
    for flag in ("NC", "UH", "UF"):
        if flag in flags:
            return f"{flag}:{route}"
    if line.get("details") == "direct_response":
        return f"{'REDIR' if line.get('location') else 'DR'}:{route}"
    return route


def trace_kwargs(o: Outcome) -> dict[str, Any]:
    """The arguments of ``meshlens.trace`` that describe the same request Envoy got."""
    p = o.probe
    return {
        "to": p.authority,
        "path": p.path,
        "method": p.method,
        "headers": [*p.headers.items(), *((k, v) for k, v in p.extra_headers), (LAB_ID_HEADER, p.id)],
        "dst": p.original_dst,
        "src": o.client.get("src") or p.proxy_src or p.src_ip,
        "http_version": p.http_version,
        "tls": p.tls,
        "sni": p.sni,
        "alpn": p.alpn,
    }


def _disposition_for_cluster(cluster: str) -> str:
    if cluster in PASSTHROUGH_CLUSTERS:
        return "PASSTHROUGH"
    if cluster in BLACKHOLE_CLUSTERS:
        return "BLACKHOLE"
    return "ROUTED"


def _picked(cluster: str, t: dict[str, Any]) -> str | None:
    """A complaint when Envoy's upstream ``cluster`` is not among trace's clusters with weight > 0."""
    eligible = [c["name"] for c in t.get("clusters") or [] if c.get("weight") is None or c["weight"] > 0]
    if cluster not in eligible:
        return f"Envoy's upstream cluster {cluster!r} is not among trace's clusters with weight > 0: {eligible}"
    return None


def compare(o: Outcome, t: dict[str, Any]) -> list[str]:
    """Disagreements between Envoy's outcome and trace's result ``t`` (``Trace.to_dict()``); [] if none."""
    problems: list[str] = []

    def want(field: str, expected: Any) -> None:
        if t.get(field) != expected:
            problems.append(f"{field}: Envoy {expected!r}, trace {t.get(field)!r}")

    verdict = o.envoy_verdict()
    if verdict == "UNKNOWN":
        return ["harness: no Envoy log line joined to this probe"]
    if verdict == "NOLISTENER":
        want("disposition", "NO_LISTENER")
        return problems
    if verdict == "NOCHAIN":
        want("disposition", "NO_FILTER_CHAIN")
        return problems
    line = o.http_log if verdict == "HTTP" else o.tcp_log
    assert line is not None
    if line.get("chain"):
        want("filter_chain", line["chain"])
    flags = _flags(line)
    cluster = line.get("cluster")
    if verdict == "TCP":
        if "NC" in flags:
            want("disposition", "NO_CLUSTER")
        elif cluster in BLACKHOLE_CLUSTERS or cluster in PASSTHROUGH_CLUSTERS:
            want("disposition", _disposition_for_cluster(cluster))
        elif "UH" in flags:
            want("disposition", "NO_HEALTHY_UPSTREAM")
        else:
            want("disposition", "ROUTED")
        if cluster and "NC" not in flags and (err := _picked(cluster, t)):
            problems.append(err)
        return problems
    # HTTP
    if "NR" in flags:
        want("disposition", "NO_ROUTE")
        return problems
    want("route", line.get("route"))
    if "NC" in flags:
        want("disposition", "NO_CLUSTER")
        return problems
    if "UH" in flags and cluster not in BLACKHOLE_CLUSTERS:
        want("disposition", "NO_HEALTHY_UPSTREAM")
        if cluster and (err := _picked(cluster, t)):
            problems.append(err)
        return problems
    if line.get("details") == "direct_response":
        if t.get("disposition") not in ("DIRECT_RESPONSE", "REDIRECT"):
            problems.append(f"disposition: Envoy answered locally ({line.get('code')}), trace {t.get('disposition')!r}")
        want("response_code", line.get("code"))
        if t.get("disposition") == "REDIRECT":
            want("redirect_location", line.get("location"))
        if t.get("response_body") is not None and o.client.get("body") != t.get("response_body"):
            problems.append(f"direct response body: client got {o.client.get('body')!r}, "
                            f"trace {t.get('response_body')!r}")
        client = o.client.get("headers") or {}
        for h in t.get("response_headers") or []:
            if h["name"].startswith("x-lab-") and client.get(h["name"]) != h["value"]:
                problems.append(f"response header {h['name']}: client saw {client.get(h['name'])!r}, "
                                f"trace {h['value']!r}")
        return problems
    if not cluster and not line.get("route") and line.get("code"):  # the connection manager answered itself
        want("disposition", "DIRECT_RESPONSE")
        want("response_code", line.get("code"))
        return problems
    if not cluster:
        return [*problems, f"harness: Envoy logged neither a local reply nor an upstream cluster: {line}"]
    if "UT" in flags:  # the upstream did not answer within the route timeout
        return [*problems, *_timed_out(o, t)]
    want("disposition", _disposition_for_cluster(cluster))
    if err := _picked(cluster, t):
        problems.append(err)
    if line.get("details") == "via_upstream" and cluster not in PASSTHROUGH_CLUSTERS | BLACKHOLE_CLUSTERS:
        problems += upstream_problems(o, t)
    return problems


def _ms(timeout: str | None) -> float | None:
    """A protojson duration in ms; None for no timeout ("0s")."""
    if not timeout or timeout == "0s":
        return None
    return float(timeout.rstrip("s")) * 1000


def _timed_out(o: Outcome, t: dict[str, Any]) -> list[str]:
    delay = o.probe.headers.get("x-lab-delay-ms")
    limit = _ms(t.get("timeout"))
    if delay is None or limit is None or limit >= float(delay):
        return [f"Envoy timed out the upstream (UT) after a {delay} ms delay; trace's timeout is {t.get('timeout')}"]
    return []


def backend_view(o: Outcome) -> dict[str, Any] | None:
    """What the lab backend says it received (its JSON body), or None."""
    try:
        body = json.loads(o.client.get("body") or "")
    except ValueError:
        return None
    return body if isinstance(body, dict) and "backend" in body else None


def upstream_problems(o: Outcome, t: dict[str, Any]) -> list[str]:
    """The upstream request and the response as the backend and the client saw them vs trace's."""
    seen = backend_view(o)
    if seen is None:
        return [f"harness: the backend's answer is not readable: {o.client.get('body', '')[:120]!r}"]
    problems = []
    if seen.get("path") != t.get("upstream_path"):
        problems.append(f"upstream path: backend saw {seen.get('path')!r}, trace {t.get('upstream_path')!r}")
    if "host_rewrite" not in (t.get("unknown") or {}) and seen.get("host") != t.get("upstream_host"):
        problems.append(f"upstream host: backend saw {seen.get('host')!r}, trace {t.get('upstream_host')!r}")
    got = {k: ",".join(v) for k, v in (seen.get("headers") or {}).items()}
    mine: dict[str, str] = {}
    for h in t.get("request_headers") or []:
        mine[h["name"]] = f"{mine[h['name']]},{h['value']}" if h["name"] in mine else h["value"]
    for name in sorted(set(got) | set(mine)):
        if not (name.startswith("x-lab-") or name in CHECKED_UPSTREAM) or name == LAB_ID_HEADER:
            continue
        if "%" in (mine.get(name) or ""):  # a formatter trace could not resolve (it says so in its notes)
            continue
        if got.get(name) != mine.get(name):
            problems.append(f"upstream header {name}: backend saw {got.get(name)!r}, trace {mine.get(name)!r}")
    expected_ms = got.get("x-envoy-expected-rq-timeout-ms")
    if expected_ms is not None and _ms(t.get("timeout")) != float(expected_ms):
        problems.append(f"timeout: Envoy expected {expected_ms} ms, trace {t.get('timeout')}")
    client = o.client.get("headers") or {}
    for h in t.get("response_headers") or []:
        if h["name"].startswith("x-lab-") and client.get(h["name"]) != h["value"]:
            problems.append(f"response header {h['name']}: client saw {client.get(h['name'])!r}, trace {h['value']!r}")
    return problems


def describe(o: Outcome, t: dict[str, Any] | str, problems: list[str]) -> str:
    """A readable mismatch report: the request, Envoy's log line, trace's answer, what differs."""
    p = o.probe
    req = (f"{p.id}: HTTP/{p.http_version} {p.method} {p.authority!r} {p.path!r} headers={p.headers} "
           f"dst={p.original_dst} src={o.client.get('src')}" + (f" ({p.note})" if p.note else ""))
    envoy = o.http_log or o.tcp_log or o.conn_log or {"client": o.client}
    lines = [req, f"  envoy : {envoy_summary(o)}  {json.dumps(envoy, sort_keys=True)}"]
    lines.append(f"  trace : {t if isinstance(t, str) else json.dumps(t, sort_keys=True, default=str)}")
    lines += [f"  - {x}" for x in problems]
    return "\n".join(lines)


# --- router-check against Envoy ---------------------------------------------------------------------
# A connection manager with one of these options changes the request before routing: router_check_tool
# (which has no connection manager) would see another request, so such probes are not compared.
HCM_CHANGES_REQUEST = ("normalize_path", "merge_slashes", "path_with_escaped_slashes_action", "strip_any_host_port",
                       "strip_matching_host_port", "strip_trailing_host_dot", "use_remote_address",
                       "xff_num_trusted_hops")
TOOL_SETS = ("x-forwarded-proto", "x-envoy-internal", "x-request-id", "x-forwarded-for")
NOT_COMPARABLE = ("x-lab-when", "x-lab-upstream", LAB_ID_HEADER)  # run-time values; the upstream's own


def _hcm_for_chain(proxy: Any, chain_name: str) -> Any:
    for res in proxy.listeners:
        listener = res.listener
        for chain in [*listener.filter_chains, listener.default_filter_chain]:
            if chain is not None and chain.name == chain_name:
                return chain.hcm
    return None


def _route_config(proxy: Any, hcm: Any) -> Any:
    if hcm.route_config is not None:
        return hcm.route_config
    if hcm.rds is not None:
        for rc in proxy.route_configs:
            if rc.name == hcm.rds.route_config_name:
                return rc.route_config
    return None


def _random_value_for(rc: Any, route_name: str | None, cluster: str | None) -> int:
    """A random value under which Envoy's own pick of a weighted cluster is picked again (the value
    modulo the total weight falls at that cluster's offset)."""
    for vh in rc.virtual_hosts:
        for r in vh.routes:
            if r.name == route_name and r.route is not None and r.route.weighted_clusters is not None:
                begin = 0
                for cw in r.route.weighted_clusters.clusters:
                    if cw.name == cluster and (cw.weight or 0) > 0:
                        return begin
                    begin += max(cw.weight or 0, 0)
    return 0


def router_check_case(o: Outcome, proxy: Any) -> tuple[Any, dict[str, Any]] | None:
    """The route configuration and a router_check_tool test asserting what Envoy did with ``o``'s request,
    or None when the tool's inputs cannot express that request (see ``HCM_CHANGES_REQUEST``)."""
    p = o.probe
    line = o.http_log
    if not p.router_check or line is None or p.authority is None or p.extra_headers:
        return None
    if any(k.lower() in TOOL_SETS or k.lower().startswith("x-envoy-") for k in p.headers):
        return None
    hcm = _hcm_for_chain(proxy, line.get("chain") or "")
    if hcm is None or any((getattr(hcm, k, None) or (hcm.model_extra or {}).get(k)) for k in HCM_CHANGES_REQUEST):
        return None
    rc = _route_config(proxy, hcm)
    flags = _flags(line)
    if rc is None or ("NR" not in flags and not line.get("route")):
        return None  # a local reply of the connection manager, before routing
    validate: dict[str, Any] = {}
    cluster = line.get("cluster")
    if "NR" in flags:
        validate["cluster_name"] = ""
    elif line.get("details") == "direct_response":
        validate["code_redirect"] = line.get("code")
        validate["cluster_name"] = ""
        if line.get("location"):
            validate["path_redirect"] = line["location"]
    elif cluster:
        validate["cluster_name"] = cluster
    random_value = _random_value_for(rc, line.get("route"), cluster)
    if line.get("details") == "via_upstream" and (seen := backend_view(o)) is not None:
        validate["path_rewrite"] = seen.get("path")
        validate["host_rewrite"] = seen.get("host")
        matchers = []
        got = seen.get("headers") or {}
        for name, values in sorted(got.items()):
            if name.startswith("x-lab-") and name not in NOT_COMPARABLE and (name != "x-lab-proto" or
                                                                            p.http_version == "1.1"):
                # a repeated header: one matcher per value (a matcher matches any one of the values)
                matchers += [{"name": name, "string_match": {"exact": value}} for value in values]
        for name in p.headers:
            if name.lower().startswith("x-lab-") and name.lower() not in got:
                matchers.append({"name": name.lower(), "present_match": True, "invert_match": True})
        if matchers:
            validate["request_header_matches"] = matchers
    client = o.client.get("headers") or {}
    responses = [{"name": k, "string_match": {"exact": v}} for k, v in sorted(client.items())
                 if k.startswith("x-lab-") and k not in NOT_COMPARABLE]
    if responses:
        validate["response_header_matches"] = responses
    if not validate:
        return None
    test = {"test_name": p.id, "input": {
        "authority": p.authority, "path": p.path, "method": p.method, "ssl": p.tls, "random_value": random_value,
        "additional_request_headers": [{"key": k, "value": v} for k, v in [*p.headers.items(), (LAB_ID_HEADER, p.id)]]},
        "validate": validate}
    return rc, test
