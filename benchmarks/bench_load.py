"""Load and typed models against the parse floor, ``orjson.loads`` with the cyclic GC off.

For each dump size, in a fresh process: the median CPU time of ``orjson.loads`` (GC on and off),
of ``meshlens.load`` and of the typed ``.config`` of every resource (listeners, clusters, route
configs, endpoint assignments, secrets, ECDS) of a fresh load, with the number of cyclic-GC passes
that ran during it (a "GC storm" is many full passes). Peak RSS: a fresh process doing only
``orjson.loads`` against one doing ``meshlens.load`` and every ``.config``.
Targets (n5000): load <= 1.2x orjson GC-off, every ``.config`` <= 3x, peak RSS <= 1.3x.

    python benchmarks/bench_load.py [--runs 3] [--sizes 100,1000,5000,10000]
"""

from __future__ import annotations

import argparse
import sys

import _harness as h

_CHILD = r"""
import gc, json, statistics, sys, time
import orjson
import meshlens
path, runs = sys.argv[1], int(sys.argv[2])
data = open(path, "rb").read()
meshlens.load(open(sys.argv[3], "rb").read())  # imports and first-use costs, on a small dump

def median(fn):
    times = []
    for _ in range(runs):
        gc.collect()
        start = time.process_time()
        result = fn()
        times.append(time.process_time() - start)
        del result
    return statistics.median(times)

def orjson_off():
    gc.disable()
    try:
        return orjson.loads(data)
    finally:
        gc.enable()

passes = []
def count(phase, info):
    if phase == "stop":
        passes.append(info["generation"])

def configs():
    gc.collect()
    proxy = meshlens.load(data).proxy()
    resources = [*proxy.listeners, *proxy.clusters, *proxy.route_configs, *proxy.endpoints, *proxy.secrets,
                 *proxy.ecds]
    gc.callbacks.append(count)
    start = time.process_time()
    for resource in resources:
        resource.config
    spent = time.process_time() - start
    gc.callbacks.remove(count)
    return spent

out = {
    "orjson_on": median(lambda: orjson.loads(data)),
    "orjson_off": median(orjson_off),
    "load": median(lambda: meshlens.load(data)),
}
config_times = []
for _ in range(runs):
    passes.clear()
    config_times.append(configs())
out["config"] = statistics.median(config_times)
out["config_gc_full"] = sum(1 for g in passes if g == 2)
out["config_gc_all"] = len(passes)
print(json.dumps(out))
"""

# Peak RSS as the child's own VmHWM (reset by exec; ru_maxrss is inherited from a large parent).
_HWM = "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])"
_RSS_ORJSON = "import orjson, sys; doc = orjson.loads(open(sys.argv[1], 'rb').read())\n" + _HWM
_RSS_MESHLENS = (
    "import meshlens, sys\n"
    "p = meshlens.load(open(sys.argv[1], 'rb').read()).proxy()\n"
    "for r in [*p.listeners, *p.clusters, *p.route_configs, *p.endpoints, *p.secrets, *p.ecds]:\n"
    "    r.config\n" + _HWM
)


def run(args: argparse.Namespace) -> list[h.Figure]:
    shared = h.shared_dir(args.shared)
    small = str(h.dump_path(100, shared))
    figures = []
    for size in h.sizes_of(args):
        dump = str(h.dump_path(size, shared))
        got = h.python_json(_CHILD, dump, str(args.runs), small)
        n = f"n{size}"
        gated = size == 5000
        figures.append(h.Figure("load", "load", n, got["load"], peer="orjson GC-off", peer_value=got["orjson_off"],
                                target=1.2 if gated else None))
        figures.append(h.Figure("load", "load (vs orjson GC-on)", n, got["load"], peer="orjson GC-on",
                                peer_value=got["orjson_on"]))
        figures.append(h.Figure("load", "typed .config of every resource", n, got["config"], peer="orjson GC-off",
                                peer_value=got["orjson_off"], target=3.0 if gated else None,
                                note=f"GC passes {got['config_gc_all']}, full {got['config_gc_full']}"))
        rss_orjson = int(h.run_child([sys.executable, "-c", _RSS_ORJSON, dump])[2].split()[-1]) / 1024
        rss_mine = int(h.run_child([sys.executable, "-c", _RSS_MESHLENS, dump])[2].split()[-1]) / 1024
        figures.append(h.Figure("load", "peak RSS load + every .config", n, rss_mine, "MiB", peer="orjson.loads",
                                peer_value=rss_orjson, target=1.3 if gated else None))
    return figures


if __name__ == "__main__":
    a = h.parse_args(__doc__)
    raise SystemExit(h.report(run(a), a.json))
