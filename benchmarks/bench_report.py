"""The HTML report of the scale archive against ``meshlens check`` on it (CPU; target: report <= 1.5x check).

Both run in one fresh process on ../shared/fixtures/bugreport/scale-20x1000.tar.gz, each from the path
(load included, as the commands do); the report's size is noted (target < 5 MB).

    python benchmarks/bench_report.py [--runs 1]
"""

from __future__ import annotations

import argparse

import _harness as h

_CHILD = r"""
import gc, json, statistics, sys, time
import meshlens
from meshlens.render.html import report
path, runs = sys.argv[1], int(sys.argv[2])
checks, reports, size = [], [], 0
for _ in range(runs):
    gc.collect()
    start = time.process_time()
    meshlens.check(path, hash_inputs=False)
    checks.append(time.process_time() - start)
    gc.collect()
    start = time.process_time()
    size = len(report(path).html.encode())
    reports.append(time.process_time() - start)
print(json.dumps({"check": statistics.median(checks), "report": statistics.median(reports), "size": size}))
"""


def run(args: argparse.Namespace) -> list[h.Figure]:
    archive = h.shared_dir(args.shared) / "fixtures" / "bugreport" / "scale-20x1000.tar.gz"
    got = h.python_json(_CHILD, str(archive), str(args.runs))
    return [h.Figure("report", "HTML report", "scale-20x1000", got["report"], peer="check", peer_value=got["check"],
                     target=1.5, note=f"HTML {got['size'] / 1e6:.2f} MB (target < 5 MB)")]


if __name__ == "__main__":
    a = h.parse_args(__doc__)
    raise SystemExit(h.report(run(a), a.json))
