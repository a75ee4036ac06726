"""All checks against the load they run on (CPU; target: checks <= 0.5x load on n5000).

Each size runs in a fresh process (as a ``meshlens check`` job is): imports and first-use costs are
warmed on the n100 dump, then the median CPU time of ``meshlens.load(bytes)`` and of
``meshlens.check(snapshot)`` over a fresh load. The slowest checks of each size are listed.

    python benchmarks/bench_check.py [--runs 3] [--sizes 100,1000,5000,10000]
"""

from __future__ import annotations

import argparse

import _harness as h

_CHILD = r"""
import gc, json, statistics, sys, time
import meshlens
path, runs, warm = sys.argv[1], int(sys.argv[2]), sys.argv[3]
meshlens.check(meshlens.load(open(warm, "rb").read()), hash_inputs=False, now="2026-11-22T14:00:00Z")
data = open(path, "rb").read()
loads, checks, slow = [], [], {}
for _ in range(runs):
    gc.collect()
    start = time.process_time()
    snapshot = meshlens.load(data)
    loads.append(time.process_time() - start)
    start = time.process_time()
    report = meshlens.check(snapshot, hash_inputs=False, now="2026-11-22T14:00:00Z")
    checks.append(time.process_time() - start)
    for run in report.runs:
        slow[run.code] = slow.get(run.code, 0.0) + (run.duration or 0.0) / runs
    del snapshot, report
top = sorted(slow.items(), key=lambda kv: -kv[1])[:3]
print(json.dumps({"load": statistics.median(loads), "check": statistics.median(checks), "top": top}))
"""


def run(args: argparse.Namespace) -> list[h.Figure]:
    shared = h.shared_dir(args.shared)
    warm = str(h.dump_path(100, shared))
    figures = []
    for size in h.sizes_of(args):
        got = h.python_json(_CHILD, str(h.dump_path(size, shared)), str(args.runs), warm)
        top = ", ".join(f"{code} {sec:.3f}s" for code, sec in got["top"])
        figures.append(h.Figure("check", "all checks", f"n{size}", got["check"], peer="load", peer_value=got["load"],
                                target=0.5 if size == 5000 else None, note=f"slowest: {top}"))
    return figures


if __name__ == "__main__":
    a = h.parse_args(__doc__)
    raise SystemExit(h.report(run(a), a.json))
