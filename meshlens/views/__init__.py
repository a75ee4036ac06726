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
    from meshlens.sources.coerce import Source
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


def _named(registry: dict[str, ViewSpec], name: str) -> bool:
    return any(name == spec.name or name in spec.aliases for spec in registry.values())


def view(source: Source, name: str, /, *, proxy: str | None = None, ztunnel: str | None = None,
         **filters: Any) -> Table:
    """An istioctl-style view of ``source``: ``proxy-config`` views of an Envoy, ``ztunnel-config`` of a ztunnel.

    Args:
        source: a path, bytes, a parsed dict, ``"-"``, a list of one proxy's files, or a loaded
            ``Snapshot``, ``EnvoyProxy`` or ``Ztunnel``.
        name: the view (``"cluster"``, ``"listener"``, ``"workload"`` ... or one of istioctl's aliases).
            A name both families have (``"all"``) is the Envoy view unless ``source`` is (or holds only)
            ztunnels, or ``ztunnel=`` is given.
        proxy: which Envoy of a multi-proxy capture (node id, ``pod.namespace`` or pod name).
        ztunnel: which ztunnel of a capture with several.
        **filters: the view's istioctl filters (``fqdn=``, ``port=`` ...).

    Raises:
        UsageError: unknown view or filter; no such proxy or ztunnel.
    """
    from meshlens.models.snapshot import EnvoyProxy
    from meshlens.sources.coerce import as_proxy, as_snapshot, as_ztunnel, is_ztunnel

    in_envoy, in_ztunnel = _named(ENVOY_VIEWS, name), _named(ZTUNNEL_VIEWS, name)
    if isinstance(source, EnvoyProxy) or (in_envoy and not in_ztunnel) or (in_envoy and proxy is not None):
        return envoy_view(as_proxy(source, proxy), name, **filters)
    if is_ztunnel(source) or (in_ztunnel and not in_envoy) or (in_ztunnel and ztunnel is not None):
        return ztunnel_view(as_ztunnel(source, ztunnel), name, **filters)
    if not in_envoy:  # neither family knows it: the Envoy registry's error lists the choices
        return envoy_view(as_proxy(source, proxy), name, **filters)
    snapshot = as_snapshot(source)
    if snapshot.ztunnels and not snapshot.proxies:
        return ztunnel_view(snapshot.ztunnel(ztunnel), name, **filters)
    return envoy_view(snapshot.proxy(proxy), name, **filters)


def __getattr__(name: str) -> Any:
    if name == "Table":
        from meshlens.views.base import Table

        return Table
    raise AttributeError(f"module 'meshlens.views' has no attribute {name!r}")


__all__ = ["ENVOY_VIEWS", "ZTUNNEL_VIEWS", "Filter", "Table", "ViewSpec", "envoy_view", "view", "ztunnel_view"]
