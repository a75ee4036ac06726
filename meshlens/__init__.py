"""meshlens: offline analysis of captured Envoy and Istio ztunnel state."""

from meshlens.analysis.diff import diff
from meshlens.analysis.drift_model import Drift
from meshlens.analysis.trace import trace
from meshlens.analysis.trace_model import Trace
from meshlens.errors import LoadError, MeshlensError, UnsupportedDumpError, UsageError
from meshlens.models.snapshot import EnvoyProxy, Snapshot
from meshlens.sources import load
from meshlens.summary import Summary, inspect

__version__ = "0.1.0"

__all__ = [
    "Drift",
    "EnvoyProxy",
    "LoadError",
    "MeshlensError",
    "Snapshot",
    "UnsupportedDumpError",
    "UsageError",
    "__version__",
    "diff",
    "inspect",
    "load",
    "trace",
    "Summary",
    "Trace",
]
