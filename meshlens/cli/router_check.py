"""``meshlens router-check``: Envoy's router_check_tool, flag for flag, so a CI job can swap binaries."""

from __future__ import annotations

import sys

import click

from meshlens.cli.app import emit_json, handle_errors
from meshlens.errors import UsageError


@click.command("router-check", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-c", "--config-path", "config", required=True, metavar="FILE",
              help="The route configuration: a bare RouteConfiguration (YAML or JSON, as router_check_tool takes "
                   "it), or a config dump / archive (pick one with --proxy and --route-config).")
@click.option("-t", "--test-path", "tests", required=True, metavar="FILE",
              help="router_check_tool's tests (JSON or YAML): tests[].test_name / input / validate.")
@click.option("-d", "--details", is_flag=True,
              help="Print every test's name (stdout), and for a failed test its failures (stderr).")
@click.option("--only-show-failures", is_flag=True,
              help="Print only the failed tests, with their failures (stderr).")
@click.option("-f", "--fail-under", type=click.FloatRange(0, 100), default=0.0, metavar="PERCENT",
              help="Exit 1 when route coverage is below PERCENT (0: no coverage requirement).")
@click.option("--covall", is_flag=True,
              help="Comprehensive coverage: weigh each route by the share of its fields the tests checked, "
                   "and list the routes no test reached.")
@click.option("--detailed-coverage", is_flag=True, help="List the routes no test reached, by route name.")
@click.option("--disable-deprecation-check", is_flag=True,
              help="Accepted for compatibility (meshlens does not reject deprecated fields).")
@click.option("--proxy", "proxy_name", metavar="NAME", help="Which proxy of an archive (with a config dump).")
@click.option("--route-config", metavar="NAME",
              help="Which route configuration of a config dump (needed when it holds several).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: router_check_tool's lines; json: meshlens' report.")
@click.option("-o", "--output-path", metavar="FILE",
              help="router_check_tool writes its results there as binary protobuf, which meshlens does not "
                   "produce: refused with a clear error (use --format json).")
@handle_errors
def router_check(config: str, tests: str, details: bool, only_show_failures: bool, fail_under: float, covall: bool,
                 detailed_coverage: bool, disable_deprecation_check: bool, proxy_name: str | None,
                 route_config: str | None, fmt: str, output_path: str | None) -> None:
    """Check that routes go where TESTS say, as Envoy's router_check_tool does.

    Exit codes as router_check_tool's: 0 every test passed (and coverage met --fail-under), 1 a test
    failed, could not be evaluated, or coverage is below --fail-under; 2 (meshlens) unreadable input.
    """
    from meshlens.analysis.route_tests import run_router_check
    from meshlens.render.route_tests import router_check_output

    if output_path:
        raise UsageError("-o/--output-path: router_check_tool's binary protobuf results are not produced by "
                         "meshlens; use --format json (to stdout) instead")
    report = run_router_check(config, tests, proxy=proxy_name, route_config=route_config, covall=covall,
                              detailed_coverage=detailed_coverage)
    out = router_check_output(report, details=details, only_show_failures=only_show_failures,
                              fail_under=fail_under or None)
    if fmt == "json":
        emit_json(report.to_dict())
    else:
        for line in out.stdout:
            click.echo(line)
        for line in out.stderr:
            click.echo(line, err=True)
    sys.exit(out.exit_code)
