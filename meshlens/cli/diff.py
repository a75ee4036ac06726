"""``meshlens diff``: istiod-intended vs proxy-loaded, or before vs after, by resource identity."""

from __future__ import annotations

import sys

import click

from meshlens.cli.app import emit_json, handle_errors, show_secrets_option


@click.command()
@click.argument("intended")
@click.argument("loaded")
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--istioctl", "istioctl_mode", is_flag=True,
              help="print exactly what `istioctl proxy-status <pod>` prints for these two captures")
@click.option("--exit-code", is_flag=True, help="exit 1 when the captures differ (like git diff --exit-code)")
@show_secrets_option
@click.option("--proxy", "proxy_name", metavar="NAME", help="which proxy of an archive (node id, pod.namespace, pod)")
@handle_errors
def diff(intended: str, loaded: str, output: str, istioctl_mode: bool, exit_code: bool, show_secrets: bool,
         proxy_name: str | None) -> None:
    """Compare INTENDED (istiod's /debug/config_dump?proxyID=, or a before capture) with LOADED (Envoy's
    /config_dump, or an after capture): per xDS type SYNCED / DRIFTED / NOT_COMPARED, and each drifted
    resource as added, missing, changed, rejected or warming.
    """
    if istioctl_mode:
        from meshlens.analysis.diff import pick_proxy
        from meshlens.analysis.istioctl_compare import compare_istioctl

        comparison = compare_istioctl(pick_proxy(intended, proxy_name), pick_proxy(loaded, proxy_name),
                                      show_secrets=show_secrets)
        if output == "json":
            emit_json(comparison.to_dict())
        else:
            click.echo(str(comparison), nl=False)
        for note in comparison.notes:
            click.echo(f"note: {note}", err=True)
        drifted = not comparison.in_sync
    else:
        from meshlens.analysis.diff import diff as run_diff

        drift = run_diff(intended, loaded, show_secrets=show_secrets, proxy=proxy_name)
        if output == "json":
            emit_json(drift.to_dict())
        else:
            click.echo(str(drift), nl=False)
        drifted = not drift.in_sync
    if exit_code and drifted:
        sys.exit(1)
