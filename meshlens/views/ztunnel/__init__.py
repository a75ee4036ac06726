"""istioctl ztunnel-config views of ztunnels (declared in :mod:`meshlens.views.registry`).

``ztunnel.view("workload", workload_namespace="bookinfo")`` or, from a capture,
``ztunnel_config("dump.json", "workload", pod="productpage-v1-xxx.bookinfo")``; ``render(table,
"short"|"json"|"yaml")`` gives istioctl's output byte for byte.
"""

from __future__ import annotations

from meshlens.views.registry import ZTUNNEL as VIEWS
from meshlens.views.ztunnel.all import all_view
from meshlens.views.ztunnel.certificates import CertificateRow, certificate_view
from meshlens.views.ztunnel.command import render, select_ztunnel, ztunnel_config
from meshlens.views.ztunnel.connections import ConnectionRow, connections_view
from meshlens.views.ztunnel.policies import PolicyRow, policy_view
from meshlens.views.ztunnel.services import ServiceRow, service_view
from meshlens.views.ztunnel.workloads import WorkloadRow, workload_view

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
