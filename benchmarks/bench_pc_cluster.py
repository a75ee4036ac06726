"""End-to-end benchmark: ``meshlens pc cluster -f <n5000 dump>`` against the same question asked of jq.

Both run as fresh processes (process start to last byte of output, read through a pipe), on the
decompressed ``../shared/fixtures/envoy/scale/n5000-config_dump_include_eds.json.gz`` (47.6 MB).
The jq program lists the same clusters (active and static, by name) with their type and the
DestinationRule metadata: the question ``pc cluster`` answers. Prints the median of ``--runs`` runs
of each and their ratio.

    python benchmarks/bench_pc_cluster.py [--runs 5] [--shared ../shared]

jq: ``apt-get update && apt-get install -y jq``.
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
JQ_PROGRAM = (
    '.configs[] | select(."@type" | endswith("ClustersConfigDump"))'
    " | [(.dynamic_active_clusters // [])[], (.static_clusters // [])[]] | map(.cluster) | sort_by(.name)"
    ' | .[] | [.name, (.type // "STATIC"), (.metadata.filter_metadata.istio.config // "")] | @tsv'
)


def _time(cmd: list[str], runs: int) -> tuple[float, int]:
    """Median wall time of ``runs`` runs of ``cmd`` and the size of its output."""
    times = []
    size = 0
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(cmd[:4])} ... failed: {done.stderr.decode(errors='replace').strip()}")
        size = len(done.stdout)
    return statistics.median(times), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--shared", type=Path, default=HERE.parent.parent / "shared")
    args = parser.parse_args()
    source = args.shared / "fixtures" / "envoy" / "scale" / "n5000-config_dump_include_eds.json.gz"
    if not source.exists():
        raise SystemExit(f"not found: {source} (pass --shared)")
    jq = shutil.which("jq")
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "n5000-config_dump_include_eds.json"
        dump.write_bytes(gzip.decompress(source.read_bytes()))
        meshlens_cmd = [sys.executable, "-m", "meshlens.cli", "pc", "cluster", "-f", str(dump)]
        meshlens_s, meshlens_bytes = _time(meshlens_cmd, args.runs)
        print(f"meshlens pc cluster -f n5000   median {meshlens_s:.3f} s  ({meshlens_bytes:,} bytes of output)")
        if jq is None:
            print("jq not installed (apt-get install -y jq): no comparison")
            return
        jq_s, jq_bytes = _time([jq, "-r", JQ_PROGRAM, str(dump)], args.runs)
        print(f"jq (same clusters, type, DR)   median {jq_s:.3f} s  ({jq_bytes:,} bytes of output)")
        print(f"ratio meshlens / jq            {meshlens_s / jq_s:.2f}")


if __name__ == "__main__":
    main()
