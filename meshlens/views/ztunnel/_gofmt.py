"""What istioctl's ``-o json`` / ``-o yaml`` print for ztunnel-config, and what ztunnel itself serves.

* :func:`go_json` = Go ``json.MarshalIndent(v, "", indent)`` (:mod:`meshlens.encoding.gojson`):
  HTML-safe strings, dicts in their order; Go maps must be built with :func:`go_map` (sorted keys).
* :func:`go_yaml` = ``yaml.JSONToYAML`` of that JSON (:mod:`meshlens.encoding.goyaml`).
* :func:`serde_pretty` = ztunnel's ``serde_json::to_string_pretty`` (2-space indent, no HTML
  escaping): the ``/config_dump`` text that ``ztunnel-config all -o json`` echoes.
"""

from __future__ import annotations

import json
from typing import Any

from meshlens.encoding.gojson import marshal_indent
from meshlens.encoding.goyaml import go_yaml


def go_map(mapping: dict[str, Any]) -> dict[str, Any]:
    """A Go map as ``encoding/json`` writes it: keys sorted by their (string) bytes."""
    return {k: mapping[k] for k in sorted(mapping, key=lambda k: str(k).encode("utf-8", "surrogatepass"))}


def go_json(value: Any, indent: int = 4) -> str:
    """``json.MarshalIndent(value, "", " " * indent)`` (no trailing newline)."""
    return marshal_indent(value, " " * indent)


def serde_pretty(value: Any) -> str:
    """``serde_json::to_string_pretty(value)``: what ztunnel's ``/config_dump`` returns."""
    return json.dumps(value, indent=2, ensure_ascii=False, separators=(",", ": "), default=str)


__all__ = ["go_json", "go_map", "go_yaml", "serde_pretty"]
