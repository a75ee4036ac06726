"""The transport a source Envoy's cluster uses towards one endpoint: Istio mTLS (SNI, ALPN) or plaintext.

Envoy picks an upstream transport socket per endpoint: the first ``transport_socket_matches`` entry
whose ``match`` fields all equal the endpoint's (else its locality's) metadata under
``envoy.transport_socket_match`` (an empty ``match`` matches every endpoint), else the cluster's
``transport_socket``, else plaintext. A TLS socket's ``UpstreamTlsContext`` gives the SNI and the ALPN
list the client offers. Istio's ``istio.alpn`` HTTP filter (when the source connection manager has
it) overrides that ALPN by the upstream HTTP protocol (``istio-http/1.1``, ``istio-h2``, ...); without
it the TLS context's list (``istio-peer-exchange``, ``istio``) is what the destination sees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# istio.alpn's upstream_protocol enum by the HTTP version the request is forwarded with.
_UPSTREAM_PROTOCOL = {"1.0": "HTTP10", "1.1": "HTTP11", "2": "HTTP2"}


@dataclass(frozen=True)
class Transport:
    """How the source connects to one endpoint.

    Attributes:
        kind: ``mtls`` (TLS with a client certificate: Istio mTLS), ``tls`` (TLS without one),
            ``plaintext``, or ``unknown`` (the capture does not hold the cluster).
        sni: the server name sent (None: none).
        alpn: the ALPN protocols offered.
        socket_match: the ``transport_socket_matches`` entry chosen (None: the cluster's own socket).
        why: how it was decided, for the hop's ``matched_by``.
        notes: what the reader should know (an ALPN override applied or absent, ...).
    """

    kind: str
    sni: str | None = None
    alpn: tuple[str, ...] = ()
    socket_match: str | None = None
    why: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def tls(self) -> bool:
        """Whether the connection is TLS (mTLS or plain TLS)."""
        return self.kind in ("mtls", "tls")

    def describe(self) -> str:
        """One line: ``Istio mTLS (SNI ..., ALPN ...)`` or ``plaintext``."""
        if not self.tls:
            return self.kind
        what = "Istio mTLS" if self.kind == "mtls" and self.sni and self.sni.startswith("outbound_") else self.kind
        return f"{what} (SNI {self.sni or '-'}, ALPN {', '.join(self.alpn) or '-'})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {"kind": self.kind, "sni": self.sni, "alpn": list(self.alpn), "socket_match": self.socket_match,
                "why": self.why, "notes": list(self.notes)}


def _socket_meta(metadata: Any) -> dict[str, Any]:
    meta = ((metadata or {}).get("filter_metadata") or {}).get("envoy.transport_socket_match")
    return meta if isinstance(meta, dict) else {}


def _matches(want: dict[str, Any], have: dict[str, Any]) -> bool:
    return all(k in have and have[k] == v for k, v in want.items())


def _from_socket(socket: dict[str, Any] | None, chosen: str | None, why: str) -> Transport:
    if not socket:
        return Transport("plaintext", socket_match=chosen, why=why)
    typed = socket.get("typed_config") or {}
    type_url = str(typed.get("@type", ""))
    if "RawBuffer" in type_url or socket.get("name") == "envoy.transport_sockets.raw_buffer":
        return Transport("plaintext", socket_match=chosen, why=why)
    if "UpstreamTlsContext" not in type_url:
        return Transport("unknown", socket_match=chosen,
                         why=f"{why}; transport socket {socket.get('name') or type_url} is not TLS nor raw_buffer",
                         notes=(f"meshlens cannot tell what transport socket {socket.get('name') or type_url} "
                                "puts on the wire",))
    common = typed.get("common_tls_context") or {}
    has_cert = bool(common.get("tls_certificate_sds_secret_configs") or common.get("tls_certificates"))
    alpn = tuple(str(a) for a in common.get("alpn_protocols") or ())
    return Transport("mtls" if has_cert else "tls", sni=typed.get("sni") or None, alpn=alpn,
                     socket_match=chosen, why=why)


def upstream_transport(cluster_raw: dict[str, Any], lb_endpoint: dict[str, Any] | None,
                       locality_metadata: dict[str, Any] | None = None) -> Transport:
    """The transport Envoy uses from the cluster ``cluster_raw`` to the endpoint ``lb_endpoint`` (raw dicts)."""
    endpoint_meta = _socket_meta((lb_endpoint or {}).get("metadata"))
    locality_meta = _socket_meta(locality_metadata)
    for entry in cluster_raw.get("transport_socket_matches") or ():
        want = entry.get("match") or {}
        name = str(entry.get("name", ""))
        if _matches(want, endpoint_meta) or (not endpoint_meta and _matches(want, locality_meta)):
            shown = ", ".join(f"{k}={v}" for k, v in want.items()) or "any endpoint"
            return _from_socket(entry.get("transport_socket"), name,
                                f"transport_socket_matches {name!r} ({shown}) matches the endpoint's metadata")
    if cluster_raw.get("transport_socket"):
        return _from_socket(cluster_raw["transport_socket"], None, "the cluster's transport_socket")
    return Transport("plaintext", why="the cluster has no transport socket")


def alpn_override(http_filters: list[dict[str, Any]], http_version: str) -> tuple[str, ...] | None:
    """What Istio's ``istio.alpn`` HTTP filter sets as ALPN for ``http_version``, when the filter is there."""
    for flt in http_filters:
        typed = flt.get("typed_config") or {}
        name = str(flt.get("name", ""))
        if name not in ("istio.alpn", "envoy.filters.http.alpn") and "alpn.v2alpha1" not in str(typed.get("@type")):
            continue
        value = typed.get("value") if "TypedStruct" in str(typed.get("@type")) else typed
        for entry in (value or {}).get("alpn_override") or ():
            if entry.get("upstream_protocol", "HTTP10") == _UPSTREAM_PROTOCOL.get(http_version):
                return tuple(str(a) for a in entry.get("alpn_override") or ())
    return None


def with_alpn_override(transport: Transport, http_filters: list[dict[str, Any]] | None, http_version: str,
                       given: tuple[str, ...] | None = None) -> Transport:
    """``transport`` with the ALPN override applied: ``given`` by the user, else the source HCM's ``istio.alpn``
    filter's (else a note that the destination sees the TLS context's list).
    """
    if not transport.tls:
        return transport
    if given is not None:
        return Transport(transport.kind, transport.sni, tuple(given), transport.socket_match,
                         f"{transport.why}; ALPN {', '.join(given)} given (upstream_alpn), not read from the capture",
                         transport.notes)
    if http_filters is None:
        return transport
    override = alpn_override(http_filters, http_version)
    if override is None:
        if any(a.startswith("istio") for a in transport.alpn):
            note = ("the source's HTTP connection manager has no istio.alpn filter, so the connection offers the "
                    f"TLS context's ALPN ({', '.join(transport.alpn)}), not istio-http/*: the destination's "
                    "HTTP mTLS chain (istio-http/1.1, istio-h2) does not match it")
            return Transport(transport.kind, transport.sni, transport.alpn, transport.socket_match, transport.why,
                             (*transport.notes, note))
        return transport
    return Transport(transport.kind, transport.sni, override, transport.socket_match,
                     f"{transport.why}; ALPN {', '.join(override)} set by the source's istio.alpn filter",
                     transport.notes)
