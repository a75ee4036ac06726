"""``pc all``: bootstrap, cluster, listener, route, secret and endpoint summaries in one output.

Each table gets a NAME column (``cluster/<name>``, ``listener/<name>``, ...), as in istioctl.
Sections are separated by a blank line; ``with_headers`` puts ``------ CLUSTER INFO ------`` and a
blank line before each. A missing bootstrap, cluster, listener, route or secret section is an error
(as in istioctl); a missing endpoint section leaves an empty ENDPOINTS table and a note.
``-o json``/``-o yaml`` print the capture itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from meshlens.views.base import Table
from meshlens.views.envoy._common import EnvoyTable, require_section
from meshlens.views.envoy.bootstrap import version_summary, version_text
from meshlens.views.envoy.cluster import HEADERS as CLUSTER_HEADERS
from meshlens.views.envoy.cluster import cluster_rows, make_rows
from meshlens.views.envoy.endpoint import EDS_HEADERS, eds_rows
from meshlens.views.envoy.listener import listener_rows
from meshlens.views.envoy.route import route_rows
from meshlens.views.envoy.secret import NO_SECRETS, secret_rows

if TYPE_CHECKING:
    from meshlens.models.snapshot import EnvoyProxy

_TITLES = ("BOOTSTRAP", "CLUSTER", "LISTENER", "ROUTE", "SECRET", "ENDPOINTS")


def all_view(proxy: EnvoyProxy, *, fqdn: str | None = None, direction: str | None = None, subset: str | None = None,
             port: int | None = None, address: str | None = None, type: str | None = None,
             name: str | None = None, verbose: bool = True, with_headers: bool = False,
             now: datetime | str | None = None) -> EnvoyTable:
    """istioctl ``proxy-config all`` (the filters apply to the tables they belong to, as in istioctl)."""
    require_section(proxy, "bootstrap", "all")
    sections: list[Table] = []
    summary = version_summary(proxy)
    sections.append(EnvoyTable(view="bootstrap", headers=[], rows=[summary], text_override=version_text(summary)))

    rows, cells, _ = cluster_rows(proxy, fqdn=fqdn, port=port, subset=subset, direction=direction,
                                  prefix="cluster/")
    sections.append(EnvoyTable(view="cluster", headers=["NAME", *CLUSTER_HEADERS], rows=list(make_rows(rows)),
                               cells=cells, padding=5))

    headers, lrows, lcells, _ = listener_rows(proxy, address=address, port=port, type=type, verbose=verbose,
                                              prefix="listener/")
    sections.append(EnvoyTable(view="listener", headers=headers, rows=list(lrows), cells=lcells, padding=1))

    headers, rrows, rcells, _ = route_rows(proxy, name=name, verbose=verbose, prefix="route/")
    sections.append(EnvoyTable(view="route", headers=headers, rows=list(rrows), cells=rcells, padding=5))

    srows, scells, sheaders, notes = secret_rows(proxy, now, prefix="secret/")
    sections.append(EnvoyTable(view="secret", headers=sheaders, rows=list(srows), cells=scells, padding=5,
                               empty_message=NO_SECRETS, notes=notes))

    erows, ecells, _, enotes = eds_rows(proxy, address=address, port=port, prefix="endpoint/")
    sections.append(EnvoyTable(view="eds", headers=list(EDS_HEADERS), rows=list(erows), cells=ecells, padding=5,
                               notes=enotes))

    parts = []
    for i, (title, table) in enumerate(zip(_TITLES, sections, strict=True)):
        if i:
            parts.append("\n")
        if with_headers:
            parts.append(f"------ {title} INFO ------\n\n")
        parts.append(table.text())
    all_rows = [row for table in sections for row in table.rows]
    return EnvoyTable(view="all", headers=[], rows=all_rows, sections=sections, text_override="".join(parts),
                      notes=[n for table in sections for n in table.notes], json_style="dump",
                      raw=proxy.config_dump_raw)

