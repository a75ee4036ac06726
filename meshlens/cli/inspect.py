"""``meshlens inspect`` and ``meshlens query``."""

from __future__ import annotations

import click

from meshlens.cli.app import emit_json, handle_errors, show_secrets_option


@click.command()
@click.argument("source")
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@handle_errors
def inspect(source: str, output: str) -> None:
    """Show what a capture holds: kind, proxy, versions, resource counts by state, load findings.

    SOURCE is a file (JSON, YAML, gzip), a bug-report archive or directory, or - for stdin.
    """
    from meshlens.summary import inspect as inspect_source

    summary = inspect_source(source)
    if output == "json":
        emit_json(summary.to_dict())
    else:
        from meshlens.render.inspect import render_summary

        click.echo(render_summary(summary), nl=False)


@click.command()
@click.argument("source")
@click.argument("expression")
@show_secrets_option
@click.option("--proxy", "proxies", multiple=True, metavar="NAME",
              help="query this proxy of an archive (node id, pod.namespace, pod; repeat: output keyed by proxy)")
@click.option("--by-proxy", is_flag=True, help="output keyed by proxy (every proxy and ztunnel without --proxy)")
@handle_errors
def query(source: str, expression: str, show_secrets: bool, proxies: tuple[str, ...], by_proxy: bool) -> None:
    """Print the values matching a JSONPath EXPRESSION in SOURCE's raw JSON (as a JSON list).

    Private key material prints as Envoy's [redacted] unless --show-secrets.
    """
    from meshlens.analysis.query import query as run_query

    emit_json(run_query(source, expression, show_secrets=show_secrets, proxies=list(proxies), by_proxy=by_proxy))

