"""istioctl-compatible views of loaded proxies: ``proxy.view("cluster", fqdn="reviews")``.

Every view is declared once in :mod:`meshlens.views.registry` (name, aliases, filters, help);
:data:`ENVOY_VIEWS` and :data:`ZTUNNEL_VIEWS` map names to those declarations. Importing this package
is cheap: a view's module is imported when the view is first built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from meshlens.views.registry import ENVOY, ZTUNNEL
from meshlens.views.spec import Filter, ViewSpec

if TYPE_CHECKING:
    from meshlens.models.snapshot import EnvoyProxy
    from meshlens.models.ztunnel import Ztunnel
    from meshlens.views.base import Table

# name -> spec, in the registry's order.
ENVOY_VIEWS: dict[str, ViewSpec] = {spec.name: spec for spec in ENVOY}
ZTUNNEL_VIEWS: dict[str, ViewSpec] = {spec.name: spec for spec in ZTUNNEL}


def envoy_view(proxy: EnvoyProxy, name: str, /, **filters: Any) -> Table:
    """An istioctl ``proxy-config`` view of an Envoy proxy."""
    from meshlens.views.base import call_view, resolve_view

    return call_view(resolve_view(ENVOY_VIEWS, name, "proxy-config"), proxy, filters)


def ztunnel_view(ztunnel: Ztunnel, name: str, /, **filters: Any) -> Table:
    """An istioctl ``ztunnel-config`` view of a ztunnel."""
    from meshlens.views.base import call_view, resolve_view

    return call_view(resolve_view(ZTUNNEL_VIEWS, name, "ztunnel-config"), ztunnel, filters)


def __getattr__(name: str) -> Any:
    if name == "Table":
        from meshlens.views.base import Table

        return Table
    raise AttributeError(f"module 'meshlens.views' has no attribute {name!r}")


__all__ = ["ENVOY_VIEWS", "ZTUNNEL_VIEWS", "Filter", "Table", "ViewSpec", "envoy_view", "ztunnel_view"]
