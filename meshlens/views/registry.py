"""THE declaration of every view: name, istioctl's aliases, filters (istioctl's flags), help.

``proxy.view(name, **filters)`` / ``ztunnel.view(...)`` resolve names here; ``meshlens pc`` and
``meshlens zc`` build their sub-commands (names, aliases, options, help) from these tuples; a test
checks README's command list against them. Adding a view is one entry here plus its module.
"""

from __future__ import annotations

from meshlens.views.spec import Filter, ViewSpec

NOW = Filter("now", str, "judge certificate validity at this time (default: capture time, else now)",
             metavar="RFC3339", envvar="MESHLENS_NOW")
_E = "meshlens.views.envoy."
_Z = "meshlens.views.ztunnel."

_ENDPOINT_FILTERS = (
    Filter("address", str, "filter endpoints by address"),
    Filter("port", int, "filter endpoints by port"),
    Filter("cluster", str, "filter endpoints by cluster name"),
    Filter("status", str, "filter endpoints by status (e.g. healthy)"),
)

# istioctl proxy-config, in istioctl's order.
ENVOY: tuple[ViewSpec, ...] = (
    ViewSpec("cluster", _E + "cluster:cluster_view", ("clusters", "c"), (
        Filter("fqdn", str, "filter clusters by substring of the service FQDN"),
        Filter("port", int, "filter clusters by port"),
        Filter("subset", str, "filter clusters by substring of the subset"),
        Filter("direction", str, "filter clusters by direction"),
    ), help="Clusters (istioctl pc cluster)."),
    ViewSpec("listener", _E + "listener:listener_view", ("listeners", "l"), (
        Filter("address", str, "filter listeners by address"),
        Filter("port", int, "filter listeners by port"),
        Filter("type", str, "filter listeners by type (HTTP, TCP, HTTP+TCP, UNKNOWN)"),
        Filter("verbose", bool, "show MATCH and DESTINATION per filter chain", default=True),
        Filter("waypoint", bool, "the waypoint form of the table", default=False, hidden=True),
    ), help="Listeners, one row per filter chain (istioctl pc listener)."),
    ViewSpec("route", _E + "route:route_view", ("routes", "r"), (
        Filter("name", str, "filter route configurations by name (exact)"),
        Filter("verbose", bool, "one row per route instead of per route configuration", default=True),
    ), help="Routes per virtual host (istioctl pc route)."),
    ViewSpec("endpoint", _E + "endpoint:endpoint_view", ("endpoints", "ep"), _ENDPOINT_FILTERS,
             help="Hosts of a /clusters capture with health and outlier state (istioctl pc endpoint)."),
    ViewSpec("eds", _E + "endpoint:eds_view", (), _ENDPOINT_FILTERS, hidden=True,
             help="EDS assignments of a /config_dump?include_eds (istioctl pc eds)."),
    ViewSpec("secret", _E + "secret:secret_view", ("secrets", "s"), (NOW,),
             help="SDS secrets and their certificates (istioctl pc secret)."),
    ViewSpec("bootstrap", _E + "bootstrap:bootstrap_view", ("b",), (), default_output="json",
             help="The bootstrap (-o json, the default) or versions (-o short) (istioctl pc bootstrap)."),
    ViewSpec("ecds", _E + "bootstrap:ecds_view", ("ec",), (),
             help="Extension configs delivered by ECDS (istioctl pc ecds)."),
    ViewSpec("all", _E + "all:all_view", ("a",), (
        Filter("fqdn", str, "filter clusters by substring of the service FQDN"),
        Filter("direction", str, "filter clusters by direction"),
        Filter("subset", str, "filter clusters by substring of the subset"),
        Filter("port", int, "filter clusters, listeners and endpoints by port"),
        Filter("address", str, "filter listeners and endpoints by address"),
        Filter("type", str, "filter listeners by type"),
        Filter("name", str, "filter route configurations by name"),
        Filter("verbose", bool, "verbose listener and route tables", default=True),
        Filter("with_headers", bool, "title each table", default=False),
        NOW,
    ), help="All the tables (istioctl pc all); -o json|yaml prints the whole dump."),
)

_WORKLOAD_NAMESPACE = Filter("workload_namespace", str, "filter workloads by namespace")
# The workload pod named by ztunnel-config's POD argument (the command fills it, not a flag).
_POD = Filter("pod", str, "only this workload pod", cli=False)

# istioctl ztunnel-config, in istioctl's order.
ZTUNNEL: tuple[ViewSpec, ...] = (
    ViewSpec("workload", _Z + "workloads:workload_view", ("w", "workloads"), (
        Filter("address", str, "filter workloads by address"),
        _WORKLOAD_NAMESPACE,
        Filter("workload_node", str, "filter workloads by node"),
        _POD,
    ), help="Workloads known to the ztunnel (istioctl zc workload)."),
    ViewSpec("service", _Z + "services:service_view", ("services", "s", "svc"), (
        Filter("service_namespace", str, "filter services by namespace"),
    ), help="Services known to the ztunnel (istioctl zc service)."),
    ViewSpec("policy", _Z + "policies:policy_view", ("policies", "p", "pol"), (
        Filter("policy_namespace", str, "filter policies by namespace"),
    ), help="Authorization policies (istioctl zc policy)."),
    ViewSpec("certificate", _Z + "certificates:certificate_view", ("certificates", "certs", "cert"), (NOW,),
             help="Certificates of the ztunnel's identities (istioctl zc certificate)."),
    ViewSpec("connections", _Z + "connections:connections_view", ("cons",), (
        Filter("direction", str, "only inbound or outbound connections", metavar="inbound|outbound"),
        Filter("raw", bool, "show IP addresses instead of names", default=False),
        _WORKLOAD_NAMESPACE,
        _POD,
    ), help="Connections of the pods the ztunnel proxies (istioctl zc connections)."),
    ViewSpec("all", _Z + "all:all_view", (), (
        Filter("with_headers", bool, "title each table", default=False),
        NOW,
    ), help="All the tables (istioctl zc all); -o json|yaml prints the whole dump."),
)


def listed(specs: tuple[ViewSpec, ...], *, hidden: bool = False) -> str:
    """The views of a family as users read them (``"cluster, listener, ..."``); hidden ones only if asked."""
    return ", ".join(spec.name for spec in specs if hidden or not spec.hidden)


__all__ = ["ENVOY", "NOW", "ZTUNNEL", "listed"]
