"""``meshlens test-routes``: route tests over a captured dump (router_check_tool, whole-proxy)."""

from __future__ import annotations

import sys

import click

from meshlens.cli.app import emit_json, handle_errors


@click.command("test-routes")
@click.argument("tests_file")
@click.option("-f", "--file", "dump", required=True, metavar="DUMP", help="the captured config dump (or archive)")
@click.option("--proxy", "proxy_name", metavar="NAME", help="which proxy of an archive")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit"]), default="text", show_default=True)
@click.option("--fail-under", type=click.FloatRange(0, 100), default=None, metavar="PCT",
              help="exit 1 when route coverage is below PCT percent")
@handle_errors
def test_routes(tests_file: str, dump: str, proxy_name: str | None, fmt: str, fail_under: float | None) -> None:
    """Run the route tests in TESTS_FILE against DUMP; exit 1 on a failure or low coverage."""
    from meshlens.analysis.route_tests import run_route_tests

    report = run_route_tests(tests_file, dump, proxy=proxy_name)
    if fmt == "json":
        emit_json(report.to_dict())
    else:
        from meshlens.render.route_tests import render_junit, render_text

        click.echo(render_junit(report) if fmt == "junit" else render_text(report), nl=False)
    if report.failed or (fail_under is not None and report.coverage < fail_under):
        sys.exit(1)
