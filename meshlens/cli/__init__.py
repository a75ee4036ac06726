"""The ``meshlens`` command line: one click group whose commands are imported on first use.

Each command parses arguments, calls one library function, renders, and sets the exit code.
:data:`COMMANDS` is the static table of the group (click's documented lazy-group pattern): the
top-level ``--help`` lists names and short help from it without importing a single command module,
and ``meshlens pc ...`` imports only ``meshlens.cli.pc``. A test checks each row against the real
command's short help and aliases, so the table cannot drift.
"""

from meshlens.cli.app import LazyCommand, main

#: name -> the command ("module:attribute"), its aliases and its short help, in the order --help sorts.
COMMANDS: dict[str, LazyCommand] = {
    "check": LazyCommand("meshlens.cli.check:check", (), "Check captures for problems: certificates, endpoints, "
                         "dangling references, rejected and warming resources, drift, route hygiene, ztunnel state."),
    "checks": LazyCommand("meshlens.cli.check:checks", ("list-checks",), "List every check: code, slug, severity "
                          "and title (--format markdown: the full documentation)."),
    "diff": LazyCommand("meshlens.cli.diff:diff", (), "Compare INTENDED (istiod's /debug/config_dump?proxyID=, or a "
                        "before capture) with LOADED (Envoy's /config_dump, or an after capture): per xDS type "
                        "SYNCED / DRIFTED / NOT_COMPARED, and each drifted resource as added, missing, changed, "
                        "rejected or warming."),
    "explain": LazyCommand("meshlens.cli.check:explain", (), "Print a check's documentation (CODE is ML1001 or a "
                           "slug such as certs.expired)."),
    "graph": LazyCommand("meshlens.cli.graph:graph", (), "Print the listener → … → endpoint graph of the Envoy "
                         "captured in SOURCE."),
    "inspect": LazyCommand("meshlens.cli.inspect:inspect", (), "Show what a capture holds: kind, proxy, versions, "
                           "resource counts by state, load findings."),
    "logs": LazyCommand("meshlens.cli.logs:logs", (), "Analyse ztunnel logs (plain or JSON lines, `kubectl logs "
                        "--prefix` output, bug-report archives): connections per source workload and service, how "
                        "they spread over the backends against the capacity-weighted shares of a ztunnel dump "
                        "(chi-square goodness of fit), failovers, error classes and outlier-detection lines."),
    "proxy-config": LazyCommand("meshlens.cli.pc:proxy_config", ("pc",), "istioctl proxy-config tables (cluster, "
                                "listener, route, endpoint, secret, bootstrap, ecds, all) from a captured Envoy "
                                "/config_dump, a /clusters capture, or a bug-report archive."),
    "proxy-status": LazyCommand("meshlens.cli.ps:proxy_status", ("ps",), "Print what `istioctl proxy-status` prints, "
                                "from a captured syncz."),
    "query": LazyCommand("meshlens.cli.inspect:query", (), "Print the values matching a JSONPath EXPRESSION in "
                         "SOURCE's raw JSON (as a JSON list)."),
    "redact": LazyCommand("meshlens.cli.redact:redact", (), "Write a copy of the capture IN to OUT with private keys "
                          "(and Envoy's other sensitive fields) redacted as Envoy's [redacted]."),
    "report": LazyCommand("meshlens.cli.report:report", (), "Write an HTML report of the capture(s): mesh, findings, "
                          "certificates, traces, proxy tables."),
    "router-check": LazyCommand("meshlens.cli.router_check:router_check", (), "Check that routes go where TESTS say, "
                                "as Envoy's router_check_tool does."),
    "test-routes": LazyCommand("meshlens.cli.route_tests:test_routes", (), "Run the route tests in TESTS_FILE "
                               "against DUMP; exit 1 on a failure or low coverage."),
    "trace": LazyCommand("meshlens.cli.trace:trace", (), "Trace a request through the Envoy captured in SOURCE: "
                         "listener, filter chain, route, cluster, endpoints."),
    "ztunnel-config": LazyCommand("meshlens.cli.zc:ztunnel_config", ("zc",), "istioctl ztunnel-config tables "
                                  "(workload, service, policy, certificate, connections, all) from a captured "
                                  "ztunnel /config_dump or a bug-report archive."),
}

main.add_lazy_commands(COMMANDS)

__all__ = ["COMMANDS", "main"]
