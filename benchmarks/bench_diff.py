"""``meshlens diff`` as a whole process against loading both captures (CPU; target <= 1.2x).

The second capture is the first with 20 clusters changed, 10 removed, 10 route virtual hosts changed
and 10 listeners changed (written once to ``benchmarks/.data``). The peer is a fresh process that
imports meshlens and loads both files, nothing else.

    python benchmarks/bench_diff.py [--runs 3] [--sizes 100,1000,5000,10000]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import _harness as h
import orjson

_LOAD_BOTH = "import meshlens, sys; meshlens.load(sys.argv[1]); meshlens.load(sys.argv[2])"


def mutate(doc: dict[str, Any]) -> dict[str, Any]:
    """The changed copy (edits in place of a freshly parsed document)."""
    for section in doc["configs"]:
        kind = section["@type"].rsplit(".", 1)[-1]
        if kind == "ClustersConfigDump":
            dyn = section["dynamic_active_clusters"]
            for entry in dyn[100:120]:
                entry["cluster"]["connect_timeout"] = "7s"
            del dyn[200:210]
        elif kind == "RoutesConfigDump" and section.get("dynamic_route_configs"):
            rc = max(section["dynamic_route_configs"], key=lambda r: len(r["route_config"].get("virtual_hosts", [])))
            for vh in rc["route_config"]["virtual_hosts"][:10]:
                vh["routes"][0]["match"]["prefix"] = "/v2"
        elif kind == "ListenersConfigDump":
            for entry in section["dynamic_listeners"][20:30]:
                entry["active_state"]["listener"]["stat_prefix"] = "changed"
    return doc


def changed_copy(dump: Path) -> Path:
    out = dump.with_name(dump.stem + "-changed.json")
    if not out.exists():
        out.write_bytes(orjson.dumps(mutate(orjson.loads(dump.read_bytes()))))
    return out


def run(args: argparse.Namespace) -> list[h.Figure]:
    shared = h.shared_dir(args.shared)
    figures = []
    for size in h.sizes_of(args):
        dump = h.dump_path(size, shared)
        other = changed_copy(dump)
        mine, _ = h.median_cpu(h.meshlens_cmd("diff", str(dump), str(other), "-o", "json"), args.runs)
        peer, _ = h.median_cpu([sys.executable, "-c", _LOAD_BOTH, str(dump), str(other)], args.runs)
        figures.append(h.Figure("diff", "diff (whole process)", f"n{size}", mine, peer="load both",
                                peer_value=peer, target=1.2 if size == 5000 else None))
    return figures


if __name__ == "__main__":
    a = h.parse_args(__doc__)
    raise SystemExit(h.report(run(a), a.json))
