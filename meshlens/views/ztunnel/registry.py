"""The ztunnel-config views, with istioctl's names, aliases and filters (the one list of them).

Kept apart from the package's ``__init__`` so that :mod:`.command`, which resolves a view name, can
import it without importing the package that imports the command.
"""

from __future__ import annotations

from meshlens.views.base import ViewSpec
from meshlens.views.ztunnel.all import all_view
from meshlens.views.ztunnel.certificates import certificate_view
from meshlens.views.ztunnel.connections import connections_view
from meshlens.views.ztunnel.policies import policy_view
from meshlens.views.ztunnel.services import service_view
from meshlens.views.ztunnel.workloads import workload_view

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

__all__ = ["VIEWS"]
