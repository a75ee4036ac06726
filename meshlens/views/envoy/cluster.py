"""``pc cluster``: one row per active or static cluster (warming clusters are not shown).

Columns ``SERVICE FQDN  PORT  SUBSET  DIRECTION  TYPE  DESTINATION RULE``; names with more than
three ``|``-parts are split into the first four columns (``ClusterName.istioctl_columns``), others
show whole with ``-``. The filters are substring tests on the cluster *name*, as in istioctl.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from meshlens.encoding.gosort import go_sort_by_key
from meshlens.encoding.protojson import to_go
from meshlens.models.names import ClusterName
from meshlens.views.envoy._common import (
    DISCOVERY_TYPE,
    EnvoyTable,
    by_state,
    describe_management,
    enum_name,
    require_section,
)

if TYPE_CHECKING:
    from meshlens.models.snapshot import EnvoyProxy

HEADERS = ["SERVICE FQDN", "PORT", "SUBSET", "DIRECTION", "TYPE", "DESTINATION RULE"]


class ClusterRow(BaseModel):
    """One ``pc cluster`` row: the parsed name parts (None where istioctl prints ``-``)."""

    fqdn: str
    port: int | None
    subset: str | None
    direction: str | None
    type: str
    destination_rule: str
    name: str
    state: str


def matches(name: str, fqdn: str | None, port: int | None, subset: str | None, direction: str | None) -> bool:
    """istioctl's ``ClusterFilter.Verify``: substring tests on the name (port as ``|<port>|``)."""
    if fqdn and fqdn not in name:
        return False
    if direction and direction not in name:
        return False
    if subset and subset not in name:
        return False
    return not (port and f"|{port}|" not in name)


def cluster_type(raw: dict[str, Any]) -> str:
    """TYPE: the ``type`` enum; ``STATIC`` when unset or when a custom ``cluster_type`` is used."""
    if "cluster_type" in raw:
        return "STATIC"
    return enum_name(raw.get("type"), DISCOVERY_TYPE, "STATIC")


def sorted_clusters(proxy: EnvoyProxy) -> list[tuple[Any, ClusterName]]:
    """Active then static clusters (with their parsed names) in istioctl's order: host, subset, port,
    direction.
    """
    clusters = [(res, ClusterName.parse(res.name)) for res in by_state(proxy.valid_clusters, "active", "static")]
    return go_sort_by_key(clusters, lambda pair: pair[1].istioctl_sort_key())


def cluster_rows(proxy: EnvoyProxy, *, fqdn: str | None = None, port: int | None = None, subset: str | None = None,
                 direction: str | None = None, prefix: str = "") -> tuple[list[dict[str, Any]], list[list[str]],
                                                                          list[Any]]:
    """Row fields, printed cells and the matching resources; ``prefix`` adds ``pc all``'s NAME column."""
    require_section(proxy, "clusters", "all" if prefix else "cluster")
    rows: list[dict[str, Any]] = []
    cells: list[list[str]] = []
    picked: list[Any] = []
    filtered = bool(fqdn or port or subset or direction)
    for res, parsed in sorted_clusters(proxy):
        name = res.name
        if filtered and not matches(name, fqdn, port, subset, direction):
            continue
        shown_fqdn, shown_port, shown_subset, shown_direction = parsed.istioctl_columns(prefix)
        raw = res.raw
        ctype = cluster_type(raw)
        rule = describe_management(raw["metadata"]) if "metadata" in raw else ""
        split = shown_port != "-"  # istioctl split the name into its parts
        rows.append({"fqdn": shown_fqdn if split else name, "port": int(shown_port) if split else None,
                     "subset": shown_subset if shown_subset != "-" else None,
                     "direction": shown_direction if split else None, "type": ctype, "destination_rule": rule,
                     "name": name, "state": res.state})
        row = [shown_fqdn, shown_port, shown_subset, shown_direction, ctype, rule]
        cells.append([prefix + name, *row] if prefix else row)
        picked.append(res)
    return rows, cells, picked


def make_rows(fields: list[dict[str, Any]]) -> list[ClusterRow]:
    # Built without re-validation: every value is already of its field's type.
    """Typed cluster rows from their fields (no re-validation: the values already have their types)."""
    return [ClusterRow.model_construct(**f) for f in fields]


def cluster_view(proxy: EnvoyProxy, *, fqdn: str | None = None, port: int | None = None, subset: str | None = None,
                 direction: str | None = None) -> EnvoyTable:
    """istioctl ``proxy-config cluster``: the cluster summary, or the matching clusters for ``-o json``."""
    rows, cells, picked = cluster_rows(proxy, fqdn=fqdn, port=port, subset=subset, direction=direction)
    return EnvoyTable(view="cluster", headers=list(HEADERS), rows_factory=lambda: make_rows(rows), cells=cells,
                      padding=5,
                      raw_factory=lambda: [to_go(r.raw) for r in picked], json_indent=4)
