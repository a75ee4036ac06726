"""``istioctl ztunnel-config all``: the workload, service, policy, certificate and connection tables."""

from __future__ import annotations

from datetime import datetime

from meshlens.models.ztunnel import Ztunnel
from meshlens.views.base import Table
from meshlens.views.ztunnel.certificates import certificate_view
from meshlens.views.ztunnel.connections import connections_view
from meshlens.views.ztunnel.policies import policy_view
from meshlens.views.ztunnel.services import service_view
from meshlens.views.ztunnel.workloads import workload_view

SECTION_TITLES = ("WORKLOAD INFO", "SERVICE INFO", "POLICY INFO", "SECRET INFO", "CONNECTIONS INFO")


def all_view(z: Ztunnel, *, with_headers: bool = False, now: datetime | str | None = None) -> Table:
    """``istioctl ztunnel-config all``: each table after a blank line (and, ``with_headers``, a
    ``------ <SECTION> INFO ------`` title and another blank line); no filters apply.

    ``-o json``/``-o yaml`` print the whole dump (``raw``) as ztunnel served it.
    """
    sections = [workload_view(z), service_view(z), policy_view(z), certificate_view(z, now=now),
                connections_view(z)]
    parts: list[str] = []
    for title, section in zip(SECTION_TITLES, sections, strict=True):
        parts.append("\n")
        if with_headers:
            parts.append(f"------ {title} ------\n\n")
        parts.append(section.text())
    # The rows of the five tables differ in kind: they stay in ``sections``.
    table = Table(view="all", headers=[], sections=sections, text_override="".join(parts),
                  raw=z.raw, json_indent=2)
    for section in sections:
        table.notes.extend(section.notes)
    return table


__all__ = ["SECTION_TITLES", "all_view"]
