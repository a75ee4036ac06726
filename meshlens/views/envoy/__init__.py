"""istioctl proxy-configenvoy views (registered in VIEWS)."""

from __future__ import annotations

from meshlens.views.base import ViewSpec

VIEWS: tuple[ViewSpec, ...] = ()
