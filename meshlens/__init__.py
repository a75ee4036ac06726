"""meshlens: offline analysis of captured Envoy and Istio ztunnel state.

The public names are imported on first use (PEP 562), so ``meshlens`` and its command line start fast:
diff pulls in deepdiff, checks and views their own modules, only when asked for. The package's
layers (cli, render, views/analysis/checks, index, sources, encoding, models, errors) are mapped in
README's Layout section; imports only point down them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from meshlens._version import __version__
from meshlens.errors import LoadError, MeshlensError, MissingExtraError, UnsupportedDumpError, UsageError
from meshlens.models import hooks as _hooks

if TYPE_CHECKING:
    from meshlens.analysis.diff import diff
    from meshlens.analysis.drift_model import Drift
    from meshlens.analysis.istioctl_compare import IstioctlComparison, compare_istioctl
    from meshlens.analysis.logs import LogAnalysis, analyze_logs
    from meshlens.analysis.mesh import MeshTrace, trace
    from meshlens.analysis.query import query
    from meshlens.analysis.trace.model import Trace
    from meshlens.checks import list_checks
    from meshlens.index.graph import MeshGraph
    from meshlens.models.base import Severity
    from meshlens.models.duration import Duration
    from meshlens.models.result import Result
    from meshlens.models.snapshot import EnvoyProxy, Snapshot
    from meshlens.models.ztunnel import Ztunnel
    from meshlens.render.catalogue import explain
    from meshlens.render.html import HtmlReport, report
    from meshlens.results import Finding, Report
    from meshlens.runner import check
    from meshlens.sources import load
    from meshlens.sources.many import load_many
    from meshlens.summary import Summary, inspect
    from meshlens.views import view
    from meshlens.views.base import Table

_LAZY = {
    "Drift": "meshlens.analysis.drift_model",
    "Duration": "meshlens.models.duration",
    "EnvoyProxy": "meshlens.models.snapshot",
    "Finding": "meshlens.results",
    "HtmlReport": "meshlens.render.html",
    "IstioctlComparison": "meshlens.analysis.istioctl_compare",
    "LogAnalysis": "meshlens.analysis.logs",
    "MeshGraph": "meshlens.index.graph",
    "MeshTrace": "meshlens.analysis.mesh",
    "Report": "meshlens.results",
    "Result": "meshlens.models.result",
    "Severity": "meshlens.models.base",
    "Snapshot": "meshlens.models.snapshot",
    "Summary": "meshlens.summary",
    "Table": "meshlens.views.base",
    "Trace": "meshlens.analysis.trace.model",
    "Ztunnel": "meshlens.models.ztunnel",
    "analyze_logs": "meshlens.analysis.logs",
    "check": "meshlens.runner",
    "compare_istioctl": "meshlens.analysis.istioctl_compare",
    "diff": "meshlens.analysis.diff",
    "explain": "meshlens.render.catalogue",
    "inspect": "meshlens.summary",
    "list_checks": "meshlens.checks",
    "load": "meshlens.sources",
    "load_many": "meshlens.sources.many",
    "query": "meshlens.analysis.query",
    "report": "meshlens.render.html",
    "trace": "meshlens.analysis.mesh",
    "view": "meshlens.views",
}


# The models' conveniences (proxy.view(), proxy.graph(), ztunnel.view()) are built by upper layers; the
# package root wires them in (models/hooks.py says why). Each provider imports its layer on first use.
def _envoy_view(proxy: EnvoyProxy, name: str, /, **filters: Any) -> Table:
    from meshlens.views import envoy_view

    return envoy_view(proxy, name, **filters)


def _ztunnel_view(ztunnel: Ztunnel, name: str, /, **filters: Any) -> Table:
    from meshlens.views import ztunnel_view

    return ztunnel_view(ztunnel, name, **filters)


def _graph(proxy: EnvoyProxy) -> MeshGraph:
    from meshlens.index.graph import graph_for

    return graph_for(proxy)


def _render(result: Any, fmt: str, /, **options: Any) -> str:
    from meshlens.render.results import render_result

    return render_result(result, fmt, **options)


_hooks.provide(envoy_view=_envoy_view, ztunnel_view=_ztunnel_view, graph=_graph, render=_render)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'meshlens' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "Drift",
    "Duration",
    "EnvoyProxy",
    "Finding",
    "HtmlReport",
    "IstioctlComparison",
    "LoadError",
    "LogAnalysis",
    "MeshGraph",
    "MeshTrace",
    "MeshlensError",
    "MissingExtraError",
    "Report",
    "Result",
    "Severity",
    "Snapshot",
    "Summary",
    "Table",
    "Trace",
    "UnsupportedDumpError",
    "UsageError",
    "Ztunnel",
    "__version__",
    "analyze_logs",
    "check",
    "compare_istioctl",
    "diff",
    "explain",
    "inspect",
    "list_checks",
    "load",
    "load_many",
    "query",
    "report",
    "trace",
    "view",
]
