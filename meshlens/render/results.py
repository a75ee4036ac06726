"""Results rendered in a named format, for the results' own methods (``Report.to_sarif()``, ``str(summary)``).

Results sit below the renderers, so they reach them through :mod:`meshlens.models.hooks`; the package
root registers :func:`render_result` there.
"""

from __future__ import annotations

from typing import Any

from meshlens.analysis.mesh.model import MeshTrace
from meshlens.analysis.route_tests import RouteTestReport
from meshlens.analysis.trace.model import Trace
from meshlens.errors import UsageError
from meshlens.models.snapshot import EnvoyProxy, Snapshot
from meshlens.models.ztunnel import Ztunnel
from meshlens.results import Report
from meshlens.summary import Summary


def render_result(result: Any, fmt: str, /, **options: Any) -> str:
    """``result`` as ``fmt``: a Report as text, json, sarif or junit; a Summary as text; route tests as
    text or junit; a Snapshot, EnvoyProxy or Ztunnel as an
    html summary card; a Trace or MeshTrace as an html hop diagram.

    Raises:
        UsageError: no renderer of ``fmt`` for this kind of result.
    """
    if fmt == "html" and isinstance(result, (Snapshot, EnvoyProxy, Ztunnel)):
        from meshlens.render.cards import card

        return card(result)
    if fmt == "html" and isinstance(result, (Trace, MeshTrace)):
        from meshlens.render.html.page import trace_html

        return trace_html(result)
    if isinstance(result, Report):
        from meshlens.render.report import render

        return render(result, fmt, **options)
    if isinstance(result, RouteTestReport) and fmt in ("text", "junit"):
        from meshlens.render.route_tests import render_junit, render_text

        return render_text(result) if fmt == "text" else render_junit(result)
    if isinstance(result, Summary) and fmt == "text":
        from meshlens.render.inspect import render_summary

        return render_summary(result)
    raise UsageError(f"no {fmt!r} rendering of a {type(result).__name__}")


__all__ = ["render_result"]
