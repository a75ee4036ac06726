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
        "to": p.authority or "",
        "path": p.path,
        "method": p.method,
        "headers": {**p.headers, LAB_ID_HEADER: p.id},
        "dst": p.original_dst,
        "src": o.client.get("src") or p.proxy_src or p.src_ip,
        "http_version": p.http_version,
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
        return problems
    if not cluster:
        return [*problems, f"harness: Envoy logged neither a local reply nor an upstream cluster: {line}"]
    want("disposition", _disposition_for_cluster(cluster))
    if err := _picked(cluster, t):
        problems.append(err)
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
