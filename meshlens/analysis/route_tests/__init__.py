"""Route tests: Envoy's router_check_tool as a drop-in (``router-check``) and meshlens' own form over
whole dumps (``test-routes``), both judged by one comparator (:mod:`.compare`).

* ``schema``: router_check_tool's test files (``tests[].test_name/input/validate``), validated.
* ``compare``: what a test's ``validate`` expects against what the router did (an :class:`Observed`),
  line for line as router_check_tool reports it; an expectation meshlens cannot evaluate is an error.
* ``router_check``: a bare RouteConfiguration (or one route configuration of a dump) under
  router_check_tool's inputs and conventions, with its route coverage.
* ``dump_tests``: tests traced through a whole captured proxy (listener, chain, route, cluster).
"""

from meshlens.analysis.route_tests.dump_tests import RouteTestReport, parse_tests, run_route_tests
from meshlens.analysis.route_tests.router_check import RouterCheckReport, run_router_check

__all__ = ["RouteTestReport", "RouterCheckReport", "parse_tests", "run_route_tests", "run_router_check"]
