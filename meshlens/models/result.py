"""The protocol every public result shares, and THE ``to_frame()`` helper.

Results (``Table``, ``Trace``, ``Drift``, ``Report``, ``Finding``, ``Summary``, ``IstioctlComparison``
and those later issues add) have ``to_dict()`` (JSON-safe), ``to_frame()`` (a pandas DataFrame; pandas
is the optional ``pandas`` extra), ``_repr_html_()`` (notebooks) and a readable ``str()``.

A new result subclasses :class:`Result` (a mixin with no state, usable beside pydantic models and
dataclasses), implements ``to_dict()`` and ``__str__``, and says what its rows are with
:meth:`Result.records` / :meth:`Result.columns` (by default one row: its ``to_dict()``). Every
``to_frame()`` goes through :func:`frame`, so pandas' absence is one error everywhere.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from meshlens.errors import MissingExtraError

PANDAS_HINT = "to_frame() needs pandas, the 'pandas' extra: pip install 'meshlens[pandas]'"


def require_pandas() -> Any:
    """The pandas module, or :class:`MissingExtraError` naming the ``pandas`` extra."""
    try:
        import pandas
    except ImportError as exc:
        raise MissingExtraError(PANDAS_HINT) from exc
    return pandas


def frame(records: Iterable[Mapping[str, Any]], columns: Sequence[str] | None = None) -> Any:
    """A pandas DataFrame of ``records`` (one dict per row); ``columns`` fixes their order (and the
    columns of an empty frame).

    Raises:
        MissingExtraError: pandas is not installed.
    """
    pd = require_pandas()
    rows = [dict(r) for r in records]
    if columns is None:
        return pd.DataFrame.from_records(rows) if rows else pd.DataFrame()
    return pd.DataFrame.from_records(rows, columns=list(columns))


class Result:
    """Mixin of the result protocol: ``to_dict()``, ``to_frame()``, ``_repr_html_()``, ``str()``.

    Subclasses implement :meth:`to_dict` and ``__str__``; override :meth:`records` and
    :meth:`columns` when the result is a list of rows (findings, changes, table rows).
    """

    __slots__ = ()

    def to_dict(self) -> Any:
        """The result as JSON-safe data."""
        raise NotImplementedError

    def records(self) -> list[dict[str, Any]]:
        """The rows of :meth:`to_frame` (default: one row, the ``to_dict()`` document)."""
        data = self.to_dict()
        if isinstance(data, list):
            return [dict(d) for d in data]
        return [dict(data)]

    def columns(self) -> Sequence[str] | None:
        """The column order of :meth:`to_frame` (None: the records' keys)."""
        return None

    def to_frame(self) -> Any:
        """The result as a pandas DataFrame (needs the ``pandas`` extra: ``pip install 'meshlens[pandas]'``)."""
        return frame(self.records(), self.columns())

    def _repr_html_(self) -> str:
        """Notebook display: the readable text, preformatted."""
        return f"<pre>{html.escape(str(self))}</pre>"


__all__ = ["PANDAS_HINT", "Result", "frame", "require_pandas"]
