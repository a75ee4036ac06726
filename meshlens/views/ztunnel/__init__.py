"""istioctl ztunnel-config views of ztunnels (listed in VIEWS).

``ztunnel.view("workload", workload_namespace="bookinfo")`` or, from a capture,
``ztunnel_config("dump.json", "workload", pod="productpage-v1-xxx.bookinfo")``; ``render(table,
"short"|"json"|"yaml")`` gives istioctl's output byte for byte.
"""

from __future__ import annotations

from meshlens.views.base import ViewSpec
from meshlens.views.ztunnel.all import all_view
from meshlens.views.ztunnel.certificates import CertificateRow, certificate_view
from meshlens.views.ztunnel.command import render, select_ztunnel, ztunnel_config
from meshlens.views.ztunnel.connections import ConnectionRow, connections_view
from meshlens.views.ztunnel.policies import PolicyRow, policy_view
from meshlens.views.ztunnel.services import ServiceRow, service_view
from meshlens.views.ztunnel.workloads import WorkloadRow, workload_view

VIEWS: tuple[ViewSpec, ...] = (
    ViewSpec("workload", workload_view, aliases=("w", "workloads"),
             filters=("address", "workload_namespace", "workload_node", "pod")),
    ViewSpec("service", service_view, aliases=("services", "s", "svc"), filters=("service_namespace",)),
    ViewSpec("policy", policy_view, aliases=("policies", "p", "pol"), filters=("policy_namespace",)),
    ViewSpec("certificate", certificate_view, aliases=("certificates", "certs", "cert"), filters=("now",)),
    ViewSpec("connections", connections_view, aliases=("cons",),
             filters=("direction", "raw", "workload_namespace", "pod")),
    ViewSpec("all", all_view, filters=("with_headers", "now")),
)

__all__ = [
    "VIEWS",
    "CertificateRow",
    "ConnectionRow",
    "PolicyRow",
    "ServiceRow",
    "WorkloadRow",
    "all_view",
    "certificate_view",
    "connections_view",
    "policy_view",
    "render",
    "select_ztunnel",
    "service_view",
    "workload_view",
    "ztunnel_config",
]
