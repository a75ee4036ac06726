"""Synthesize samples/ztunnel/ztunnel.log and its dump, faithful to ztunnel.md section 3 (see PROVENANCE.md).

The scenario is the cluster of ``samples/ztunnel/config_dump.json`` with ``reviews`` served
directly (its waypoint removed, ``config_dump_direct.json``): ``productpage`` opens 300 connections to
``reviews``; ztunnel picks v1/v2/v3 at random (seeded) per connection; v2 refuses connections for
10 seconds, then recovers. The output is what ``kubectl -n istio-system logs -l app=ztunnel --prefix``
prints for the two nodes' ztunnels: the client's ``outbound`` lines, the backends' ``inbound`` lines,
plus a plaintext caller to ``details``, a policy denial, a certificate warning, Solo-style
outlier-detection lines and one line wrapped by copy-paste.

    python scripts/make_ztunnel_log_sample.py [--out samples/ztunnel]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.ztunnel_loggen import T0, access_line, scenario, ts  # noqa: E402

NODE_ZTUNNEL = {"ambient-worker": "ztunnel-7x2mq", "ambient-worker2": "ztunnel-k9f4d"}
WORKLOAD_NODE = {"10.244.1.13": "ambient-worker", "10.244.2.22": "ambient-worker2", "10.244.1.14": "ambient-worker",
                 "10.244.1.12": "ambient-worker", "10.244.1.11": "ambient-worker"}


def prefix(node: str, line: str) -> str:
    return f"[pod/{NODE_ZTUNNEL[node]}/istio-proxy] {line}"


def direct_dump() -> dict:
    """The sample dump with ``reviews`` served directly (no waypoint), reviews-v1 with capacity 2."""
    doc = json.loads((REPO / "samples" / "ztunnel" / "config_dump.json").read_text())
    for svc in doc["services"]:
        if svc["name"] == "reviews":
            svc.pop("waypoint", None)
    for w in doc["workloads"]:
        if w["name"].startswith("reviews-v1"):
            w["capacity"] = 2
    return doc


def lines() -> list[str]:
    raw, _ = scenario(300, seed=20261122, weights=(2, 1, 1), fail=1, fail_window=(100, 200))
    out = []
    for line in raw:
        if "\taccess\t" not in line:
            continue  # the generator's own outlier lines are replaced by the ones below
        if 'direction="outbound"' in line:
            out.append(prefix("ambient-worker", line))
        else:
            ip = line.split("dst.addr=", 1)[1].split(":", 1)[0]
            out.append(prefix(WORKLOAD_NODE[ip], line))
    from datetime import timedelta

    extra_at = T0 + timedelta(seconds=12, microseconds=250)
    out.append(prefix("ambient-worker", f"{ts(extra_at)}\twarn\tproxy::outlier::circuit_breaker\tendpoint ejected\t"
                                        'endpoint=10.244.2.22:9080 consecutive_failures=5 backoff="30s"'))
    out.append(prefix("ambient-worker", f"{ts(T0 + timedelta(seconds=20, microseconds=700))}\tinfo\t"
                                        "proxy::outlier::health_check\tendpoint restored\tendpoint=10.244.2.22:9080"))
    # a plaintext (non-mesh) caller reaching details directly: no src.identity on the inbound line
    for i in range(3):
        when = T0 + timedelta(seconds=5 + i)
        out.append(prefix("ambient-worker", access_line(
            when, direction="inbound", src=("curl-5b9d8f7c6d-abcde", "10.244.3.7", "default"), src_port=51000 + i,
            dst_workload="details-v1-7d4b9c8f6d-h2xlq", dst_ip="10.244.1.11", service=None, identity=False)))
    out.append(prefix("ambient-worker2", f"{ts(T0 + timedelta(seconds=9))}\twarn\taccess\tconnection failed\t"
                                         "src.addr=10.244.3.7:52000 dst.addr=10.244.2.21:15008 direction=\"inbound\" "
                                         'error="connection closed due to policy rejection: allow policies exist, '
                                         'but none allowed"'))
    out.append(prefix("ambient-worker2", f"{ts(T0 + timedelta(seconds=1))}\twarn\tidentity::manager\tcertificate "
                                         "fetch failed (signing gRPC error) and no valid existing certificate; will "
                                         "retry in 10ms\tid=spiffe://cluster.local/ns/bookinfo/sa/bookinfo-ratings"))
    out.sort(key=lambda line: line.split("] ", 1)[1][:27])
    # one line wrapped by a terminal copy-paste at column 160
    k = next(i for i, line in enumerate(out) if "error=" in line and "outbound" in line)
    out[k:k + 1] = [out[k][:160], out[k][160:]]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(REPO / "samples" / "ztunnel"))
    args = parser.parse_args()
    out = Path(args.out)
    (out / "ztunnel.log").write_text("\n".join(lines()) + "\n")
    (out / "config_dump_direct.json").write_text(json.dumps(direct_dump(), indent=2))
    print(f"wrote {out / 'ztunnel.log'} and {out / 'config_dump_direct.json'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
