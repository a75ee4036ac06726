"""istioctl-compatible views of loaded proxies: ``proxy.view("cluster", fqdn="reviews")``.

Registries map view names (and istioctl's aliases) to view functions; each view module registers
its views here explicitly.
"""

from __future__ import annotations

from typing import Any

from meshlens.views.base import Table, ViewSpec, call_view, resolve_view

# name -> spec; filled by the view modules listed below (explicit, in one place).
ENVOY_VIEWS: dict[str, ViewSpec] = {}
ZTUNNEL_VIEWS: dict[str, ViewSpec] = {}


def envoy_view(proxy: Any, name: str, **filters: Any) -> Table:
    """An istioctl ``proxy-config`` view of an Envoy proxy."""
    return call_view(resolve_view(ENVOY_VIEWS, name, "proxy-config"), proxy, filters)


def ztunnel_view(ztunnel: Any, name: str, **filters: Any) -> Table:
    """An istioctl ``ztunnel-config`` view of a ztunnel."""
    return call_view(resolve_view(ZTUNNEL_VIEWS, name, "ztunnel-config"), ztunnel, filters)


__all__ = ["ENVOY_VIEWS", "ZTUNNEL_VIEWS", "Table", "ViewSpec", "envoy_view", "ztunnel_view"]
