"""meshlens: offline analysis of captured Envoy and Istio ztunnel state.

The public names are imported on first use (PEP 562), so ``meshlens`` and its command line start fast:
diff pulls in deepdiff, checks and views their own modules, only when asked for.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from meshlens._version import __version__
from meshlens.errors import LoadError, MeshlensError, UnsupportedDumpError, UsageError

if TYPE_CHECKING:
    from meshlens.analysis.diff import diff
    from meshlens.analysis.drift_model import Drift
    from meshlens.analysis.trace import trace
    from meshlens.analysis.trace.model import Trace
    from meshlens.models.snapshot import EnvoyProxy, Snapshot
    from meshlens.results import Finding, Report
    from meshlens.runner import check
    from meshlens.sources import load
    from meshlens.sources.many import load_many
    from meshlens.summary import Summary, inspect

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
