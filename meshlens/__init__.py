"""meshlens: offline analysis of captured Envoy and Istio ztunnel state.

The public names are imported on first use (PEP 562), so ``meshlens`` and its command line start fast:
diff pulls in deepdiff, checks and views their own modules, only when asked for.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from meshlens._version import __version__
from meshlens.errors import LoadError, MeshlensError, UnsupportedDumpError, UsageError
from meshlens.models import hooks as _hooks

if TYPE_CHECKING:
    from meshlens.analysis.diff import diff
    from meshlens.analysis.drift_model import Drift
    from meshlens.analysis.trace import trace
    from meshlens.analysis.trace.model import Trace
    from meshlens.index.graph import MeshGraph
    from meshlens.models.snapshot import EnvoyProxy, Snapshot
    from meshlens.models.ztunnel import Ztunnel
    from meshlens.results import Finding, Report
    from meshlens.runner import check
    from meshlens.sources import load
    from meshlens.sources.many import load_many
    from meshlens.summary import Summary, inspect
    from meshlens.views.base import Table

_LAZY = {
    "Drift": "meshlens.analysis.drift_model",
    "EnvoyProxy": "meshlens.models.snapshot",
    "Finding": "meshlens.results",
    "Report": "meshlens.results",
    "Snapshot": "meshlens.models.snapshot",
    "Summary": "meshlens.summary",
    "Trace": "meshlens.analysis.trace.model",
    "check": "meshlens.runner",
    "diff": "meshlens.analysis.diff",
    "inspect": "meshlens.summary",
    "load": "meshlens.sources",
    "load_many": "meshlens.sources.many",
    "trace": "meshlens.analysis.trace",
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


_hooks.provide(envoy_view=_envoy_view, ztunnel_view=_ztunnel_view, graph=_graph)


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
    "EnvoyProxy",
    "Finding",
    "LoadError",
    "MeshlensError",
    "Report",
    "Snapshot",
    "Summary",
    "Trace",
    "UnsupportedDumpError",
    "UsageError",
    "__version__",
    "check",
    "diff",
    "inspect",
    "load",
    "load_many",
    "trace",
]
