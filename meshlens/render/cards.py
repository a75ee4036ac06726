"""Notebook summary cards: ``_repr_html_`` of Snapshot, EnvoyProxy and Ztunnel (what ``inspect`` says, as HTML)."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from meshlens.models.snapshot import EnvoyProxy, Snapshot
from meshlens.models.ztunnel import Ztunnel
from meshlens.summary import ProxySummary, ZtunnelSummary, _summarize_ztunnel, mesh_rows, summarize_proxy

_STYLE = ("border:1px solid #ccc;border-radius:6px;padding:6px 10px;margin:4px 0;font-family:sans-serif;"
          "font-size:13px;display:inline-block")


def _facts(items: Mapping[str, Any]) -> str:
    return "".join(f"<tr><th style='text-align:left;padding-right:8px'>{escape(str(k))}</th>"
                   f"<td>{escape(str(v))}</td></tr>" for k, v in items.items() if v not in (None, "", {}, []))


def _counts(counts: Mapping[str, Mapping[str, int]]) -> str:
    return ", ".join(f"{kind}: " + " / ".join(f"{n} {state}" for state, n in states.items())
                     for kind, states in counts.items() if states)


def proxy_card(s: ProxySummary) -> str:
    """One Envoy proxy: identity, versions, resources by state, companions."""
    facts = {"node": s.node_id, "istio": s.versions.get("istio"), "envoy": s.versions.get("envoy"),
             "resources": _counts(s.counts), "virtual hosts": s.virtual_hosts.get("total"),
             "endpoints": (s.endpoints or {}).get("total"), "captures": ", ".join(s.companions)}
    return (f"<div class='meshlens-card envoy' style='{_STYLE}'><b>Envoy proxy {escape(s.name)}</b>"
            f"<table>{_facts(facts)}</table></div>")


def ztunnel_card(s: ZtunnelSummary) -> str:
    """One ztunnel: name, dump shape, version, record counts."""
    facts = {"version": s.version, "dump": s.shape, "records": ", ".join(f"{v} {k}" for k, v in s.counts.items())}
    return (f"<div class='meshlens-card ztunnel' style='{_STYLE}'><b>ztunnel {escape(s.name)}</b>"
            f"<table>{_facts(facts)}</table></div>")


def snapshot_card(snapshot: Snapshot) -> str:
    """A capture: what it holds, load findings, and the mesh table (problems first)."""
    rows = mesh_rows(snapshot)
    sev: dict[str, int] = {}
    for f in snapshot.findings:
        sev[f.severity.value] = sev.get(f.severity.value, 0) + 1
    facts = {"source": snapshot.origin, "kind": snapshot.kind, "captured": snapshot.captured_at,
             "Envoy proxies": len(snapshot.proxies), "ztunnels": len(snapshot.ztunnels),
             "load findings": ", ".join(f"{n} {k}" for k, n in sorted(sev.items()))}
    body = "".join(f"<tr style='background:{'#fdecea' if r.problems else 'inherit'}'><td>{escape(r.kind)}</td>"
                   f"<td>{escape(r.name)}</td><td>{escape(r.istio or '')}</td><td>{r.rejected}</td><td>{r.warming}</td>"
                   f"<td>{escape(', '.join(f'{v} {k}' for k, v in r.findings.items()))}</td></tr>" for r in rows)
    mesh = ("<table class='mesh'><tr><th>kind</th><th>name</th><th>istio</th><th>rejected</th><th>warming</th>"
            f"<th>load findings</th></tr>{body}</table>") if rows else ""
    return (f"<div class='meshlens-card snapshot' style='{_STYLE}'><b>Snapshot</b><table>{_facts(facts)}</table>"
            f"{mesh}</div>")


def card(obj: Snapshot | EnvoyProxy | Ztunnel) -> str:
    """The summary card of a Snapshot, EnvoyProxy or Ztunnel."""
    if isinstance(obj, Snapshot):
        return snapshot_card(obj)
    if isinstance(obj, EnvoyProxy):
        return proxy_card(summarize_proxy(obj))
    return ztunnel_card(_summarize_ztunnel(obj))
