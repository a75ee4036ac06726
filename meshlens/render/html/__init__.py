"""One self-contained HTML report of a capture (``meshlens report``, ``meshlens.report``)."""

from meshlens.render.html.page import HtmlReport, report

__all__ = ["HtmlReport", "report"]
