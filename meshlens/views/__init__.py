"""istioctl-compatible views of loaded proxies: ``proxy.view("cluster", fqdn="reviews")``.

Registries map view names (and istioctl's aliases) to view functions; ``views/envoy/`` and
``views/ztunnel/`` list theirs explicitly in their ``VIEWS`` tuples. Each family is imported when
first asked for (PEP 562), so an Envoy view never imports the ztunnel models and vice versa.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from meshlens.views.base import Table, ViewSpec, call_view, resolve_view

if TYPE_CHECKING:
    ENVOY_VIEWS: dict[str, ViewSpec]
    ZTUNNEL_VIEWS: dict[str, ViewSpec]

_FAMILIES = {"ENVOY_VIEWS": "meshlens.views.envoy", "ZTUNNEL_VIEWS": "meshlens.views.ztunnel"}


def __getattr__(name: str) -> Any:
    module = _FAMILIES.get(name)
    if module is None:
        raise AttributeError(f"module 'meshlens.views' has no attribute {name!r}")
    # name -> spec; each family package lists its views in its VIEWS tuple.
    registry = {spec.name: spec for spec in import_module(module).VIEWS}
    globals()[name] = registry
    return registry


def _registry(name: str) -> dict[str, ViewSpec]:
    registry = globals().get(name)
    return registry if registry is not None else __getattr__(name)


def envoy_view(proxy: Any, name: str, /, **filters: Any) -> Table:
    """An istioctl ``proxy-config`` view of an Envoy proxy."""
    return call_view(resolve_view(_registry("ENVOY_VIEWS"), name, "proxy-config"), proxy, filters)


def ztunnel_view(ztunnel: Any, name: str, /, **filters: Any) -> Table:
    """An istioctl ``ztunnel-config`` view of a ztunnel."""
    return call_view(resolve_view(_registry("ZTUNNEL_VIEWS"), name, "ztunnel-config"), ztunnel, filters)


__all__ = ["ENVOY_VIEWS", "ZTUNNEL_VIEWS", "Table", "ViewSpec", "envoy_view", "ztunnel_view"]
