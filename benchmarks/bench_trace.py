"""10,000 traces with varied hosts and paths (targets on n5000: p99 <= 1 ms, max <= 5 ms per trace).

In a fresh process per size: load, then the warm-up, reported apart: the first trace (which builds
the proxy's indexes and types its resources) and the first trace to each other port of the request
set (each builds the virtual-host index of that port's route configuration, once, on first use).
Then 10,000 traces whose per-trace time is the thread's CPU time (what a shared, busy machine does
not inflate); the cyclic-GC passes that ran inside them are counted, with the longest (the usual
cause of a pause).

    python benchmarks/bench_trace.py [--sizes 100,1000,5000,10000] [--count 10000]
"""

from __future__ import annotations

import argparse

import _harness as h

_CHILD = r"""
import gc, json, random, statistics, sys, time
import meshlens
from meshlens.index.proxy import index_for
path, count = sys.argv[1], int(sys.argv[2])
proxy = meshlens.load(open(path, "rb").read()).proxy()
hosts = sorted(index_for(proxy).host_vips())
ports = {}
for cluster in proxy.clusters:
    parsed = cluster.parsed_name
    if parsed.kind == "outbound" and parsed.port:
        ports.setdefault(parsed.host, []).append(parsed.port)
rng = random.Random(7)
requests = []
for _ in range(count):
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
start = time.process_time()
meshlens.trace(proxy, to=requests[0][0], path=requests[0][1])
first = time.process_time() - start
warm = 0.0
for port in sorted({a.rsplit(":", 1)[1] for a, _ in requests}):
    authority, path_ = next((a, p) for a, p in requests if a.endswith(":" + port))
    t0 = time.thread_time()
    meshlens.trace(proxy, to=authority, path=path_)
    warm = max(warm, time.thread_time() - t0)
passes = []
def timing(phase, info, _t=[0.0]):
    if phase == "start":
        _t[0] = time.thread_time()
    else:
        passes.append((info["generation"], time.thread_time() - _t[0]))
gc.callbacks.append(timing)
times = []
for authority, path_ in requests:
    t0 = time.thread_time()
    meshlens.trace(proxy, to=authority, path=path_)
    times.append(time.thread_time() - t0)
gc.callbacks.remove(timing)
times.sort()
print(json.dumps({"first": first, "warm": warm, "median": statistics.median(times),
                  "p99": times[int(len(times) * 0.99)],
                  "max": times[-1], "gc_passes": len(passes), "gc_full": sum(1 for g, _ in passes if g == 2),
                  "gc_max": max((t for _, t in passes), default=0.0)}))
"""


def run(args: argparse.Namespace) -> list[h.Figure]:
    shared = h.shared_dir(args.shared)
    figures = []
    for size in h.sizes_of(args):
        got = h.python_json(_CHILD, str(h.dump_path(size, shared)), str(getattr(args, "count", 10_000)))
        gated = size == 5000
        note = (f"GC passes {got['gc_passes']} (full {got['gc_full']}, longest {got['gc_max'] * 1000:.1f} ms); "
                f"warm-up: first trace {got['first'] * 1000:.0f} ms, first per port <= {got['warm'] * 1000:.0f} ms")
        n = f"n{size}"
        figures.append(h.Figure("trace", "trace median", n, got["median"] * 1000, "ms/trace"))
        figures.append(h.Figure("trace", "trace p99", n, got["p99"] * 1000, "ms/trace", target=1.0 if gated else None))
        figures.append(h.Figure("trace", "trace max", n, got["max"] * 1000, "ms/trace", target=5.0 if gated else None,
                                note=note))
    return figures


if __name__ == "__main__":
    a = h.parse_args(__doc__, lambda p: p.add_argument("--count", type=int, default=10_000))
    raise SystemExit(h.report(run(a), a.json))
