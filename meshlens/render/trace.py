"""Text rendering of a Trace or a cross-proxy MeshTrace (implementations live beside the models)."""

from __future__ import annotations

from typing import Any

from meshlens.analysis.mesh.model import MeshTrace
from meshlens.analysis.mesh.text import render_mesh_trace
from meshlens.analysis.trace.text import render_trace

__all__ = ["render_any_trace", "render_mesh_trace", "render_trace"]


def render_any_trace(result: Any, *, verbose: bool = False) -> str:
    """A Trace or a MeshTrace as text."""
    if isinstance(result, MeshTrace):
        return render_mesh_trace(result, verbose=verbose)
    return render_trace(result, verbose=verbose)
