"""Plots of a log analysis (matplotlib, the optional ``meshlens[plot]`` extra).

Two panels per figure: observed vs expected shares per flow (bars), and a timeline of connections
per backend with failures marked. Without matplotlib, a clear :class:`UsageError`.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from meshlens.errors import MissingExtraError, UsageError

if TYPE_CHECKING:  # the model imports this module to render itself
    from meshlens.analysis.logs.model import LogAnalysis

FORMATS = (".png", ".svg")


def _pyplot() -> Any:
    try:
        import matplotlib

        if path_backend_needed():
            matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise MissingExtraError("plots need matplotlib, the 'plot' extra: pip install 'meshlens[plot]'") from exc
    return plt


def path_backend_needed() -> bool:
    """Use the non-interactive backend unless a notebook (inline backend) is already active."""
    import matplotlib

    return "inline" not in str(matplotlib.get_backend()).lower()


def plot_analysis(result: LogAnalysis, path: str | None = None) -> Any:
    """The figure (and, with ``path`` ending in ``.png`` or ``.svg``, the file written)."""
    if path is not None and not path.lower().endswith(FORMATS):
        raise UsageError(f"--plot {path}: expected a file name ending in .png or .svg")
    plt = _pyplot()
    flows = [f for f in result.flows if f.backends]
    fig, (bars, timeline) = plt.subplots(2, 1, figsize=(10, 4 + 0.35 * max(1, len(result.timeline))))
    labels: list[str] = []
    observed: list[float] = []
    expected: list[float] = []
    for f in flows:
        total = sum(b.connections for b in f.backends) or 1
        for b in f.backends:
            labels.append(f"{f.service.split('.', 1)[0]}: {b.workload or b.address}")
            observed.append(b.connections / total)
            share = f.expected_share(b.workload or b.address)
            expected.append(share if share is not None else 0.0)
    xs = range(len(labels))
    bars.bar([x - 0.2 for x in xs], observed, width=0.4, label="observed")
    bars.bar([x + 0.2 for x in xs], expected, width=0.4, label="expected")
    bars.set_xticks(list(xs))
    bars.set_xticklabels(labels, rotation=20, ha="right", fontsize=7)
    bars.set_ylabel("share of connections")
    bars.legend()
    bars.set_title("observed vs expected shares per flow")
    for row, ((_service, _backend), (ok_us, bad_us)) in enumerate(sorted(result.timeline.items())):
        ok = [datetime.fromtimestamp(t / 1e6, tz=timezone.utc) for t in ok_us]
        bad = [datetime.fromtimestamp(t / 1e6, tz=timezone.utc) for t in bad_us]
        timeline.scatter(ok, [row] * len(ok), marker="|", color="tab:blue")
        timeline.scatter(bad, [row] * len(bad), marker="x", color="tab:red")
    names = [f"{s.split('.', 1)[0]}: {b}" for s, b in sorted(result.timeline)]
    timeline.set_yticks(list(range(len(names))))
    timeline.set_yticklabels(names, fontsize=7)
    timeline.set_title("connections per backend (x = failed)" if names else "no failures: no timeline")
    fig.tight_layout()
    if path is not None:
        fig.savefig(path)
    return fig
