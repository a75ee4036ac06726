"""Envoy admin captures other than /config_dump (STUB: replaced by the admin work)."""

from __future__ import annotations

from types import ModuleType

LOADERS: tuple[ModuleType, ...] = ()
