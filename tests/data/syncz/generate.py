"""Write the syncz inputs of the ``golden__ps-*`` tables, in both forms (see README.md).

Run from the repository root: ``.venv/bin/python tests/data/syncz/generate.py``. The output is
deterministic; the files are committed, this script documents how they were made.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
PREFIX = "type.googleapis.com/"
CDS = PREFIX + "envoy.config.cluster.v3.Cluster"
LDS = PREFIX + "envoy.config.listener.v3.Listener"
RDS = PREFIX + "envoy.config.route.v3.RouteConfiguration"
EDS = PREFIX + "envoy.config.endpoint.v3.ClusterLoadAssignment"
ECDS = PREFIX + "envoy.config.core.v3.TypedExtensionConfig"
# The order istiod's test responses list them in (istioctl testdata multiXdsStatusSinglePilot.json).
XDS_ORDER = (CDS, LDS, RDS, EDS, ECDS)
# HTTP /debug/syncz top-level nonce pairs (pilot/pkg/xds/debug.go SyncStatus).
HTTP_PAIRS = {CDS: "cluster", LDS: "listener", RDS: "route", EDS: "endpoint", ECDS: "extensionconfig"}
NACK = "Error adding/updating listener(s) 0.0.0.0_9080: duplicate filter chain match\n"

# Transcribed from the golden tables: (proxy, cluster, istiod, ISTIO_VERSION, {type: status}).
# A type absent from the dict was never subscribed (IGNORED).
TABLES: dict[str, list[tuple[str, str, str, str, dict[str, str]]]] = {
    # golden__ps-table__multi-istiod.txt + golden__ps-table__multi-istiod__istio1.26-legacy-columns.txt
    "multi-istiod": [
        ("proxy3", "cluster3", "istiod3", "1.20",
         {CDS: "NOT_SENT", LDS: "ERROR", RDS: "NOT_SENT", EDS: "STALE", ECDS: "NOT_SENT"}),
        ("proxy1", "cluster1", "istiod1", "1.20",
         {CDS: "STALE", LDS: "SYNCED", RDS: "NOT_SENT", EDS: "SYNCED", ECDS: "SYNCED"}),
        ("proxy4", "cluster4", "istiod4", "1.20", {}),
        ("proxy2", "cluster2", "istiod2", "1.19",
         {CDS: "STALE", LDS: "SYNCED", RDS: "SYNCED", EDS: "STALE", ECDS: "STALE"}),
    ],
    # golden__ps-table__single-istiod.txt (statuses are not in that table: any subscribed ones do)
    "single-istiod": [
        ("proxy2", "cluster2", "istiod1", "1.20",
         {CDS: "STALE", LDS: "SYNCED", RDS: "SYNCED", EDS: "STALE", ECDS: "SYNCED"}),
        ("proxy1", "cluster1", "istiod1", "1.20",
         {CDS: "STALE", LDS: "SYNCED", RDS: "NOT_SENT", EDS: "SYNCED", ECDS: "SYNCED"}),
    ],
    # golden__ps-table-verbose__multi-istiod.txt: one proxy; istiod2 answers with no proxy at all
    "verbose-multi-istiod": [
        ("proxy1", "cluster1", "istiod1", "1.20",
         {CDS: "STALE", LDS: "SYNCED", RDS: "NOT_SENT", EDS: "SYNCED", ECDS: "SYNCED"}),
    ],
}
EMPTY_ISTIODS = {"verbose-multi-istiod": ["istiod2"]}


def _nonce(*parts: str) -> str:
    """istiod's nonce shape: push version + UUID (deterministic here)."""
    return "2026-01-01T00:00:00Z/7" + str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts)))


def _identifier(istiod: str) -> str:
    info = {"version": "1.1", "revision": "", "golang_version": "", "status": "", "tag": ""}
    return json.dumps({"Component": "istiod", "ID": istiod, "Info": info}, separators=(",", ":"))


def xds_response(istiod: str, proxies: list[tuple[str, str, str, str, dict[str, str]]]) -> dict[str, object]:
    """One istiod's answer to istioctl's ``istio.io/debug/syncz`` request (camelCase, as jsonpb)."""
    resources = []
    for proxy, cluster, _, version, statuses in proxies:
        configs: list[dict[str, object]] = []
        for url in XDS_ORDER:
            if url not in statuses:
                continue
            config: dict[str, object] = {"typeUrl": url, "configStatus": statuses[url]}
            if statuses[url] == "ERROR":
                config["errorState"] = {"details": NACK}
            configs.append(config)
        resource: dict[str, object] = {
            "@type": PREFIX + "envoy.service.status.v3.ClientConfig",
            "node": {"id": proxy, "metadata": {"CLUSTER_ID": cluster, "ISTIO_VERSION": version}},
        }
        if configs:
            resource["genericXdsConfigs"] = configs
        resources.append(resource)
    response: dict[str, object] = {"versionInfo": "1.1"}
    if resources:
        response["resources"] = resources
    response["typeUrl"] = PREFIX + "envoy.service.status.v3.ClientConfig"
    response["controlPlane"] = {"identifier": _identifier(istiod)}
    return response


def http_row(proxy: str, cluster: str, version: str, statuses: dict[str, str]) -> dict[str, object]:
    """One ``/debug/syncz`` row whose nonces give ``statuses`` under istiod's rule."""
    row: dict[str, object] = {"cluster_id": cluster, "proxy": proxy, "proxy_type": "sidecar", "istio_version": version}
    resources: dict[str, dict[str, str]] = {}
    for url in sorted(statuses):  # Go encoding/json sorts map keys
        status, entry = statuses[url], {}
        if status != "NOT_SENT":
            entry["sent"] = _nonce(proxy, url, "sent")
            entry["acked"] = entry["sent"] if status == "SYNCED" else _nonce(proxy, url, "acked")
        if status == "ERROR":
            entry["lastError"] = NACK
        resources[url] = entry
    for url, prefix in HTTP_PAIRS.items():  # omitempty: only nonces that were sent/acked
        for suffix in ("sent", "acked"):
            if resources.get(url, {}).get(suffix):
                row[f"{prefix}_{suffix}"] = resources[url][suffix]
    if resources:
        row["resources"] = resources
    return row


def main() -> None:
    for name, proxies in TABLES.items():
        istiods = sorted({p[2] for p in proxies} | set(EMPTY_ISTIODS.get(name, [])))
        # XDS form: what istioctl receives, one DiscoveryResponse per istiod (in the order of the table).
        order = list(dict.fromkeys([p[2] for p in proxies] + EMPTY_ISTIODS.get(name, [])))
        responses = [xds_response(i, [p for p in proxies if p[2] == i]) for i in order]
        out = HERE / name / "xds.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(responses, indent=4) + "\n", encoding="utf-8")
        # HTTP form: each istiod's /debug/syncz as a bug-report lays it out (the ISTIOD column).
        for istiod in istiods:
            rows = [http_row(p[0], p[1], p[3], p[4]) for p in proxies if p[2] == istiod]
            path = HERE / name / "http" / "istio" / "istio-system" / istiod / "debug" / "syncz"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(rows, separators=(",", ":")) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
