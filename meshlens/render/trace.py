"""Text rendering of a Trace (the implementation lives beside the model: see ``analysis.trace.text``)."""

from __future__ import annotations

from meshlens.analysis.trace.text import render_trace

__all__ = ["render_trace"]
