"""A Drift's readable text (its ``str()``): verdict per xDS type, then drifted resources grouped by type.

It lives beside the result rather than in :mod:`meshlens.render` so that the result needs nothing above
its layer; it reads the Drift only through attributes (the type is imported for the checker alone).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from meshlens.analysis.drift_model import Drift, ResourceDrift

MAX_VALUE = 100


def _short(value: Any) -> str:
    if value is None:
        return "-"
    text = value if isinstance(value, str) else orjson.dumps(value).decode()
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _changes(r: ResourceDrift) -> list[str]:
    lines = []
    for c in r.changes:
        if c.kind == "reordered":
            lines.append(f"            reordered {c.path}: {_short(c.intended)} -> {_short(c.loaded)}")
        elif c.kind == "added":
            lines.append(f"            + {c.path} = {_short(c.loaded)}")
        elif c.kind == "removed":
            lines.append(f"            - {c.path} (was {_short(c.intended)})")
        else:
            lines.append(f"            ~ {c.path}: {_short(c.intended)} -> {_short(c.loaded)}")
    return lines


def render_drift(d: Drift) -> str:
    """The Drift as text: verdict per xDS type, refused resources, then changes grouped by type."""
    lines = ["  ".join(f"{t} {v}" for t, v in d.summary.items())]
    for t, why in d.notes.items():
        lines.append(f"  {t} not compared: {why}")
    refused = [r for r in d.resources if r.status in ("rejected", "missing", "warming")]
    if refused:
        lines.append("missing from, rejected or not yet active on the loaded side:")
        for r in refused:
            lines.append(f"  {r.type:<4} {r.status:<9} {r.name}"
                         + (f" (renamed to {r.counterpart}?)" if r.counterpart else ""))
            if r.details:
                lines.append(f"            envoy: {r.details}")
            lines.extend(_changes(r))
    changed = [r for r in d.resources if r.status in ("changed", "added")]
    for xds in dict.fromkeys(r.type for r in changed):
        lines.append(f"{xds}:")
        for r in changed:
            if r.type == xds:
                renamed = f" (renamed from {r.counterpart}?)" if r.counterpart else ""
                lines.append(f"  {r.status:<9} {r.name}{renamed}")
                lines.extend(_changes(r))
    if d.runtime_health:
        lines.append("runtime endpoint health (not drift: the dump shows Envoy's effective health):")
        for r in d.runtime_health:
            for c in r.changes:
                lines.append(f"  {r.name} {c.path}: {c.intended} -> {c.loaded}")
    if not d.resources:
        lines.append("no drift")
    return "\n".join(lines) + "\n"
