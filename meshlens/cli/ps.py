"""``meshlens proxy-status`` (alias ``ps``): istioctl's mesh-wide proxy-status table from a captured syncz."""

from __future__ import annotations

import click

from meshlens.cli.app import handle_errors, now_option, resolve_input, show_secrets_option


@click.command("proxy-status")
@click.argument("source", required=False, metavar="[FILE|ARCHIVE]")
@click.option("-f", "--file", "file_option", metavar="FILE", help="the input (instead of FILE); - for stdin")
@click.option("-v", "--verbosity", type=click.IntRange(min=0), default=0, show_default=True,
              help="0 = subscribed types, 1 = one column per xDS type (CDS ECDS EDS LDS RDS ...)")
@click.option("-o", "--output", type=click.Choice(["table", "json", "yaml"]), default="table", show_default=True,
              help="json/yaml: the syncz DiscoveryResponse of each istiod, as istioctl prints them")
@click.option("--legacy", is_flag=True,
              help="istioctl <= 1.26 columns: NAME CLUSTER CDS LDS EDS RDS ECDS ISTIOD VERSION")
@click.option("-n", "--namespace", default=None, metavar="NAMESPACE", help="only proxies in this namespace")
@now_option
@show_secrets_option
@handle_errors
def proxy_status(source: str | None, file_option: str | None, verbosity: int, output: str, legacy: bool,
                 namespace: str | None, now: str | None, show_secrets: bool) -> None:
    """Print what `istioctl proxy-status` prints, from a captured syncz.

    FILE is `istioctl proxy-status -o json|yaml` output (XDS ClientConfig responses), istiod's
    /debug/syncz, or a bug-report archive or folder. Ages (`SYNCED (3m2s)`) are measured at --now,
    else at the capture time when known, else now.
    """
    from meshlens.errors import UsageError
    from meshlens.views.status import proxy_status as run_proxy_status
    from meshlens.views.status import render

    table = run_proxy_status(resolve_input(source, file_option), verbosity=verbosity, legacy=legacy,
                             namespace=namespace, now=now)
    if output == "table" and not table.rows:
        raise UsageError(table.notes[0] if table.notes else "no proxies found")
    click.echo(render(table, output, show_secrets=show_secrets), nl=False)
