"""Text rendering of :class:`meshlens.summary.Summary` (``meshlens inspect -o text``)."""

from __future__ import annotations

from meshlens.encoding.tabwriter import tabwriter
from meshlens.summary import ProxySummary, Summary

_TYPES = (("listeners", "listeners"), ("clusters", "clusters"), ("route_configs", "route configs"),
          ("endpoint_assignments", "endpoint assignments"), ("secrets", "secrets"), ("ecds", "ecds"))
_STATES = ("static", "active", "warming", "draining", "rejected")


def _versions(v: dict[str, str | None]) -> str:
    parts = [f"{k} {val}" for k, val in v.items() if val]
    return ", ".join(parts) or "unknown"


def _proxy_block(p: ProxySummary) -> list[str]:
    lines = [f"proxy:    {p.node_id or p.name}", f"versions: {_versions(p.versions)}"]
    rows = [["TYPE", "TOTAL", *[s.upper() for s in _STATES]]]
    for key, label in _TYPES:
        c = p.counts.get(key, {})
        if key == "ecds" and not c.get("total"):
            continue
        rows.append([label, str(c.get("total", 0)), *[str(c.get(s, 0)) for s in _STATES]])
    lines.extend("  " + row for row in tabwriter(rows, padding=2).splitlines())
    vh = p.virtual_hosts
    extra = f"virtual hosts: {vh['total']} ({vh['dynamic']} in RDS route configs)"
    if p.endpoints is not None:
        extra += f", endpoints: {p.endpoints['dynamic']} from EDS ({p.endpoints['total']} with static clusters)"
    else:
        extra += ", endpoints: not captured (no EDS section)"
    lines.append("  " + extra)
    if p.companions:
        lines.append("  with: " + ", ".join(p.companions))
    lines.extend(f"    {label}: {line}" for label, line in sorted(p.captures.items()))
    return lines


def _mesh_table(s: Summary) -> list[str]:
    """The mesh at a glance: one row per proxy and ztunnel, problems first (sync state, findings, not serving)."""
    types = sorted({t for r in s.mesh for t in r.sync}, key=lambda t: (_XDS_ORDER.get(t, 9), t))
    rows = [["NAME", "KIND", "ISTIO", "ENVOY", *types, "ERRORS", "WARNINGS", "REJECTED", "WARMING"]]
    for r in s.mesh:
        rows.append([r.name, r.kind, r.istio or "-", r.envoy or "-", *[r.sync.get(t, "-") for t in types],
                     str(r.findings.get("error", 0)), str(r.findings.get("warning", 0)), str(r.rejected),
                     str(r.warming)])
    out = ["mesh:     problems first (sync: istiod's syncz; findings: load findings; check for the rest)"]
    out.extend("  " + row for row in tabwriter(rows, padding=2).splitlines())
    return out


_XDS_ORDER = {"CDS": 0, "LDS": 1, "EDS": 2, "RDS": 3, "ECDS": 4, "SDS": 5}


def render_summary(s: Summary) -> str:
    """The ``meshlens inspect`` text of a Summary: kind, source, proxies with versions and counts."""
    lines = [f"kind:     {s.kind}", f"source:   {s.source}"]
    if len(s.proxies) == 1:
        lines.extend(_proxy_block(s.proxies[0]))
    elif s.proxies:
        rows = [["PROXY", "ISTIO", "ENVOY", "LISTENERS", "CLUSTERS", "ROUTES", "ENDPOINTS", "SECRETS", "NOT ACTIVE"]]
        for p in s.proxies:
            not_active = sum(p.counts[t].get(st, 0) for t in p.counts for st in ("warming", "draining", "rejected"))
            rows.append([p.name, p.versions.get("istio") or "-", p.versions.get("envoy") or "-",
                         str(p.counts["listeners"]["total"]), str(p.counts["clusters"]["total"]),
                         str(p.counts["route_configs"]["total"]),
                         str(p.endpoints["dynamic"]) if p.endpoints is not None else "-",
                         str(p.counts["secrets"]["total"]), str(not_active)])
        lines.append(f"proxies:  {len(s.proxies)}")
        lines.extend("  " + row for row in tabwriter(rows, padding=2).splitlines())
    for z in s.ztunnels:
        counts = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in z.counts.items())
        lines.append(f"ztunnel:  {z.name} ({z.shape} shape{', ' + z.version if z.version else ''}): {counts}")
    if "ztunnel_log_lines" in s.counts:
        lines.append(f"logs:     {s.counts['ztunnel_log_lines']} ztunnel log lines, "
                     f"{s.counts['ztunnel_log_events']} events, {s.counts['ztunnel_log_unparsed']} unparsed")
    if s.istiod:
        lines.append(f"istiod:   sync status for {s.istiod.get('proxies', 0)} proxies")
    if s.mesh:
        lines.extend(_mesh_table(s))
    if s.findings:
        lines.append(f"findings: {len(s.findings)}")
        for f in s.findings:
            where = f" [{f.proxy}]" if f.proxy and len(s.proxies) > 1 else ""
            member = f.location.member
            if member and not f.proxy and f"[{member}]" not in f.message:
                where += f" {member}:"  # a member of an archive or directory that was not loaded
            lines.append(f"  {f.severity.value:<7} {f.code}{where} {f.message}")
    else:
        lines.append("findings: none")
    return "\n".join(lines) + "\n"
