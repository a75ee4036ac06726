"""JSON reporter: ``Report.to_dict()`` (the ``interfaces.md`` document), 2-space indent."""

from __future__ import annotations

from meshlens.render.jsonout import dumps
from meshlens.results import Report


def render(report: Report) -> str:
    """The report as JSON: ``Report.to_dict()`` with a 2-space indent and a final newline."""
    return dumps(report.to_dict()) + "\n"
