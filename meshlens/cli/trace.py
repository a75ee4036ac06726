"""``meshlens trace``: where a request goes through a captured Envoy, and why."""

from __future__ import annotations

import sys

import click

from meshlens.cli.app import emit_json, handle_errors


def parse_header(value: str) -> tuple[str, str]:
    """``'name: value'`` (a ``-H`` option) as ``(name, value)``; a clear usage error otherwise. The value
    is kept as written (the trace trims it as Envoy's codec does, and says so).
    """
    name, sep, rest = value.partition(":")
    if not sep or not name.strip():
        raise click.BadParameter(f"expected 'name: value', got {value!r}", param_hint="-H/--header")
    return name.strip(), rest[1:] if rest.startswith(" ") else rest


@click.command()
@click.argument("source")
@click.option("--to", "to", metavar="HOST[:PORT]", help="authority (Host header); leave out for a request without Host "
              "(then --dst is needed)")
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
@click.option("--tls", is_flag=True, help="the client speaks TLS (SNI and ALPN as tls_inspector sees them)")
@click.option("--sni", metavar="NAME", help="TLS server name (default: the --to host)")
@click.option("--alpn", metavar="P1,P2", help="TLS ALPN protocols offered (default: h2 or http/1.1 by --http-version)")
@click.option("--random-value", type=click.IntRange(min=0), metavar="N",
              help="the stream's random value: picks weighted clusters and runtime fractions as Envoy does")
@click.option("--exit-code", is_flag=True,
              help="exit 1 when the request would not reach a healthy upstream (anything but ROUTED or PASSTHROUGH)")
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("-v", "--verbose", is_flag=True, help="list every skipped candidate")
@handle_errors
def trace(source: str, to: str | None, path: str, method: str, headers: tuple[str, ...], dst: str | None,
          src: str | None, http_version: str, proxy_name: str | None, tls: bool, sni: str | None, alpn: str | None,
          random_value: int | None, from_: str | None, all_endpoints: bool, endpoint: str | None,
          upstream_alpn: str | None, exit_code: bool, output: str, verbose: bool) -> None:
    """Trace a request through the Envoy captured in SOURCE: listener, filter chain, route, cluster, endpoints.

    With --from (an archive's source pod), the trace continues from the chosen upstream endpoint into
    the destination pod's inbound listener, each hop naming its proxy.
    """
    from meshlens.analysis.mesh import trace as run_trace

    upstream = [a.strip() for a in upstream_alpn.split(",") if a.strip()] if upstream_alpn else None
    result = run_trace(source, to=to, path=path, method=method, headers=[parse_header(h) for h in headers],
                       dst=dst, src=src, http_version=http_version, proxy=proxy_name, tls=tls, sni=sni,
                       alpn=alpn.split(",") if alpn else None, random_value=random_value, from_=from_,
                       all_endpoints=all_endpoints, endpoint=endpoint, upstream_alpn=upstream)
    if output == "json":
        emit_json(result.to_dict())
    else:
        from meshlens.render.trace import render_any_trace

        click.echo(render_any_trace(result, verbose=verbose), nl=False)
    if exit_code and not result.reaches_upstream:
        sys.exit(1)
