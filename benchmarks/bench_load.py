"""Load benchmark: meshlens.load vs orjson.loads on the real scale dumps.

For each ``../shared/fixtures/envoy/scale/n{100,1000,5000}-config_dump_include_eds.json.gz`` (decompressed
in memory first) prints the median of 5 runs of ``orjson.loads(bytes)`` (cyclic GC on and off) and of
``meshlens.load(bytes)`` in the same process, their ratio, and the peak RSS of a fresh process doing only
one or the other.

    python benchmarks/bench_load.py [--runs 5] [--shared ../shared]
"""

from __future__ import annotations

import argparse
import gc
import gzip
import statistics
import subprocess
import sys
import time
from pathlib import Path

import orjson

import meshlens

HERE = Path(__file__).resolve().parent
SIZES = (100, 1000, 5000)

_RSS_CHILD = """
import gzip, resource, sys
data = gzip.decompress(open(sys.argv[2], "rb").read())
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
if sys.argv[1] == "orjson":
    import orjson
    doc = orjson.loads(data)
else:
    import meshlens
    doc = meshlens.load(data)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _median(fn, runs: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
        del result
    return statistics.median(times)


def _orjson_no_gc(data: bytes):  # type: ignore[no-untyped-def]
    gc.disable()
    try:
        return orjson.loads(data)
    finally:
        gc.enable()


def _peak_rss_mib(mode: str, path: Path) -> float:
    out = subprocess.run([sys.executable, "-c", _RSS_CHILD, mode, str(path)], check=True, capture_output=True,
                         text=True, timeout=600)
    return int(out.stdout.strip()) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--shared", type=Path, default=HERE.parent.parent / "shared")
    args = parser.parse_args()
    scale = args.shared / "fixtures" / "envoy" / "scale"
    if not scale.is_dir():
        print(f"scale dumps not found under {scale}", file=sys.stderr)
        return 2
    header = (f"{'file':<42} {'MB':>6} {'orjson':>8} {'orjson-noGC':>11} {'meshlens':>9} {'ratio':>6} "
              f"{'ratio-noGC':>10} {'RSS orjson':>10} {'RSS meshlens':>12} {'RSS ratio':>9}")
    print(header)
    paths = [p for p in (scale / f"n{n}-config_dump_include_eds.json.gz" for n in SIZES) if p.exists()]
    # Peak RSS first, from fresh processes started while this one is still small: Linux keeps a
    # process's peak RSS across exec, so a child forked from a large parent would report the parent's.
    rss = {p: (_peak_rss_mib("orjson", p), _peak_rss_mib("meshlens", p)) for p in paths}
    for path in paths:
        data = gzip.decompress(path.read_bytes())
        t_orjson = _median(lambda: orjson.loads(data), args.runs)  # noqa: B023 - used at once
        t_nogc = _median(lambda: _orjson_no_gc(data), args.runs)  # noqa: B023
        t_mesh = _median(lambda: meshlens.load(data), args.runs)  # noqa: B023
        rss_o, rss_m = rss[path]
        print(f"{path.name:<42} {len(data) / 1e6:>6.1f} {t_orjson:>7.3f}s {t_nogc:>10.3f}s {t_mesh:>8.3f}s "
              f"{t_mesh / t_orjson:>6.2f} {t_mesh / t_nogc:>10.2f} {rss_o:>8.0f}Mi {rss_m:>10.0f}Mi "
              f"{rss_m / rss_o:>9.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
