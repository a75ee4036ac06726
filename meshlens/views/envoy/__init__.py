"""istioctl proxy-config views of Envoy proxies (declared in :mod:`meshlens.views.registry`).

``proxy.view("cluster", fqdn="reviews")`` returns a :class:`~meshlens.views.base.Table` whose
``cells`` print exactly what ``istioctl proxy-config cluster --fqdn reviews`` prints and whose
``rows`` are typed records. :func:`render_view` is the one call the CLI makes: load a capture, pick
the proxy, build the view and render it as ``short``, ``json`` or ``yaml`` text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from meshlens.errors import UnsupportedDumpError, UsageError
from meshlens.models.base import MAX_DEPTH
from meshlens.views.base import Table, call_view, resolve_view
from meshlens.views.envoy._common import EnvoyTable
from meshlens.views.registry import ENVOY as VIEWS

if TYPE_CHECKING:
    from meshlens.models.snapshot import EnvoyProxy, Snapshot

OUTPUTS = ("short", "json", "yaml")


@dataclass
class Rendered:
    """A view rendered for the terminal: ``text`` for stdout, ``notes`` for stderr."""

    text: str
    notes: list[str] = field(default_factory=list)
    table: Table | None = None


def render(table: Table, output: str | None = None, *, show_secrets: bool = False) -> str:
    """The text istioctl prints for ``table`` with ``-o output`` (default: the view's default).

    Private key material is printed as Envoy's ``[redacted]`` unless ``show_secrets``.
    """
    from meshlens.models.redaction import redact_output

    try:
        return redact_output(_render(table, output, show_secrets), show_secrets=show_secrets)
    except RecursionError:  # the writers recurse; the models bound resources, not every raw section
        raise UnsupportedDumpError(f"cannot print -o {output}: the capture is nested deeper than the writer "
                                   f"can follow (meshlens refuses nesting beyond {MAX_DEPTH} levels)") from None


def _render(table: Table, output: str | None, show_secrets: bool) -> str:
    from meshlens.encoding.gojson import jsonpb_indent, marshal_indent, protojson_indent
    from meshlens.encoding.goyaml import go_yaml
    from meshlens.models.redaction import redact_tree

    style = getattr(table, "json_style", "slice")
    output = output or table.default_output
    if output not in OUTPUTS:
        raise UsageError(f"output format {output!r} not supported (choose from: {', '.join(OUTPUTS)})")
    if output == "short":
        return table.text()
    data = redact_tree(table.raw, show_secrets=show_secrets)
    if output == "yaml":
        # istioctl prints JSONToYAML's text (which ends in a newline) with Println: a blank line follows.
        return go_yaml(data if data is not None else {}) + "\n"
    if style == "jsonpb":
        return jsonpb_indent(data or {}) + "\n"
    if style == "protojson":
        return protojson_indent(data if data is not None else {}) + "\n"
    if style == "dump":
        return marshal_indent(data, "  ", html=False) + "\n"
    return marshal_indent(data if data is not None else [], "    ") + "\n"


def select_proxy(snapshot: Snapshot, name: str | None = None) -> EnvoyProxy:
    """The Envoy proxy a proxy-config view reads; a clear error for captures of another kind."""
    if not snapshot.proxies:
        if snapshot.ztunnels:
            raise UnsupportedDumpError("this is a ztunnel config dump, not an Envoy capture: use "
                                       "`meshlens ztunnel-config` (zc)", file=snapshot.origin or None)
        if snapshot.istiod is not None:
            raise UnsupportedDumpError("this is istiod state (syncz / debug output), not an Envoy capture: use "
                                       "`meshlens proxy-status` (ps)", file=snapshot.origin or None)
        raise UnsupportedDumpError("the capture holds no Envoy proxy", file=snapshot.origin or None)
    if name:
        name = name.split("/", 1)[1] if name.startswith(("pod/", "pods/")) else name
    return snapshot.proxy(name or None)


def render_view(source: Any, view: str, output: str | None = None, *, proxy: str | None = None,
                show_secrets: bool = False, **filters: Any) -> Rendered:
    """Load ``source``, build proxy-config ``view`` (name or alias) of its proxy and render it.

    Args:
        source: anything :func:`meshlens.load` takes (path, ``"-"``, bytes, dict).
        view: ``cluster``, ``listener``, ``route``, ``endpoint``, ``eds``, ``secret``, ``bootstrap``,
            ``ecds``, ``all`` or one of istioctl's aliases.
        output: ``short``, ``json`` or ``yaml`` (default: the view's declared ``default_output``).
        proxy: which proxy of a multi-proxy capture (node id, ``pod.namespace`` or pod name).
        show_secrets: print private key material as captured instead of Envoy's ``[redacted]``.
        **filters: the view's istioctl filters (``fqdn=``, ``port=``, ``verbose=``, ``now=`` ...).

    Raises:
        UsageError: unknown view, filter or output format; no such proxy.
        UnsupportedDumpError: the capture cannot answer this view (e.g. a ztunnel dump).
    """
    from meshlens.sources.coerce import as_snapshot

    spec = resolve_view({s.name: s for s in VIEWS}, view, "proxy-config")
    if output is not None and output not in OUTPUTS:
        raise UsageError(f"output format {output!r} not supported (choose from: {', '.join(OUTPUTS)})")
    target = select_proxy(as_snapshot(source), proxy)
    table = call_view(spec, target, filters)
    return Rendered(text=render(table, output, show_secrets=show_secrets), notes=list(table.notes), table=table)


__all__ = ["OUTPUTS", "VIEWS", "EnvoyTable", "Rendered", "render", "render_view", "select_proxy"]
