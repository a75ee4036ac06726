"""The ``meshlens`` command line: one click group, commands added explicitly (no import side effects).

Each command parses arguments, calls one library function, renders, and sets the exit code.
"""

from meshlens.cli.app import main
from meshlens.cli.check import check, checks, explain
from meshlens.cli.diff import diff
from meshlens.cli.graph import graph
from meshlens.cli.inspect import inspect, query
from meshlens.cli.logs import logs
from meshlens.cli.pc import proxy_config
from meshlens.cli.ps import proxy_status
from meshlens.cli.redact import redact
from meshlens.cli.report import report
from meshlens.cli.route_tests import test_routes
from meshlens.cli.router_check import router_check
from meshlens.cli.trace import trace
from meshlens.cli.zc import ztunnel_config

main.add_command(inspect)
main.add_command(query)
main.add_command(trace)
main.add_command(diff)
main.add_command(graph)
main.add_command(test_routes)
main.add_command(router_check)
main.add_command(ztunnel_config, "ztunnel-config", aliases=("zc",))
main.add_command(proxy_status, "proxy-status", aliases=("ps",))
main.add_command(proxy_config, "proxy-config", aliases=("pc",))
main.add_command(check)
main.add_command(checks, aliases=("list-checks",))
main.add_command(explain)
main.add_command(logs)
main.add_command(redact)
main.add_command(report)

__all__ = ["main"]
