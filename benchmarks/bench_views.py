"""Views as whole processes against jq asking the same question (whole-process CPU, target <= 1x).

* ``meshlens pc cluster DUMP`` against a jq program listing the same clusters (name, type, the
  DestinationRule metadata, sorted) on each dump size;
* ``meshlens pc endpoint CLUSTERS`` on the n1000 ``/clusters`` capture against jq listing every
  host's address, port, health and cluster.

jq: ``apt-get update && apt-get install -y jq`` (benchmarks are not CI; without jq the peers are
skipped and said so).

    python benchmarks/bench_views.py [--runs 3] [--sizes 100,1000,5000,10000]
"""

from __future__ import annotations

import argparse

import _harness as h

JQ_CLUSTERS = (
    '.configs[] | select(."@type" | endswith("ClustersConfigDump"))'
    " | [(.dynamic_active_clusters // [])[], (.static_clusters // [])[]] | map(.cluster) | sort_by(.name)"
    ' | .[] | [.name, (.type // "STATIC"), (.metadata.filter_metadata.istio.config // "")] | @tsv'
)
JQ_ENDPOINTS = (
    ".cluster_statuses[] | .name as $c | (.host_statuses // [])[]"
    " | [.address.socket_address.address, .address.socket_address.port_value,"
    ' (.health_status.eds_health_status // "HEALTHY"), $c] | @tsv'
)


def run(args: argparse.Namespace) -> list[h.Figure]:
    shared = h.shared_dir(args.shared)
    jq = h.which_jq()
    figures = []
    for size in h.sizes_of(args):
        dump = str(h.dump_path(size, shared))
        mine, _ = h.median_cpu(h.meshlens_cmd("pc", "cluster", dump), args.runs)
        peer = h.median_cpu([jq, "-r", JQ_CLUSTERS, dump], args.runs)[0] if jq else None
        figures.append(h.Figure("views", "pc cluster", f"n{size}", mine, peer="jq" if jq else "jq (not installed)",
                                peer_value=peer, target=1.0 if jq else None))
    clusters = str(h.companion_path("n1000-clusters.json", shared))
    mine, _ = h.median_cpu(h.meshlens_cmd("pc", "endpoint", clusters), args.runs)
    peer = h.median_cpu([jq, "-r", JQ_ENDPOINTS, clusters], args.runs)[0] if jq else None
    figures.append(h.Figure("views", "pc endpoint /clusters", "n1000", mine, peer="jq" if jq else "jq (not installed)",
                            peer_value=peer, target=1.0 if jq else None))
    return figures


if __name__ == "__main__":
    a = h.parse_args(__doc__)
    raise SystemExit(h.report(run(a), a.json))
