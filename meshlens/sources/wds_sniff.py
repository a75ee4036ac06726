"""Content sniffer of istiod's ztunnel config dump (``/debug/config_dump?proxyID=<ztunnel>``), model-free.

Kept apart from :mod:`meshlens.sources.istiod_wds` so that trying it on every document imports no models.
"""

from __future__ import annotations

from typing import Any

ISTIOD_WDS_KIND = "istiod-ztunnel-config-dump"
WDS_TYPES = frozenset({"type.googleapis.com/istio.workload.Address", "type.googleapis.com/istio.workload.Workload",
                       "type.googleapis.com/istio.security.Authorization"})


def istiod_wds_sniff(doc: Any) -> bool:
    """A ConfigDump whose ``configs`` are all workload-API entries (Address, Workload, Authorization)."""
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("configs"), list) or not data["configs"]:
        return False
    return all(isinstance(c, dict) and isinstance(c.get("@type"), str) and c["@type"] in WDS_TYPES
               for c in data["configs"])
