"""``meshlens trace``: where a request goes through a captured Envoy, and why."""

from __future__ import annotations

import click

from meshlens.cli.app import emit_json, handle_errors


def parse_header(value: str) -> tuple[str, str]:
    """``'name: value'`` (a ``-H`` option) as ``(name, value)``; a clear usage error otherwise."""
    name, sep, rest = value.partition(":")
    if not sep or not name.strip():
        raise click.BadParameter(f"expected 'name: value', got {value!r}", param_hint="-H/--header")
    return name.strip(), rest.strip()


@click.command()
@click.argument("source")
@click.option("--to", "to", required=True, metavar="HOST[:PORT]", help="authority (Host header)")
@click.option("--path", default="/", show_default=True)
@click.option("--method", default="GET", show_default=True)
@click.option("-H", "--header", "headers", multiple=True, metavar="'NAME: VALUE'")
@click.option("--dst", metavar="IP:PORT", help="original destination of the connection (selects the listener)")
@click.option("--src", metavar="IP[:PORT]", help="client address")
@click.option("--http-version", type=click.Choice(["1.0", "1.1", "2"]), default="1.1", show_default=True)
@click.option("--proxy", "proxy_name", metavar="NAME", help="which proxy of an archive (node id, pod.namespace, pod)")
@click.option("--from", "from_", metavar="POD",
              help="source proxy of an archive; the trace continues into the destination's proxy")
@click.option("--all-endpoints", is_flag=True, help="with --from: follow every endpoint, not the first healthy one")
@click.option("--endpoint", metavar="IP:PORT", help="with --from: follow this endpoint")
@click.option("--upstream-alpn", metavar="P1,P2", help="with --from: the ALPN offered upstream, overriding the capture "
              "(e.g. istio-http/1.1, what Istio's istio.alpn filter sets)")
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("-v", "--verbose", is_flag=True, help="list every skipped candidate")
@handle_errors
def trace(source: str, to: str, path: str, method: str, headers: tuple[str, ...], dst: str | None,
          src: str | None, http_version: str, proxy_name: str | None, from_: str | None, all_endpoints: bool,
          endpoint: str | None, upstream_alpn: str | None, output: str, verbose: bool) -> None:
    """Trace a request through the Envoy captured in SOURCE: listener, filter chain, route, cluster, endpoints.

    With --from (an archive's source pod), the trace continues from the chosen upstream endpoint into
    the destination pod's inbound listener, each hop naming its proxy.
    """
    from meshlens.analysis.mesh import trace as run_trace

    alpn = [a.strip() for a in upstream_alpn.split(",") if a.strip()] if upstream_alpn else None
    result = run_trace(source, to=to, path=path, method=method, headers=dict(parse_header(h) for h in headers),
                       dst=dst, src=src, http_version=http_version, proxy=proxy_name, from_=from_,
                       all_endpoints=all_endpoints, endpoint=endpoint, upstream_alpn=alpn)
    if output == "json":
        emit_json(result.to_dict())
    else:
        from meshlens.render.trace import render_any_trace

        click.echo(render_any_trace(result, verbose=verbose), nl=False)
