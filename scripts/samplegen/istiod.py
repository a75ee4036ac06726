"""istiod's ``/debug/config_dump?proxyID=`` form of the resources a proxy was sent.

Shape (istio ``pilot/pkg/xds/debug.go``, connectionConfigDump): an empty BootstrapConfigDump;
ClustersConfigDump with ``versionInfo`` and ``dynamicActiveClusters[{cluster}]``; EndpointsConfigDump
only with ``include_eds``; ListenersConfigDump ``dynamicListeners[{name, activeState{versionInfo,
listener}}]``; an empty ScopedRoutesConfigDump; RoutesConfigDump ``dynamicRouteConfigs[{versionInfo,
routeConfig}]``; SecretsConfigDump ``dynamicActiveSecrets[{versionInfo, secret}]`` with private keys
redacted; an empty EcdsConfigDump. istiod prints camelCase proto JSON.
"""

from __future__ import annotations

from typing import Any

from meshlens.models.casing import to_camel_tree

from .xds import XdsSet, redact_secret

ADMIN = "type.googleapis.com/envoy.admin.v3."


def config_dump(xds: XdsSet, include_eds: bool) -> dict[str, Any]:
    v = xds.version
    configs: list[dict[str, Any]] = [
        {"@type": ADMIN + "BootstrapConfigDump"},
        {"@type": ADMIN + "ClustersConfigDump", "version_info": v,
         "dynamic_active_clusters": [{"cluster": c} for c in xds.clusters]},
    ]
    if include_eds:
        configs.append({"@type": ADMIN + "EndpointsConfigDump",
                        "dynamic_endpoint_configs": [{"version_info": v, "endpoint_config": e}
                                                     for e in xds.endpoints.values()]})
    configs += [
        {"@type": ADMIN + "ListenersConfigDump", "version_info": v,
         "dynamic_listeners": [{"name": lst["name"], "active_state": {"version_info": v, "listener": lst}}
                               for lst in xds.listeners]},
        {"@type": ADMIN + "ScopedRoutesConfigDump"},
        {"@type": ADMIN + "RoutesConfigDump",
         "dynamic_route_configs": [{"version_info": v, "route_config": r} for r in xds.routes.values()]},
        {"@type": ADMIN + "SecretsConfigDump",
         "dynamic_active_secrets": [{"version_info": v, "secret": redact_secret(s)}
                                    for s in xds.secrets.values()]},
        {"@type": ADMIN + "EcdsConfigDump"},
    ]
    return to_camel_tree({"configs": configs})
