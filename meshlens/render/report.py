"""Report renderers by format: ``render(report, fmt)`` for text, JSON, SARIF 2.1.0 and JUnit XML.

They format what the :class:`~meshlens.results.Report` holds and compute nothing of their own; the
text format is the report's own readable text (:func:`meshlens.results.report_text`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from meshlens.errors import UsageError
from meshlens.models.redaction import redact_text
from meshlens.render import junit, report_json, sarif
from meshlens.results import Report, report_text

REPORTERS: dict[str, Callable[..., str]] = {
    "text": report_text,
    "json": report_json.render,
    "sarif": sarif.render,
    "junit": junit.render,
}

__all__ = ["REPORTERS", "render"]


def render(report: Report, fmt: str = "text", **options: Any) -> str:
    """``report`` in format ``fmt`` (``text`` takes ``color=True`` and ``verbose=True``; ``junit`` takes
    ``fail_on=``, the severity at which a finding fails its test case).

    Raises:
        UsageError: unknown format.
    """
    try:
        reporter = REPORTERS[fmt]
    except KeyError:
        raise UsageError(f"unknown format {fmt!r}: one of {', '.join(REPORTERS)}") from None
    fail_on = options.pop("fail_on", "error")
    if fmt == "text":
        text = reporter(report, **options)
    elif fmt == "junit":
        text = reporter(report, fail_on=fail_on)
    else:
        text = reporter(report)
    return redact_text(text)  # the last net: findings are redacted where they are made
