"""The 20-proxy x 1,000-service bug-report archive: ``inspect`` and ``check`` wall time on every core.

The peer, measured in the same run: the CPU time of reading the archive (gunzip, every tar member)
and ``orjson.loads`` of every JSON member (GC off), divided by the number of cores, i.e. the wall
time a perfectly parallel reader and parser would need. Targets: ``meshlens inspect ARCHIVE`` wall
<= 1.6x that; ``meshlens check ARCHIVE`` wall <= 1.5x ``inspect``'s. Also reported: each command's
CPU time over its wall time (2.0 = both cores busy) and peak RSS.

    python benchmarks/bench_archive.py [--runs 3] [--archive PATH]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import _harness as h

_FLOOR = r"""
import gc, gzip, io, json, sys, tarfile, time
import orjson
start = time.process_time()
data = gzip.decompress(open(sys.argv[1], "rb").read())
members = []
with tarfile.open(fileobj=io.BytesIO(data)) as tar:
    for member in tar:
        if member.isfile():
            members.append(tar.extractfile(member).read())
read = time.process_time() - start
gc.disable()
start = time.process_time()
for body in members:
    try:
        orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
print(json.dumps({"read": read, "parse": time.process_time() - start}))
"""


def _wall(cmd: list[str], runs: int, ok_codes: tuple[int, ...] = (0,)) -> tuple[float, float, int]:
    """Median wall seconds, median CPU seconds and peak RSS (KiB) of ``cmd``."""
    walls, cpus, rss = [], [], 0
    for _ in range(runs):
        start = time.perf_counter()
        cpu, peak, _ = h.run_child(cmd, ok_codes)
        walls.append(time.perf_counter() - start)
        cpus.append(cpu)
        rss = max(rss, peak)
    return statistics.median(walls), statistics.median(cpus), rss


def run(args: argparse.Namespace) -> list[h.Figure]:
    archive = Path(getattr(args, "archive", None) or h.shared_dir(args.shared) / "fixtures" / "bugreport" /
                   "scale-20x1000.tar.gz")
    cores = os.cpu_count() or 1
    floors = [h.python_json(_FLOOR, str(archive)) for _ in range(args.runs)]
    floor = statistics.median(f["read"] + f["parse"] for f in floors) / cores
    i_wall, i_cpu, i_rss = _wall(h.meshlens_cmd("inspect", str(archive)), args.runs)
    c_wall, c_cpu, c_rss = _wall(h.meshlens_cmd("check", str(archive), "--format", "json"), args.runs, (0, 1))
    return [
        h.Figure("archive", "inspect (wall)", "scale-20x1000", i_wall, peer=f"(read+orjson CPU)/{cores} cores",
                 peer_value=floor, target=1.6, note=f"CPU {i_cpu:.2f} s = {i_cpu / i_wall:.2f} cores busy"),
        h.Figure("archive", "check (wall)", "scale-20x1000", c_wall, peer="inspect (wall)", peer_value=i_wall,
                 target=1.5, note=f"CPU {c_cpu:.2f} s = {c_cpu / c_wall:.2f} cores busy"),
        h.Figure("archive", "inspect peak RSS", "scale-20x1000", i_rss / 1024, "MiB"),
        h.Figure("archive", "check peak RSS", "scale-20x1000", c_rss / 1024, "MiB"),
    ]


if __name__ == "__main__":
    a = h.parse_args(__doc__, lambda p: p.add_argument("--archive", type=Path, default=None))
    raise SystemExit(h.report(run(a), a.json))
