"""A bare Envoy bootstrap document (what istio-agent writes to envoy-rev.json) as a proxy."""

from __future__ import annotations

from meshlens.models.casing import to_snake_tree
from meshlens.sources import config_dump
from meshlens.sources.builder import SnapshotBuilder
from meshlens.sources.read import Document

KIND = "envoy-bootstrap"

_MARKERS = ("static_resources", "staticResources", "dynamic_resources", "dynamicResources", "admin",
            "layered_runtime", "layeredRuntime")


def sniff(doc: Document) -> bool:
    """True when ``doc`` is an Envoy bootstrap file (a ``node`` and bootstrap sections)."""
    data = doc.data
    return isinstance(data, dict) and isinstance(data.get("node"), dict) and any(k in data for k in _MARKERS)


def load(doc: Document, builder: SnapshotBuilder) -> None:
    """Load an Envoy bootstrap file into ``builder`` as the proxy's bootstrap and static resources."""
    proxy = builder.envoy(doc)
    raw = doc.data
    if any(k in raw for k in ("staticResources", "dynamicResources", "layeredRuntime")):
        raw = to_snake_tree(raw)
        proxy.config_dump_style = "camel"
    walker = config_dump.Walker(doc, builder, proxy)
    walker.set_bootstrap(raw, "$")
    proxy.sections.add("bootstrap")
