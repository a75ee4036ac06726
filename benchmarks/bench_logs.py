"""ztunnel log benchmark: load + analyse 1,000,000 access lines vs only tokenizing them.

Writes a seeded log of ``--lines`` ztunnel 1.23+ access lines (three backends, a few failures) to a
temporary file, then times in this one process, interleaved, ``--runs`` times each:

* baseline: read the file line by line and ``findall`` the fields of each line with the one compiled
  regex ``(\\S+?)=("(?:[^"\\\\]|\\\\.)*"|\\S+)``;
* meshlens: ``meshlens.load(path)`` (streamed) and ``analyze_logs`` of the snapshot.

Then, in a fresh process, the peak RSS while loading and analysing the file and the memory kept per
event ((RSS after load - RSS before) / events). Exits 1 when meshlens takes more than 1.5x the baseline
(medians) or keeps more than 300 bytes per event.

    python benchmarks/bench_logs.py [--lines 1000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MAX_RATIO = 1.5
MAX_BYTES_PER_EVENT = 300
TOKEN_RE = re.compile(r'(\S+?)=("(?:[^"\\]|\\.)*"|\S+)')

# ru_maxrss survives fork+exec on Linux (it would report the parent's peak): read /proc instead.
_RSS_CHILD = """
import sys
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1])
import meshlens
from meshlens.analysis.logs import analyze_logs
import meshlens.sources
import scipy.stats  # ~90 MB of libraries, imported by the fit test: not memory kept per event
base = status("VmRSS")
snap = meshlens.load(sys.argv[1])
after_load = status("VmRSS")
result = analyze_logs(snap)
peak = status("VmHWM")
events = sum(len(log.access) + len(log.events) for log in snap.logs)
print(base, after_load, peak, events)
"""

BACKENDS = (("reviews-v1-8f6d5c7b9a-m3n7p", "10.244.1.13"), ("reviews-v2-7b8c6d9f5e-k4v2s", "10.244.2.22"),
            ("reviews-v3-6d9f7c8b4d-x7c5r", "10.244.1.14"))
SOURCES = (("productpage-v1-6c8f9d7b5b-q8m4z", "10.244.1.12", "bookinfo-productpage"),
           ("ratings-v1-5b7c9d6f4c-t9wkd", "10.244.2.21", "bookinfo-ratings"))


def write_log(path: Path, n: int, seed: int = 1) -> None:
    """``n`` access lines, 1.23+ quoting, 1 ms apart; one backend refuses for 1% of the run."""
    rng = random.Random(seed)
    base = 1795870800  # 2026-11-28T13:00:00Z
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            micros = i * 1000
            secs, us = divmod(micros, 1_000_000)
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(base + secs)) + f".{us:06d}Z"
            workload, ip = BACKENDS[rng.randrange(3)]
            src, src_ip, sa = SOURCES[i % 2]
            failed = workload == BACKENDS[1][0] and n // 2 <= i < n // 2 + n // 100
            line = (f'{stamp}\t{"error" if failed else "info"}\taccess\tconnection complete\t'
                    f'src.addr={src_ip}:{20000 + i % 40000} src.workload="{src}" src.namespace="bookinfo" '
                    f'src.identity="spiffe://cluster.local/ns/bookinfo/sa/{sa}" dst.addr={ip}:15008 '
                    f'dst.hbone_addr={ip}:9080 dst.service="reviews.bookinfo.svc.cluster.local" '
                    f'dst.workload="{workload}" dst.namespace="bookinfo" '
                    f'dst.identity="spiffe://cluster.local/ns/bookinfo/sa/bookinfo-reviews" direction="outbound" '
                    f'bytes_sent={rng.randint(100, 9000)} bytes_recv={0 if failed else rng.randint(100, 90000)} '
                    f'duration="{rng.randint(1, 900)}ms"')
            if failed:
                line += ' error="io error: Connection refused (os error 111)"'
            out.write(line + "\n")


def baseline(path: Path) -> int:
    findall = TOKEN_RE.findall
    n = 0
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            n += len(findall(line))
    return n


def meshlens_run(path: Path) -> int:
    import meshlens
    from meshlens.analysis.logs import analyze_logs

    snap = meshlens.load(str(path))
    result = analyze_logs(snap)
    return result.events


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    import meshlens.analysis.logs  # noqa: F401 - import time is not what is measured
    import meshlens.sources  # noqa: F401

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ztunnel.log"
        write_log(path, args.lines)
        size = path.stat().st_size
        print(f"{args.lines:,} access lines, {size / 1e6:.0f} MB")
        base_times, ml_times = [], []
        for _ in range(args.runs):
            start = time.perf_counter()
            baseline(path)
            base_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            events = meshlens_run(path)
            ml_times.append(time.perf_counter() - start)
        if events != args.lines:
            print(f"FAIL: {events} events for {args.lines} lines")
            return 1
        b, m = statistics.median(base_times), statistics.median(ml_times)
        ratio = m / b
        print(f"tokenize only (findall per line): {b:.2f} s (runs {', '.join(f'{t:.2f}' for t in base_times)})")
        print(f"meshlens load + analyse:          {m:.2f} s (runs {', '.join(f'{t:.2f}' for t in ml_times)})")
        print(f"ratio: {ratio:.2f} (target <= {MAX_RATIO})")
        out = subprocess.run([sys.executable, "-c", _RSS_CHILD, str(path)], capture_output=True, text=True,
                             check=True).stdout.split()
        base_kb, load_kb, peak_kb, n_events = (int(x) for x in out)
        per_event = (load_kb - base_kb) * 1024 / max(1, n_events)
        print(f"peak RSS {peak_kb / 1024:.0f} MB (before load {base_kb / 1024:.0f} MB, after load "
              f"{load_kb / 1024:.0f} MB); kept per event (RSS after load - before, / events): "
              f"{per_event:.0f} bytes (target <= {MAX_BYTES_PER_EVENT})")
    ok = ratio <= MAX_RATIO and per_event <= MAX_BYTES_PER_EVENT
    print("OK" if ok else "FAIL: target missed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
