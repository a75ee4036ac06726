"""Reporters: pure functions ``render(report) -> str`` for text, JSON, SARIF 2.1.0 and JUnit XML.

They format what the :class:`~meshlens.results.Report` holds and compute nothing of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from meshlens.errors import UsageError
from meshlens.reporters import json, junit, sarif, text
from meshlens.results import Report

REPORTERS: dict[str, Callable[..., str]] = {
    "text": text.render,
    "json": json.render,
    "sarif": sarif.render,
    "junit": junit.render,
}

__all__ = ["REPORTERS", "render"]


def render(report: Report, fmt: str = "text", **options: Any) -> str:
    """``report`` in format ``fmt`` (``text`` takes ``color=True`` and ``verbose=True``).

    Raises:
        UsageError: unknown format.
    """
    try:
        reporter = REPORTERS[fmt]
    except KeyError:
        raise UsageError(f"unknown format {fmt!r}: one of {', '.join(REPORTERS)}") from None
    return reporter(report, **options) if fmt == "text" else reporter(report)
