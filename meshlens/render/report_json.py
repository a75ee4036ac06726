"""JSON reporter: ``Report.to_dict()`` (the ``interfaces.md`` document), 2-space indent."""

from __future__ import annotations

from meshlens.render.jsonout import dumps
from meshlens.results import Report


def render(report: Report) -> str:
    return dumps(report.to_dict()) + "\n"
