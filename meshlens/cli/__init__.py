"""The ``meshlens`` command line: one click group, commands added explicitly (no import side effects).

Each command parses arguments, calls one library function, renders, and sets the exit code.
"""

from meshlens.cli.app import main
from meshlens.cli.inspect import inspect, query
from meshlens.cli.route_tests import test_routes
from meshlens.cli.trace import trace

main.add_command(inspect)
main.add_command(query)
main.add_command(trace)
main.add_command(test_routes)

__all__ = ["main"]
