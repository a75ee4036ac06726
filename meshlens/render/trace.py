"""Text rendering of a Trace: one line per hop, with skipped candidates indented below."""

from __future__ import annotations

from meshlens.analysis.trace_model import Trace


def render_trace(t: Trace, *, verbose: bool = False) -> str:
    req = t.request
    head = f"{req.get('method', 'GET')} {req.get('authority')}{req.get('path', '/')}"
    lines = [f"{head}  =>  {t.disposition.value}" + (f" ({t.response_code})" if t.response_code else "")]
    if t.proxy:
        lines.append(f"  proxy: {t.proxy}")
    for a in t.assumptions:
        lines.append(f"  assumed: {a}")
    for hop in t.hops:
        lines.append(f"  {hop.kind:<13} {hop.name or '-'}")
        lines.append(f"  {'':<13}   matched by: {hop.matched_by}")
        shown = hop.skipped if verbose else hop.skipped[:5]
        for s in shown:
            lines.append(f"  {'':<13}   skipped {s.name}: {s.reason}")
        if len(hop.skipped) > len(shown):
            lines.append(f"  {'':<13}   ... {len(hop.skipped) - len(shown)} more skipped (use -v)")
    if t.clusters:
        picks = ", ".join(c.name + (f" (weight {c.weight})" if c.weight is not None else "") for c in t.clusters)
        lines.append(f"  clusters: {picks}")
    if t.endpoints:
        lines.append(f"  endpoints ({len(t.endpoints)}):")
        for e in t.endpoints:
            lines.append(f"    {e.address:<24} {e.health:<10} {e.locality}".rstrip())
    if t.redirect_location:
        lines.append(f"  location: {t.redirect_location}")
    for n in t.notes:
        lines.append(f"  note: {n}")
    return "\n".join(lines) + "\n"
