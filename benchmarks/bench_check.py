"""Check benchmark: all checks over the scale dumps vs loading them.

For each ``../shared/fixtures/envoy/scale/n{100,1000,5000}-config_dump_include_eds.json.gz``, each
run is a fresh process (as a ``meshlens check`` job is): it decompresses the dump in memory, warms the
imports on a small dump, then times ``meshlens.load(bytes)`` and ``meshlens.check(snapshot)`` over
that snapshot (nothing cached from an earlier run). Prints the medians, their ratio, and the slowest
checks of the largest dump. The target: checks take no longer than the load (ratio <= 1); the exit
status is 1 when the largest dump misses it.

    python benchmarks/bench_check.py [--runs 5] [--shared ../shared]
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SIZES = (100, 1000, 5000)


_CHILD = """
import gc, gzip, json, sys, time
import meshlens
warm = gzip.decompress(open(sys.argv[2], "rb").read())
meshlens.check(meshlens.load(warm), hash_inputs=False)  # imports and first-use costs, on the small dump
data = gzip.decompress(open(sys.argv[1], "rb").read())
gc.collect()
start = time.perf_counter()
snapshot = meshlens.load(data)
loaded = time.perf_counter() - start
start = time.perf_counter()
report = meshlens.check(snapshot, hash_inputs=False)
checked = time.perf_counter() - start
runs = [(r.code, r.name, r.duration, r.examined, r.status) for r in report.runs]
print(json.dumps({"load": loaded, "check": checked, "findings": len(report.findings), "runs": runs}))
"""


def _one(path: Path, warm: Path) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-c", _CHILD, str(path), str(warm)], check=True, capture_output=True,
                         text=True, timeout=600)
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--shared", type=Path, default=HERE.parent.parent / "shared")
    args = parser.parse_args()
    scale = args.shared / "fixtures" / "envoy" / "scale"
    if not scale.is_dir():
        print(f"scale dumps not found under {scale}", file=sys.stderr)
        return 2
    print(f"{'file':<42} {'MB':>6} {'load':>8} {'checks':>8} {'ratio':>6} {'findings':>8} {'subjects':>9}")
    last: dict[str, Any] | None = None
    ratio = 0.0
    warm = scale / "n100-config_dump_include_eds.json.gz"
    for n in SIZES:
        path = scale / f"n{n}-config_dump_include_eds.json.gz"
        if not path.exists():
            continue
        size = len(gzip.decompress(path.read_bytes()))
        results = [_one(path, warm) for _ in range(args.runs)]
        t_load = statistics.median(r["load"] for r in results)
        t_check = statistics.median(r["check"] for r in results)
        ratio = t_check / t_load
        last = results[-1]
        subjects = sum(r[3] for r in last["runs"])
        print(f"{path.name:<42} {size / 1e6:>6.1f} {t_load:>7.3f}s {t_check:>7.3f}s {ratio:>6.2f} "
              f"{last['findings']:>8} {subjects:>9}")
    if last is not None:
        print("\nslowest checks (last run of the largest dump):")
        for code, name, duration, examined, status in sorted(last["runs"], key=lambda r: -r[2])[:8]:
            print(f"  {code} {name:<36} {duration * 1000:>7.1f} ms  {examined:>6} subjects  {status}")
    worst = ratio
    return 0 if worst <= 1.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
