"""Start-up: ``meshlens --help`` against a bare ``python -c pass`` (whole-process CPU, target <= 2x).

    python benchmarks/bench_startup.py [--runs 5]
"""

from __future__ import annotations

import sys

import _harness as h


def run(args: object) -> list[h.Figure]:
    runs = max(5, getattr(args, "runs", 5))
    bare, _ = h.median_cpu([sys.executable, "-c", "pass"], runs)
    helped, _ = h.median_cpu(h.meshlens_cmd("--help"), runs)
    return [h.Figure("startup", "meshlens --help", "-", helped, peer="python -c pass", peer_value=bare, target=2.0)]


if __name__ == "__main__":
    a = h.parse_args(__doc__)
    raise SystemExit(h.report(run(a), a.json))
