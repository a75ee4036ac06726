"""istiod status records (STUB: replaced by the admin/istiod work)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class IstiodState:
    """What a capture holds of the control plane: proxy sync status rows (syncz)."""

    sync: list[Any] = field(default_factory=list)
