"""The text form of a MeshTrace: the source's request line, then each path hop by hop, each hop naming its proxy."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the model imports this module to print itself
    from meshlens.analysis.mesh.model import MeshHop, MeshTrace


def _hops(lines: list[str], hops: list[MeshHop], verbose: bool) -> None:
    proxy = None
    for hop in hops:
        if hop.proxy != proxy:
            lines.append(f"  [{hop.proxy}]")
            proxy = hop.proxy
        lines.append(f"    {hop.kind:<13} {hop.name or '-'}")
        lines.append(f"    {'':<13}   matched by: {hop.matched_by}")
        shown = hop.skipped if verbose else hop.skipped[:3]
        for s in shown:
            lines.append(f"    {'':<13}   skipped {s.name}: {s.reason}")
        if len(hop.skipped) > len(shown):
            lines.append(f"    {'':<13}   ... {len(hop.skipped) - len(shown)} more skipped (use -v)")


def render_mesh_trace(t: MeshTrace, *, verbose: bool = False) -> str:
    """``t`` as text: one block per path (endpoint), hops grouped by the proxy they happened in."""
    src = t.source
    req = src.request
    head = f"{req.get('method', 'GET')} {req.get('authority')}{req.get('path', '/')}"
    lines = [f"{head}  =>  {src.disposition.value}" + (f" ({src.response_code})" if src.response_code else ""),
             f"  from: {src.proxy}"]
    for a in src.assumptions:
        lines.append(f"  assumed: {a}")
    if not t.paths:
        _hops(lines, t.hops, verbose)
    for i, path in enumerate(t.paths, 1):
        where = path.destination or "outside the archive"
        lines.append(f"path {i}/{len(t.paths)}: {path.endpoint} ({path.health}) -> {where}  =>  {path.disposition}")
        _hops(lines, path.hops, verbose)
        for n in path.notes:
            lines.append(f"  note: {n}")
        if path.destination_trace is not None:
            for n in path.destination_trace.notes:
                lines.append(f"  note ({path.destination}): {n}")
    for n in [*src.notes, *t.notes]:
        lines.append(f"note: {n}")
    return "\n".join(lines) + "\n"
