"""The text form of a Trace: one line per hop, with skipped candidates indented below.

It lives in the trace package, below the renderers, because ``str(trace)`` is part of every result's
protocol: the model must print itself without importing the render layer above it (that was the
``trace model <-> render.trace`` cycle). ``meshlens.render.trace`` re-exports it for the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the model imports this module to print itself
    from meshlens.analysis.trace.model import Trace


def render_trace(t: Trace, *, verbose: bool = False) -> str:
    """``t`` as text (``verbose``: every skipped candidate, not the first five per hop)."""
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
    lines.extend(_upstream(t))
    for n in t.notes:
        lines.append(f"  note: {n}")
    return "\n".join(lines) + "\n"


def _upstream(t: Trace) -> list[str]:
    """The upstream request and the response headers the route shapes, and a direct response's body."""
    lines = []
    if t.upstream_path is not None:
        timeout = "none" if t.timeout in (None, "0s") else t.timeout
        lines.append(f"  upstream: {t.upstream_host}{t.upstream_path}  (timeout {timeout})")
    lines.extend(f"    > {h.name}: {h.value}" for h in t.request_headers if not h.name.startswith(":"))
    lines.extend(f"    < {h.name}: {h.value}" for h in t.response_headers)
    if t.response_body is not None:
        lines.append(f"  body: {t.response_body!r}")
    return lines
