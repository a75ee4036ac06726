"""JSON output: orjson, 2-space indent, keys in insertion order, trailing newline handled by echo."""

from __future__ import annotations

from typing import Any

import orjson


def dumps(value: Any, *, indent: bool = True) -> str:
    """``value`` as meshlens' JSON text (orjson; 2-space indent unless ``indent=False``)."""
    option = orjson.OPT_INDENT_2 if indent else 0
    return orjson.dumps(value, option=option | orjson.OPT_NON_STR_KEYS, default=_default).decode()


def _default(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")
