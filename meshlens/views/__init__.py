"""istioctl-compatible views of loaded proxies: ``proxy.view("cluster", fqdn="reviews")``.

Registries map view names (and istioctl's aliases) to view functions; ``views/envoy/`` and
``views/ztunnel/`` list theirs explicitly in their ``VIEWS`` tuples.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from meshlens.views import envoy as _envoy
from meshlens.views import ztunnel as _ztunnel
from meshlens.views.base import Table, ViewSpec, call_view, resolve_view

if TYPE_CHECKING:
    from meshlens.models.snapshot import EnvoyProxy
    from meshlens.models.ztunnel import Ztunnel

# name -> spec; each family package lists its views in its VIEWS tuple.
ENVOY_VIEWS: dict[str, ViewSpec] = {spec.name: spec for spec in _envoy.VIEWS}
ZTUNNEL_VIEWS: dict[str, ViewSpec] = {spec.name: spec for spec in _ztunnel.VIEWS}


def envoy_view(proxy: EnvoyProxy, name: str, /, **filters: Any) -> Table:
    """An istioctl ``proxy-config`` view of an Envoy proxy."""
    return call_view(resolve_view(ENVOY_VIEWS, name, "proxy-config"), proxy, filters)


def ztunnel_view(ztunnel: Ztunnel, name: str, /, **filters: Any) -> Table:
    """An istioctl ``ztunnel-config`` view of a ztunnel."""
    return call_view(resolve_view(ZTUNNEL_VIEWS, name, "ztunnel-config"), ztunnel, filters)


__all__ = ["ENVOY_VIEWS", "ZTUNNEL_VIEWS", "Table", "ViewSpec", "envoy_view", "ztunnel_view"]
