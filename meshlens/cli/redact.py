"""``meshlens redact IN OUT``: a copy of a capture safe to attach to a public issue."""

from __future__ import annotations

import click

from meshlens.cli.app import handle_errors


@click.command()
@click.argument("source", metavar="IN")
@click.argument("output", metavar="OUT")
@click.option("--pseudonymize", is_flag=True,
              help="also replace IPs, pod names, namespaces, hostnames and SPIFFE ids, the same way in every "
                   "file (traces, diffs and checks still work on the copy)")
@click.option("--max-bytes", default=None, metavar="SIZE", help="read/inflate at most SIZE (e.g. 2GiB)")
@handle_errors
def redact(source: str, output: str, pseudonymize: bool, max_bytes: str | None) -> None:
    """Write a copy of the capture IN to OUT with private keys (and Envoy's other sensitive fields)
    redacted as Envoy's [redacted]. IN is never modified; an archive stays an archive of the same
    format, a folder a folder. OUT must not exist.
    """
    from meshlens.analysis.redact_capture import redact_capture
    from meshlens.sources.bounded import parse_size

    result = redact_capture(source, output, pseudonymize=pseudonymize,
                            max_bytes=parse_size(max_bytes) if max_bytes else None)
    click.echo(str(result), nl=False, err=True)
