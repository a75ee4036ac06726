"""Envoy bootstrap and node identity (with Istio's node metadata)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from meshlens.models.base import MeshModel
from meshlens.models.envoy.core import Locality


class SemanticVersion(MeshModel):
    """Envoy's ``type.v3.SemanticVersion`` (major, minor, patch)."""

    major_number: int = 0
    minor_number: int = 0
    patch: int = 0

    def __str__(self) -> str:
        return f"{self.major_number}.{self.minor_number}.{self.patch}"


class BuildVersion(MeshModel):
    """Envoy's ``config.core.v3.BuildVersion``: version and build metadata."""

    version: SemanticVersion | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class Node(MeshModel):
    """Envoy's ``config.core.v3.Node``: the proxy's id, cluster, metadata and build (Istio's node id)."""

    id: str = ""
    cluster: str = ""
    metadata: dict[str, Any] = Field(default_factory=dict)
    locality: Locality | None = None
    user_agent_name: str | None = None
    user_agent_version: str | None = None
    user_agent_build_version: BuildVersion | None = None
    extensions: list[dict[str, Any]] = Field(default_factory=list)
    client_features: list[str] = Field(default_factory=list)

    @property
    def istio_version(self) -> str | None:
        value = self.metadata.get("ISTIO_VERSION")
        return str(value) if value else None

    @property
    def cluster_id(self) -> str | None:
        value = self.metadata.get("CLUSTER_ID")
        return str(value) if value else None

    @property
    def labels(self) -> dict[str, str]:
        labels = self.metadata.get("LABELS")
        return dict(labels) if isinstance(labels, dict) else {}

    @property
    def envoy_version(self) -> str | None:
        """Envoy's version as ``1.40.0``, with the build label when there is one."""
        build = self.user_agent_build_version
        if build is None or build.version is None:
            return self.user_agent_version
        version = str(build.version)
        label = build.metadata.get("build.label")
        return f"{version}-{label}" if label else version

    @property
    def proxy_sha(self) -> str | None:
        value = self.metadata.get("ISTIO_PROXY_SHA")
        return str(value) if value else None


class Bootstrap(MeshModel):
    """Envoy's ``config.bootstrap.v3.Bootstrap`` (the fields meshlens reads; the rest stays in ``raw``)."""

    node: Node | None = None
    static_resources: dict[str, Any] = Field(default_factory=dict)
    dynamic_resources: dict[str, Any] = Field(default_factory=dict)
    admin: dict[str, Any] | None = None
    cluster_manager: dict[str, Any] | None = None
    stats_config: dict[str, Any] | None = None
    layered_runtime: dict[str, Any] | None = None
    tracing: dict[str, Any] | None = None

    @property
    def ads_api_type(self) -> str | None:
        ads = self.dynamic_resources.get("ads_config") or {}
        return ads.get("api_type")
