"""istioctl proxy-config views of Envoy proxies (listed in VIEWS)."""

from __future__ import annotations

from meshlens.views.base import ViewSpec

VIEWS: tuple[ViewSpec, ...] = ()
