"""ztunnel log benchmark: load + analyse 1,000,000 access lines vs only tokenizing them.

Writes a seeded log of ``--lines`` ztunnel 1.23+ access lines (three backends, a few failures) to a
temporary file, then measures in this one process, interleaved, ``--runs`` times each, the CPU time (the machines are
shared: CPU time is what a busy scheduler does not inflate) of:

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
from typing import Any

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


def measure(lines: int, runs: int) -> dict[str, float]:
    """CPU seconds (medians, interleaved runs) of the peer and of meshlens; memory kept per event."""
    import scipy.stats  # noqa: F401 - the fit test's import, paid once per process

    import meshlens.analysis.logs  # noqa: F401 - import time is not what is measured
    import meshlens.sources  # noqa: F401

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ztunnel.log"
        write_log(path, lines)
        base_times, ml_times = [], []
        events = 0
        for _ in range(runs):
            start = time.process_time()
            baseline(path)
            base_times.append(time.process_time() - start)
            start = time.process_time()
            events = meshlens_run(path)
            ml_times.append(time.process_time() - start)
        out = subprocess.run([sys.executable, "-c", _RSS_CHILD, str(path)], capture_output=True, text=True,
                             check=True).stdout.split()
        base_kb, load_kb, peak_kb, n_events = (int(x) for x in out)
        return {"lines": lines, "mb": path.stat().st_size / 1e6, "events": events,
                "baseline": statistics.median(base_times), "meshlens": statistics.median(ml_times),
                "base_runs": base_times, "ml_runs": ml_times, "base_kb": base_kb, "load_kb": load_kb,
                "peak_kb": peak_kb, "per_event": (load_kb - base_kb) * 1024 / max(1, n_events)}


def run(args: argparse.Namespace) -> list[Any]:
    """The figures for ``benchmarks/run.py``: CPU time vs the regex peer, bytes kept per event."""
    import _harness as h

    lines = getattr(args, "lines", 1_000_000)
    got = measure(lines, args.runs)
    size = f"{lines // 1000}k lines"
    return [
        h.Figure("logs", "load + analyse", size, got["meshlens"], "s", peer="regex findall per line",
                 peer_value=got["baseline"], target=MAX_RATIO,
                 note=f"{got['mb']:.0f} MB; events {got['events']:,}"),
        h.Figure("logs", "kept per event", size, got["per_event"], "B/event", target=MAX_BYTES_PER_EVENT,
                 note=f"peak RSS {got['peak_kb'] / 1024:.0f} MB (before load {got['base_kb'] / 1024:.0f} MB, "
                      f"after {got['load_kb'] / 1024:.0f} MB)"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    got = measure(args.lines, args.runs)
    if got["events"] != args.lines:
        print(f"FAIL: {got['events']} events for {args.lines} lines")
        return 1
    ratio = got["meshlens"] / got["baseline"]
    print(f"{args.lines:,} access lines, {got['mb']:.0f} MB (CPU seconds, medians of {args.runs} interleaved runs)")
    print(f"tokenize only (findall per line): {got['baseline']:.2f} s "
          f"(runs {', '.join(f'{t:.2f}' for t in got['base_runs'])})")
    print(f"meshlens load + analyse:          {got['meshlens']:.2f} s "
          f"(runs {', '.join(f'{t:.2f}' for t in got['ml_runs'])})")
    print(f"ratio: {ratio:.2f} (target <= {MAX_RATIO})")
    print(f"peak RSS {got['peak_kb'] / 1024:.0f} MB (before load {got['base_kb'] / 1024:.0f} MB, after load "
          f"{got['load_kb'] / 1024:.0f} MB); kept per event (RSS after load - before, / events): "
          f"{got['per_event']:.0f} bytes (target <= {MAX_BYTES_PER_EVENT})")
    ok = ratio <= MAX_RATIO and got["per_event"] <= MAX_BYTES_PER_EVENT
    print("OK" if ok else "FAIL: target missed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
