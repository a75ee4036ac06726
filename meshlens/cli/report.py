"""``meshlens report``: one self-contained HTML page of a capture."""

from __future__ import annotations

import click

from meshlens.cli.app import handle_errors


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("-o", "--output", required=True, metavar="FILE", help="the HTML file to write")
@click.option("--trace", "traces", multiple=True, metavar="SRC->HOST:PORT/PATH",
              help="trace this request from proxy SRC and draw it (repeatable)")
@click.option("--intended", metavar="ISTIOD_DUMP", help="istiod's intended config of the proxy: drift section")
@click.option("--now", help="judge certificates at this time (RFC 3339; default: the capture time)")
@handle_errors
def report(paths: tuple[str, ...], output: str, traces: tuple[str, ...], intended: str | None,
           now: str | None) -> None:
    """Write an HTML report of the capture(s): mesh, findings, certificates, traces, proxy tables."""
    from meshlens.render.html import report as build

    result = build(list(paths) if len(paths) > 1 else paths[0], traces=traces, now=now, intended=intended)
    result.write(output)
    click.echo(f"meshlens: {result} -> {output}", err=True)
