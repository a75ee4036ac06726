"""``meshlens graph``: the request graph of a captured Envoy (DOT, GraphML, JSON) or its dangling references."""

from __future__ import annotations

import click

from meshlens.cli.app import handle_errors


@click.command()
@click.argument("source")
@click.option("--format", "fmt", type=click.Choice(["dot", "graphml", "json"]), default="dot", show_default=True)
@click.option("--dangling", is_flag=True, help="list only references to resources the capture does not hold (JSON)")
@click.option("--proxy", "proxy_name", metavar="NAME", help="which proxy of an archive")
@handle_errors
def graph(source: str, fmt: str, dangling: bool, proxy_name: str | None) -> None:
    """Print the listener → … → endpoint graph of the Envoy captured in SOURCE."""
    from meshlens.index.graph import export_graph

    click.echo(export_graph(source, fmt, proxy=proxy_name, dangling_only=dangling), nl=False)
