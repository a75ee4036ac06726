"""The seam through which upper layers give models their conveniences, without models importing them.

Users hold models and expect ``proxy.view("cluster")``, ``proxy.graph()`` and ``ztunnel.view("workload")``.
Tables (:mod:`meshlens.views`) and the request graph are built *on* the models, so a model may not
import them (imports point down the layers, with no cycle). Instead those methods call the providers
registered here, and the package root (``meshlens/__init__.py``, which Python always runs before any
``meshlens.*`` module) registers the real ones with :func:`provide`. Nothing else registers; a test or
an embedding application may swap a provider the same way.

Only the *types* of what the providers return are named here, for the type checker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from meshlens.errors import MeshlensError

if TYPE_CHECKING:
    from meshlens.index.graph import MeshGraph
    from meshlens.models.snapshot import EnvoyProxy
    from meshlens.models.ztunnel import Ztunnel
    from meshlens.views.base import Table


@dataclass
class _Providers:
    envoy_view: Callable[..., Table] | None = None
    ztunnel_view: Callable[..., Table] | None = None
    graph: Callable[[EnvoyProxy], MeshGraph] | None = None
    render: Callable[..., str] | None = None


_PROVIDERS = _Providers()


def provide(*, envoy_view: Callable[..., Table] | None = None, ztunnel_view: Callable[..., Table] | None = None,
            graph: Callable[[EnvoyProxy], MeshGraph] | None = None, render: Callable[..., str] | None = None) -> None:
    """Register the functions behind ``EnvoyProxy.view``, ``Ztunnel.view`` and ``EnvoyProxy.graph``.

    Args:
        envoy_view: ``(proxy, name, /, **filters) -> Table``, an istioctl ``proxy-config`` view.
        ztunnel_view: ``(ztunnel, name, /, **filters) -> Table``, an istioctl ``ztunnel-config`` view.
        graph: ``(proxy) -> MeshGraph``, the proxy's request graph.
        render: ``(result, fmt, **options) -> str``, a result in a renderer's format (``Report.to_sarif()``,
            ``Summary.__str__``): renderers sit above the results.

    Arguments left ``None`` keep the provider already registered.
    """
    if envoy_view is not None:
        _PROVIDERS.envoy_view = envoy_view
    if ztunnel_view is not None:
        _PROVIDERS.ztunnel_view = ztunnel_view
    if graph is not None:
        _PROVIDERS.graph = graph
    if render is not None:
        _PROVIDERS.render = render


def _missing(what: str) -> MeshlensError:
    return MeshlensError(f"no provider for {what} is registered (meshlens/__init__.py registers it on import)")


def envoy_view(proxy: EnvoyProxy, name: str, /, **filters: Any) -> Table:
    """The registered ``proxy-config`` view ``name`` of ``proxy``."""
    if _PROVIDERS.envoy_view is None:
        raise _missing("EnvoyProxy.view")
    return _PROVIDERS.envoy_view(proxy, name, **filters)


def ztunnel_view(ztunnel: Ztunnel, name: str, /, **filters: Any) -> Table:
    """The registered ``ztunnel-config`` view ``name`` of ``ztunnel``."""
    if _PROVIDERS.ztunnel_view is None:
        raise _missing("Ztunnel.view")
    return _PROVIDERS.ztunnel_view(ztunnel, name, **filters)


def graph(proxy: EnvoyProxy) -> MeshGraph:
    """The registered request graph of ``proxy``."""
    if _PROVIDERS.graph is None:
        raise _missing("EnvoyProxy.graph")
    return _PROVIDERS.graph(proxy)


def render(result: Any, fmt: str, /, **options: Any) -> str:
    """``result`` rendered as ``fmt`` by the registered renderer."""
    if _PROVIDERS.render is None:
        raise _missing("rendering results")
    return _PROVIDERS.render(result, fmt, **options)


__all__ = ["envoy_view", "graph", "provide", "render", "ztunnel_view"]
