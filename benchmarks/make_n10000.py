"""Make the n10000 dump from n5000: every service's resources again, under renamed copies.

For each dynamic cluster and endpoint assignment, each virtual host of the dynamic route configs, and
each listener bound to a service address (``IP_port``), a copy (when the rename changes its name)
is added whose service hosts are moved to namespaces suffixed ``-copy`` (``reviews.ns-1.svc.cluster.local`` ->
``reviews.ns-1-copy.svc.cluster.local``, in every name, domain and reference, so the copies reference
each other as the originals do) and whose service addresses move to another /16 (``10.97.x.y`` ->
``10.161.x.y``). A virtual host's copy keeps only the domains the rename changed, so no domain is
served twice. Wildcard listeners (``0.0.0.0_port``), static resources and secrets are not copied.

    python benchmarks/make_n10000.py N5000_JSON OUT_JSON
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import orjson

_HOST = re.compile(rb"\.svc\.cluster\.local")
_ADDR = re.compile(rb"(?<![\d.])10\.(9[6-9])\.(\d{1,3})\.(\d{1,3})(?![\d])")


def _rename(value: Any) -> Any:
    text = orjson.dumps(value)
    text = _HOST.sub(b"-copy.svc.cluster.local", text)
    text = _ADDR.sub(lambda m: b"10.%d.%s.%s" % (int(m.group(1)) + 64, m.group(2), m.group(3)), text)
    return orjson.loads(text)


def _copies(entries: list[dict[str, Any]], name: Any) -> list[dict[str, Any]]:
    """Renamed copies of ``entries`` whose name the rename changes (others would be served twice)."""
    out = []
    for entry in entries:
        copy = _rename(entry)
        if name(copy) != name(entry):
            out.append(copy)
    return out


def _section(doc: dict[str, Any], suffix: str) -> dict[str, Any]:
    return next(s for s in doc["configs"] if s["@type"].endswith("." + suffix))


def make(source: Path, out: Path) -> None:
    """Write the doubled dump of ``source`` to ``out``."""
    doc = orjson.loads(source.read_bytes())
    clusters = _section(doc, "ClustersConfigDump")
    clusters["dynamic_active_clusters"] += _copies(clusters.get("dynamic_active_clusters", []),
                                                   lambda e: e["cluster"]["name"])
    endpoints = _section(doc, "EndpointsConfigDump")
    endpoints["dynamic_endpoint_configs"] += _copies(endpoints.get("dynamic_endpoint_configs", []),
                                                     lambda e: e["endpoint_config"]["cluster_name"])
    for entry in _section(doc, "RoutesConfigDump").get("dynamic_route_configs", []):
        hosts = entry["route_config"].get("virtual_hosts", [])
        copies = []
        for vhost in hosts:
            copy = _rename(vhost)
            pairs = zip(copy.get("domains", []), vhost.get("domains", []), strict=True)
            copy["domains"] = [d for d, o in pairs if d != o]
            if copy["domains"]:
                copies.append(copy)
        hosts += copies
    listeners = _section(doc, "ListenersConfigDump")
    listeners["dynamic_listeners"] += _copies(listeners.get("dynamic_listeners", []), lambda e: e["name"])
    tmp = out.with_suffix(".tmp")
    tmp.write_bytes(orjson.dumps(doc))
    tmp.replace(out)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    make(Path(sys.argv[1]), Path(sys.argv[2]))
