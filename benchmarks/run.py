"""Every benchmark in one run: a table of figures and ratios against their same-run peers.

Runs, in order: start-up (``python -c pass``), views (``jq``), load and typed models (``orjson.loads``
with GC off), checks (the load), traces, diff (loading both captures), the ``/clusters`` text parser
(``orjson`` per byte), the scale archive (reading + parsing on every core) and 1,000,000 ztunnel access
lines (a regex ``findall`` per line), at n100, n1000, n5000
and n10000 (made from n5000 by ``make_n10000.py``), then the growth of every size-dependent figure from
n1000 to n10000 as a log-log slope (target <= 1.1). Exits 1 when any figure misses its target.

    python benchmarks/run.py [--runs 3] [--sizes 100,1000,5000,10000] [--only load,trace] [--json]

jq for the view peers: ``apt-get update && apt-get install -y jq`` (benchmarks are not CI).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h  # noqa: E402
import bench_archive  # noqa: E402
import bench_check  # noqa: E402
import bench_clusters_text  # noqa: E402
import bench_diff  # noqa: E402
import bench_load  # noqa: E402
import bench_logs  # noqa: E402
import bench_startup  # noqa: E402
import bench_trace  # noqa: E402
import bench_views  # noqa: E402

BENCHES = {
    "startup": bench_startup.run,
    "views": bench_views.run,
    "load": bench_load.run,
    "check": bench_check.run,
    "trace": bench_trace.run,
    "diff": bench_diff.run,
    "clusters-text": bench_clusters_text.run,
    "archive": bench_archive.run,
    "logs": bench_logs.run,
}


def main() -> int:
    args = h.parse_args(__doc__, lambda p: (p.add_argument("--only", default=""),
                                            p.add_argument("--count", type=int, default=10_000)))
    chosen = [name for name in BENCHES if not args.only or name in args.only.split(",")]
    figures: list[h.Figure] = []
    for name in chosen:
        start = time.perf_counter()
        figures.extend(BENCHES[name](args))
        print(f"# {name}: {time.perf_counter() - start:.0f} s", file=sys.stderr)
    figures.extend(h.slope(figures))
    return h.report(figures, args.json)


if __name__ == "__main__":
    raise SystemExit(main())
