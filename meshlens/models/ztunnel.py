"""ztunnel /config_dump records (STUB: replaced by the ztunnel work)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from meshlens.models.base import Location


@dataclass
class Ztunnel:
    """One ztunnel's captured state, whichever dump shape it came from."""

    location: Location
    raw: dict[str, Any]
    shape: str = "list"
    workloads: list[Any] = field(default_factory=list)
    services: list[Any] = field(default_factory=list)
    policies: list[Any] = field(default_factory=list)
    certificates: list[Any] = field(default_factory=list)
    workload_state: list[Any] = field(default_factory=list)
    staged_services: list[Any] = field(default_factory=list)
    name: str = ""
