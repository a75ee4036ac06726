"""Trace benchmark: 10,000 traces with varied hosts and paths over the n5000 sidecar dump.

Prints the load time, the first trace (which builds the indexes), and the median / p95 / max of
the rest. Target: median <= 1 ms per trace.

    python benchmarks/bench_trace.py [--shared ../shared] [--count 10000]
"""

from __future__ import annotations

import argparse
import gzip
import random
import statistics
import sys
import time
from pathlib import Path

import meshlens
from meshlens.index.proxy import index_for

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=HERE.parent.parent / "shared")
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args()
    path = args.shared / "fixtures" / "envoy" / "scale" / "n5000-config_dump_include_eds.json.gz"
    if not path.exists():
        print(f"not found: {path}", file=sys.stderr)
        return 2
    data = gzip.decompress(path.read_bytes())
    start = time.perf_counter()
    proxy = meshlens.load(data).proxy()
    load_s = time.perf_counter() - start
    hosts = sorted(index_for(proxy).host_vips())
    ports: dict[str, list[int]] = {}
    for cluster in proxy.clusters:
        parsed = cluster.parsed_name
        if parsed.kind == "outbound" and parsed.port:
            ports.setdefault(parsed.host, []).append(parsed.port)
    rng = random.Random(7)
    requests = []
    for _ in range(args.count):
        kind = rng.random()
        if kind < 0.8 and hosts:
            host = rng.choice(hosts)
            authority = f"{host.split('.svc.')[0]}:{rng.choice(ports.get(host) or [80])}"
        elif kind < 0.9:
            authority = f"unknown-{rng.randrange(1000)}.example.com:{rng.choice([80, 443, 9080, 8080])}"
        else:
            authority = f"{rng.choice(hosts) if hosts else 'x'}:9080"
        path_ = rng.choice(["/", "/api/v1/items", f"/reviews/{rng.randrange(100)}", "/health?x=1"])
        requests.append((authority, path_))
    start = time.perf_counter()
    first = meshlens.trace(proxy, to=requests[0][0], path=requests[0][1])
    first_s = time.perf_counter() - start
    times = []
    dispositions: dict[str, int] = {}
    for authority, path_ in requests[1:]:
        t0 = time.perf_counter()
        result = meshlens.trace(proxy, to=authority, path=path_)
        times.append(time.perf_counter() - t0)
        dispositions[result.disposition.value] = dispositions.get(result.disposition.value, 0) + 1
    times.sort()
    print(f"load n5000: {load_s:.3f} s; first trace (builds indexes): {first_s * 1000:.1f} ms "
          f"({first.disposition.value})")
    print(f"{len(times)} traces: median {statistics.median(times) * 1000:.3f} ms, "
          f"p95 {times[int(len(times) * 0.95)] * 1000:.3f} ms, max {times[-1] * 1000:.1f} ms")
    print("dispositions:", ", ".join(f"{k} {v}" for k, v in sorted(dispositions.items())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
