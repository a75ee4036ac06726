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
    fig, (bars, timeline) = plt.subplots(2, 1, figsize=(10, 4 + 0.35 * max(1, len(result.timeline))))
    draw_shares(bars, result)
    draw_timeline(timeline, result)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path)
    return fig


def draw_shares(ax: Any, result: LogAnalysis) -> None:
    """Bars of the observed and the expected share of each backend, per flow, on ``ax``."""
    labels: list[str] = []
    observed: list[float] = []
    expected: list[float] = []
    for f in (f for f in result.flows if f.backends):
        total = sum(b.connections for b in f.backends) or 1
        for b in f.backends:
            labels.append(f"{f.service.split('.', 1)[0]}: {b.workload or b.address}")
            observed.append(b.connections / total)
            share = f.expected_share(b.workload or b.address)
            expected.append(share if share is not None else 0.0)
    xs = range(len(labels))
    ax.bar([x - 0.2 for x in xs], observed, width=0.4, label="observed")
    ax.bar([x + 0.2 for x in xs], expected, width=0.4, label="expected")
    ax.set_xticks(list(xs))
    ax.set_xticklabels(labels, rotation=20, ha="right", fontsize=7)
    ax.set_ylabel("share of connections")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_title("observed vs expected shares per flow")


def draw_timeline(ax: Any, result: LogAnalysis, max_points: int | None = None) -> int:
    """Connections per backend over time (x = failed) on ``ax``; how many successful ones were left out.

    With ``max_points``, each backend's successful connections are thinned evenly to at most that many
    (failures are always all drawn), so a picture of a long log stays small.
    """
    left_out = 0
    for row, ((_service, _backend), (ok_us, bad_us)) in enumerate(sorted(result.timeline.items())):
        oks = list(ok_us)
        if max_points is not None and len(oks) > max_points:
            step = -(-len(oks) // max_points)
            left_out += len(oks) - len(oks[::step])
            oks = oks[::step]
        ok = [datetime.fromtimestamp(t / 1e6, tz=timezone.utc) for t in oks]
        bad = [datetime.fromtimestamp(t / 1e6, tz=timezone.utc) for t in bad_us]
        ax.scatter(ok, [row] * len(ok), marker="|", color="tab:blue")
        ax.scatter(bad, [row] * len(bad), marker="x", color="tab:red")
    names = [f"{s.split('.', 1)[0]}: {b}" for s, b in sorted(result.timeline)]
    ax.set_yticks(list(range(len(names))))
    ax.set_yticklabels(names, fontsize=7)
    ax.set_title("connections per backend (x = failed)" if names else "no failures: no timeline")
    return left_out


def charts_svg(result: LogAnalysis, max_points: int = 500) -> dict[str, str]:
    """Inline SVG charts for the HTML report: ``shares`` (when a flow has backends) and ``failover`` (when a
    service failed), each an ``<svg>`` element with its text kept as text, no external reference.

    Raises:
        MissingExtraError: matplotlib (the ``plot`` extra) is not installed.
    """
    plt = _pyplot()
    import io

    import matplotlib

    out: dict[str, str] = {}
    panels: list[tuple[str, Any, float]] = []
    bars = sum(len(f.backends) for f in result.flows)
    if bars:
        panels.append(("shares", draw_shares, 3.2))
    if result.timeline:
        panels.append(("failover", draw_timeline, 1.4 + 0.3 * len(result.timeline)))
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "meshlens"}):
        for name, draw, height in panels:
            fig, ax = plt.subplots(figsize=(min(10.0, 3 + 0.5 * bars) if name == "shares" else 10.0, height))
            left_out = draw(ax, result, max_points) if name == "failover" else draw(ax, result)
            fig.tight_layout()
            buf = io.StringIO()
            fig.savefig(buf, format="svg", metadata={"Date": None})
            plt.close(fig)
            svg = buf.getvalue()
            svg = svg[svg.index("<svg"):].replace("<svg ", f'<svg class="chart {name}" role="img" ', 1)
            if left_out:
                svg += (f'<p class="note">{left_out} successful connections not drawn (every one of the '
                        "failures is); the table below has the counts.</p>")
            out[name] = svg
    return out
