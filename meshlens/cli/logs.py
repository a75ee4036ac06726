"""``meshlens logs``: ztunnel log analysis (flows, load-balancing fit, failovers, errors, outliers)."""

from __future__ import annotations

import click

from meshlens.cli.app import emit_json, handle_errors


@click.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@click.option("--dump", "dumps", multiple=True, metavar="ZTUNNEL_DUMP|ARCHIVE",
              help="ztunnel /config_dump (or an archive holding them): expected shares, health and protocol")
@click.option("--service", default=None, metavar="HOST", help="only flows to this service (host or short name)")
@click.option("--since", default=None, metavar="RFC3339", help="only events at or after this time")
@click.option("--until", default=None, metavar="RFC3339", help="only events at or before this time")
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--plot", "plot_path", default=None, metavar="FILE.png|svg",
              help="also draw observed vs expected shares and a connection timeline (needs meshlens[plot])")
@handle_errors
def logs(files: tuple[str, ...], dumps: tuple[str, ...], service: str | None, since: str | None,
         until: str | None, output: str, plot_path: str | None) -> None:
    """Analyse ztunnel logs (plain or JSON lines, `kubectl logs --prefix` output, bug-report archives):
    connections per source workload and service, how they spread over the backends against the
    capacity-weighted shares of a ztunnel dump (chi-square goodness of fit), failovers, error classes
    and outlier-detection lines.
    """
    from meshlens.analysis.logs import analyze_logs

    result = analyze_logs(list(files), list(dumps) or None, service=service, since=since, until=until)
    if plot_path:
        result.plot(plot_path)
    if output == "json":
        emit_json(result.to_dict())
    else:
        click.echo(str(result), nl=False)
