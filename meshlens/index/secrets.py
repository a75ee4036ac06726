"""Which SDS secrets a proxy's TLS contexts refer to, and who refers to each.

Envoy loads a secret over SDS when a listener's filter chain or a cluster names it in its transport
socket's ``common_tls_context``: ``tls_certificate_sds_secret_configs`` (its certificate) and
``validation_context_sds_secret_config`` (the roots it trusts; also inside
``combined_validation_context``). Wrapping sockets (``internal_upstream``, ``starttls``, ...) keep the
real socket nested one level down. A static secret no context names is never used.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import orjson

from meshlens.index.refs import chains, listener_key
from meshlens.models.base import Location
from meshlens.models.snapshot import EnvoyProxy

_SDS_LIST = "tls_certificate_sds_secret_configs"
_SDS_ONE = "validation_context_sds_secret_config"

__all__ = ["SecretRef", "referenced_secrets", "secret_refs", "tls_secret_names", "transport_sockets"]


class SecretRef(NamedTuple):
    """A listener filter chain or a cluster whose TLS context names SDS secret ``secret``."""

    secret: str
    kind: str  # filter_chain | cluster
    name: str  # ``<listener>/<chain label>`` or the cluster name
    location: Location  # the transport socket


def tls_secret_names(socket: Any, out: set[str], depth: int = 0) -> None:
    """Add to ``out`` the SDS names of a transport socket (and of the sockets it wraps)."""
    if not isinstance(socket, dict) or depth > 4:
        return
    tc = socket.get("typed_config")
    if not isinstance(tc, dict):
        return
    ctx = tc.get("common_tls_context")
    if isinstance(ctx, dict):
        for item in ctx.get(_SDS_LIST) or ():
            if isinstance(item, dict) and item.get("name"):
                out.add(str(item["name"]))
        for holder in (ctx, ctx.get("combined_validation_context")):
            one = holder.get(_SDS_ONE) if isinstance(holder, dict) else None
            if isinstance(one, dict) and one.get("name"):
                out.add(str(one["name"]))
    for key, value in tc.items():  # wrappers keep the real socket in a nested transport_socket
        if key != "common_tls_context" and isinstance(value, dict) and "typed_config" in value:
            tls_secret_names(value, out, depth + 1)


def transport_sockets(proxy: EnvoyProxy) -> list[tuple[str, str, Location, dict[str, Any]]]:
    """(kind, name, location, socket) of every transport socket of the proxy's listeners and clusters."""
    out: list[tuple[str, str, Location, dict[str, Any]]] = []
    for res in proxy.valid_listeners:
        for chain in chains(res):
            socket = chain.raw.get("transport_socket")
            if isinstance(socket, dict):
                out.append(("filter_chain", f"{listener_key(res)}/{chain.label}",
                            res.location.child(chain.path + ".transport_socket"), socket))
    for cluster in proxy.valid_clusters:
        raw = cluster.raw
        socket = raw.get("transport_socket")
        if isinstance(socket, dict):
            out.append(("cluster", cluster.name, cluster.location.child(".transport_socket"), socket))
        for i, match in enumerate(raw.get("transport_socket_matches") or ()):
            socket = match.get("transport_socket") if isinstance(match, dict) else None
            if isinstance(socket, dict):
                out.append(("cluster", cluster.name,
                            cluster.location.child(f".transport_socket_matches[{i}].transport_socket"), socket))
    return out


def secret_refs(proxy: EnvoyProxy) -> dict[str, list[SecretRef]]:
    """Secret name -> every filter chain and cluster whose TLS context names it."""
    out: dict[str, list[SecretRef]] = {}
    for kind, name, location, socket in transport_sockets(proxy):
        names: set[str] = set()
        tls_secret_names(socket, names)
        for secret in sorted(names):
            out.setdefault(secret, []).append(SecretRef(secret, kind, name, location))
    return out


def referenced_secrets(proxy: EnvoyProxy, candidates: set[str] | None = None) -> set[str] | None:
    """SDS secret names the proxy's TLS contexts refer to (only ``candidates``, when given).

    None when the capture cannot tell (no listeners or clusters).
    """
    if not proxy.sections & {"listeners", "clusters"}:
        return None
    sockets = [socket for _, _, _, socket in transport_sockets(proxy)]
    if candidates is not None:
        # A name that is nowhere in the serialized sockets is referenced by none of them: one C-speed
        # search instead of a walk of thousands of TLS contexts.
        blob = orjson.dumps(sockets)
        candidates = {n for n in candidates if orjson.dumps(n) in blob}
        if not candidates:
            return set()
    names: set[str] = set()
    for socket in sockets:
        tls_secret_names(socket, names)
    return names if candidates is None else names & candidates
