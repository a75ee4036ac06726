"""Diff benchmark: two n5000 captures that differ in 50 resources.

The second capture is the first with 20 clusters changed, 10 removed, 10 route virtual hosts
changed and 10 listeners changed (in memory). Prints the time to load both, the diff time, the
ratio (target <= 2) and what the diff found.

    python benchmarks/bench_diff.py [--shared ../shared]
"""

from __future__ import annotations

import argparse
import copy
import gzip
import sys
import time
from pathlib import Path

import orjson

import meshlens

HERE = Path(__file__).resolve().parent


def mutate(doc: dict) -> dict:  # type: ignore[type-arg]
    out = copy.deepcopy(doc)
    for section in out["configs"]:
        kind = section["@type"].rsplit(".", 1)[-1]
        if kind == "ClustersConfigDump":
            dyn = section["dynamic_active_clusters"]
            for entry in dyn[100:120]:
                entry["cluster"]["connect_timeout"] = "7s"
            del dyn[200:210]
        elif kind == "RoutesConfigDump":
            rc = max(section["dynamic_route_configs"], key=lambda r: len(r["route_config"].get("virtual_hosts", [])))
            for vh in rc["route_config"]["virtual_hosts"][:10]:
                vh["routes"][0]["match"]["prefix"] = "/v2"
        elif kind == "ListenersConfigDump":
            for entry in section["dynamic_listeners"][20:30]:
                entry["active_state"]["listener"]["stat_prefix"] = "changed"
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=HERE.parent.parent / "shared")
    args = parser.parse_args()
    path = args.shared / "fixtures" / "envoy" / "scale" / "n5000-config_dump_include_eds.json.gz"
    if not path.exists():
        print(f"not found: {path}", file=sys.stderr)
        return 2
    before_bytes = gzip.decompress(path.read_bytes())
    after_bytes = orjson.dumps(mutate(orjson.loads(before_bytes)))
    start = time.perf_counter()
    before = meshlens.load(before_bytes).proxy()
    after = meshlens.load(after_bytes).proxy()
    load_s = time.perf_counter() - start
    start = time.perf_counter()
    drift = meshlens.diff(before, after)
    diff_s = time.perf_counter() - start
    counts: dict[str, int] = {}
    for r in drift.resources:
        counts[f"{r.type} {r.status}"] = counts.get(f"{r.type} {r.status}", 0) + 1
    print(f"load both: {load_s:.3f} s; diff: {diff_s:.3f} s; ratio {diff_s / load_s:.2f} (target <= 2)")
    print("found:", ", ".join(f"{k} {v}" for k, v in sorted(counts.items())), "| summary:", drift.summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
