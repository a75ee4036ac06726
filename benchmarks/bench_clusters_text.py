"""The ``/clusters`` text parser per byte against ``orjson.loads`` per byte (CPU; target <= 1.5x).

One proxy's members of the scale bug-report archive: its text ``clusters`` (parsed by
``meshlens.load``, as every archive member is) against its ``config_dump?include_eds`` parsed by
``orjson.loads`` with the GC off; both in seconds per MB, medians in one fresh process.

    python benchmarks/bench_clusters_text.py [--runs 3]
"""

from __future__ import annotations

import argparse
import tarfile

import _harness as h

ARCHIVE = ("fixtures", "bugreport", "scale-20x1000.tar.gz")

_CHILD = r"""
import gc, json, statistics, sys, time
import orjson
import meshlens
text, dump, runs = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read(), int(sys.argv[3])
meshlens.load(text[:200000].rsplit(b"\n", 1)[0] + b"\n")  # imports and first-use costs

def median(fn):
    times = []
    for _ in range(runs):
        gc.collect()
        start = time.process_time()
        result = fn()
        times.append(time.process_time() - start)
        del result
    return statistics.median(times)

def floor():
    gc.disable()
    try:
        return orjson.loads(dump)
    finally:
        gc.enable()

snap = meshlens.load(text)
assert snap.proxies and snap.proxies[0].cluster_statuses, "the text was not read as /clusters"
print(json.dumps({"text": median(lambda: meshlens.load(text)) / len(text) * 1e6,
                  "orjson": median(floor) / len(dump) * 1e6}))
"""


def members(shared: object) -> tuple[str, str]:
    """One proxy's text ``clusters`` and its config dump, extracted once into ``benchmarks/.data``."""
    h.DATA.mkdir(exist_ok=True)
    text, dump = h.DATA / "scale-proxy-clusters.txt", h.DATA / "scale-proxy-config_dump.json"
    if not (text.exists() and dump.exists()):
        archive = h.shared_dir(shared).joinpath(*ARCHIVE)  # type: ignore[arg-type]
        with tarfile.open(archive) as tar:
            wanted: dict[str, bytes] = {}
            for member in tar:
                base = member.name.rsplit("/", 1)[-1]
                if base in ("clusters", "config_dump?include_eds") and base not in wanted:
                    handle = tar.extractfile(member)
                    wanted[base] = handle.read() if handle else b""
                if len(wanted) == 2:
                    break
        text.write_bytes(wanted["clusters"])
        dump.write_bytes(wanted["config_dump?include_eds"])
    return str(text), str(dump)


def run(args: argparse.Namespace) -> list[h.Figure]:
    text, dump = members(args.shared)
    got = h.python_json(_CHILD, text, dump, str(args.runs))
    return [h.Figure("clusters-text", "/clusters text parse", "scale proxy", got["text"], "s/MB",
                     peer="orjson GC-off per MB", peer_value=got["orjson"], target=1.5)]


if __name__ == "__main__":
    a = h.parse_args(__doc__)
    raise SystemExit(h.report(run(a), a.json))
