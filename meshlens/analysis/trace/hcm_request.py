"""The request as Envoy's router sees it: what the HTTP connection manager changes before routing.

In Envoy's order (``ConnectionManagerImpl::ActiveStream::decodeHeaders``), checked against Envoy 1.40
in the lab:

0. **Codec**: header values lose surrounding whitespace (:func:`trim_headers`); an HTTP/1.0 request
   is answered 426 unless ``http_protocol_options.accept_http_10``, and one without Host gets
   ``default_host_for_http_10``; a request left without a Host is answered 400.
1. **Path** normalisation (:mod:`meshlens.analysis.trace.paths`): may answer 400 or 307 on its own.
2. **Host**: ``strip_trailing_host_dot`` (``a.example.:80`` -> ``a.example:80``), then
   ``strip_any_host_port`` or ``strip_matching_host_port`` (the port is dropped when it equals the
   connection's local port, i.e. the *original* destination port Envoy restored, not the port the
   capturing listener is bound to). The Host header itself changes, so redirects see it too.
3. **Internal or external** (``ConnectionManagerUtility::mutateRequestHeaders``): under
   ``use_remote_address`` the client address is the connection's peer (or, with
   ``xff_num_trusted_hops``, the ``x-forwarded-for`` entry that many hops from the right) and Envoy
   appends the peer to ``x-forwarded-for``; otherwise the address comes from ``x-forwarded-for``
   itself. The request is *internal* only when that address is trusted (``x-forwarded-for`` held a
   single address, or none before Envoy appended the peer) and is an internal address:
   ``internal_address_config.cidr_ranges``, or by default (Envoy before 1.33) RFC 1918, loopback and
   unique-local addresses, and none at all from Envoy 1.33 on. An internal request gets
   ``x-envoy-internal: true``; an external one loses a client's ``x-envoy-internal`` and the
   ``x-envoy-*`` control headers (``x-envoy-upstream-rq-timeout-ms``, retries, ...) and the route
   configuration's ``internal_only_headers``.
4. **Headers**: ``x-forwarded-proto`` is the connection's scheme when absent, and under
   ``use_remote_address`` overwritten unless trusted hops are configured; ``x-request-id`` is generated
   when absent (unless ``generate_request_id: false``) and regenerated for an external request under
   ``use_remote_address`` (unless ``preserve_external_request_id``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from meshlens.analysis.trace.model import Disposition, Trace
from meshlens.analysis.trace.paths import normalize
from meshlens.analysis.trace.request import Request, split_host_port
from meshlens.analysis.trace.walk import Walk
from meshlens.models.addresses import longest_prefix, parse_ip
from meshlens.models.envoy.listener import HttpConnectionManager

GENERATED_REQUEST_ID = "00000000-0000-4000-8000-000000000000"  # stands for the UUID Envoy generates


EXTERNAL_STRIPPED = (  # x-envoy-* control headers an external request may not set (cleanInternalHeaders)
    "x-envoy-internal", "x-envoy-retriable-status-codes", "x-envoy-retriable-header-names", "x-envoy-retry-on",
    "x-envoy-retry-grpc-on", "x-envoy-max-retries", "x-envoy-upstream-alt-stat-name",
    "x-envoy-upstream-rq-timeout-ms", "x-envoy-upstream-rq-per-try-timeout-ms",
    "x-envoy-upstream-rq-timeout-alt-response", "x-envoy-expected-rq-timeout-ms", "x-envoy-force-trace",
    "x-envoy-ip-tags", "x-envoy-original-url", "x-envoy-hedge-on-per-try-timeout",
)
EDGE_STRIPPED = ("x-envoy-decorator-operation", "x-envoy-downstream-service-cluster",
                 "x-envoy-downstream-service-node")
DEFAULT_INTERNAL = (("10.0.0.0", 8), ("172.16.0.0", 12), ("192.168.0.0", 16), ("127.0.0.0", 8), ("fc00::", 7),
                    ("::1", 128))
EXPLICIT_INTERNAL_SINCE = (1, 33)  # from this Envoy version no address is internal unless configured
PROTOCOLS = {"1.0": "HTTP/1.0", "1.1": "HTTP/1.1", "2": "HTTP/2", "h2c": "HTTP/2", "2.0": "HTTP/2"}
_OWS = " \t"


def trim_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]] | None) -> tuple[list[tuple[str, str]],
                                                                                      list[str]]:
    """Header pairs as Envoy's codecs deliver them (lowercase names, values without surrounding
    whitespace), and the names whose values were trimmed.
    """
    items = headers.items() if isinstance(headers, Mapping) else (headers or ())
    out: list[tuple[str, str]] = []
    trimmed: list[str] = []
    for name, value in items:
        key, raw = str(name).strip().lower(), str(value)
        clean = raw.strip(_OWS)
        if clean != raw and key not in trimmed:
            trimmed.append(key)
        out.append((key, clean))
    return out, trimmed


@dataclass(frozen=True)
class Downstream:
    """What the connection manager knows about the connection a request came on."""

    dst_port: int  # the local (original destination) port
    src_ip: str | None  # None: unknown (assumed external)
    tls: bool = False
    src_port: int | None = None
    dst_ip: str | None = None
    http_version: str = "1.1"
    has_host: bool = True

    @property
    def protocol(self) -> str:
        """The protocol as ``%PROTOCOL%`` prints it."""
        return PROTOCOLS.get(self.http_version, "HTTP/1.1")

    @property
    def remote(self) -> str | None:
        """The client's ``ip:port`` (``[v6]:port``), when known."""
        return _address(self.src_ip, self.src_port)

    @property
    def local(self) -> str | None:
        """The connection's local ``ip:port``, when known."""
        return _address(self.dst_ip, self.dst_port)


def _address(ip: str | None, port: int | None) -> str | None:
    if ip is None:
        return None
    host = f"[{ip}]" if ":" in ip else ip
    return f"{host}:{port if port is not None else 0}"


@dataclass(frozen=True)
class Prepared:
    """The request as the HTTP connection manager hands it to routing, and whether it counts as internal."""

    request: Request
    internal: bool


def hcm_option(hcm: HttpConnectionManager, name: str) -> Any:
    """An HCM field meshlens' model does not declare (kept in ``model_extra``)."""
    return (hcm.model_extra or {}).get(name)


def _version(walk: Walk) -> tuple[int, int] | None:
    node = walk.proxy.node
    version = node.envoy_version if node is not None else None
    m = re.match(r"(\d+)\.(\d+)", version or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


def _internal_ranges(walk: Walk, hcm: HttpConnectionManager) -> tuple[list[tuple[str, int]], str]:
    config = hcm_option(hcm, "internal_address_config")
    if isinstance(config, dict):
        ranges = config.get("cidr_ranges") or ()
        cidrs = [(str(r.get("address_prefix", "")), int(r.get("prefix_len") or 0))
                 for r in ranges if isinstance(r, dict)]
        return cidrs, "internal_address_config"
    version = _version(walk)
    if version is None or version >= EXPLICIT_INTERNAL_SINCE:
        return [], (f"Envoy {'.'.join(map(str, version))}" if version else "the Envoy version is unknown; as Envoy "
                    "1.33+") + " treats no address as internal without internal_address_config"
    return list(DEFAULT_INTERNAL), (f"Envoy {'.'.join(map(str, version))} treats RFC 1918, loopback and "
                                    "unique-local addresses as internal by default")


def _xff_entry(value: str | None, skip: int) -> tuple[str | None, bool]:
    """The ``x-forwarded-for`` entry ``skip`` places from the right, and whether it is the only one."""
    if not value:
        return None, False
    entries = [e.strip() for e in value.split(",")]
    if len(entries) <= skip:
        return None, False
    entry = entries[len(entries) - 1 - skip]
    return (entry if parse_ip(entry) is not None else None), len(entries) == 1


def _internal(walk: Walk, hcm: HttpConnectionManager, headers: dict[str, str], down: Downstream) -> bool:
    """Envoy's internal/external decision; appends the peer to ``x-forwarded-for`` as Envoy does."""
    hops = int(hcm_option(hcm, "xff_num_trusted_hops") or 0)
    xff = headers.get("x-forwarded-for")
    if hcm.use_remote_address:
        trusted = xff is None
        remote = _xff_entry(xff, hops - 1)[0] if hops > 0 else None
        remote = remote or down.src_ip
        if not hcm_option(hcm, "skip_xff_append") and down.src_ip is not None:
            headers["x-forwarded-for"] = f"{xff},{down.src_ip}" if xff else down.src_ip
    else:
        remote, trusted = _xff_entry(xff, hops)
    if not trusted or remote is None:
        return False
    cidrs, source = _internal_ranges(walk, hcm)
    internal = longest_prefix(cidrs, remote) is not None
    walk.assumptions.append(f"client address {remote} is {'internal' if internal else 'external'} ({source})")
    return internal


def _authority(walk: Walk, hcm: HttpConnectionManager, authority: str, dst_port: int) -> str:
    steps = []
    host, port = split_host_port(authority)
    if hcm_option(hcm, "strip_trailing_host_dot") and host.endswith(".") and len(host) > 1:
        host = host[:-1]
        steps.append("strip_trailing_host_dot")
    if port is not None and hcm.strip_any_host_port:
        port = None
        steps.append("strip_any_host_port")
    elif port is not None and hcm.strip_matching_host_port and port == dst_port:
        port = None
        steps.append(f"strip_matching_host_port (port {dst_port} is the connection's original destination port)")
    if not steps:
        return authority
    new = host if port is None else f"{host}:{port}"
    walk.hop("request", new, f"Host {authority!r} -> {new!r} before routing: {', '.join(steps)}")
    return new


def _headers(walk: Walk, hcm: HttpConnectionManager, headers: dict[str, str], down: Downstream,
             internal: bool) -> dict[str, str]:
    out = dict(headers)
    scheme = "https" if down.tls else "http"
    conn = f"the {'TLS' if down.tls else 'plaintext'} connection's scheme"
    sent = out.get("x-forwarded-proto")
    added = []
    hops = int(hcm_option(hcm, "xff_num_trusted_hops") or 0)
    if hcm.use_remote_address and sent != scheme and (hops == 0 or sent is None):
        out["x-forwarded-proto"] = scheme
        was = f", overwriting the client's {sent!r} (use_remote_address)" if sent is not None else ""
        added.append(f"x-forwarded-proto: {scheme} ({conn}{was})")
    elif sent is None:
        out["x-forwarded-proto"] = scheme
        added.append(f"x-forwarded-proto: {scheme} ({conn})")
    if hcm_option(hcm, "generate_request_id") is not False:
        if "x-request-id" not in out:
            out["x-request-id"] = GENERATED_REQUEST_ID
            added.append("x-request-id (a generated UUID)")
        elif hcm.use_remote_address and not internal and not hcm_option(hcm, "preserve_external_request_id"):
            out["x-request-id"] = GENERATED_REQUEST_ID
            added.append("x-request-id (a generated UUID replaces an external request's own)")
    if added:
        walk.assumptions.append("the connection manager sets " + " and ".join(added) + " before routing")
    return out


def _sanitize(walk: Walk, headers: dict[str, str], internal: bool, edge: bool,
              internal_only: list[str]) -> None:
    if internal:
        headers["x-envoy-internal"] = "true"
        return
    names = EXTERNAL_STRIPPED + (EDGE_STRIPPED if edge else ()) + tuple(h.lower() for h in internal_only)
    dropped = [n for n in names if headers.pop(n, None) is not None]
    if dropped:
        walk.assumptions.append("the connection manager removes from this external request: " + ", ".join(dropped))


def _codec(walk: Walk, hcm: HttpConnectionManager, req: Request, down: Downstream) -> Request | Trace:
    """HTTP/1.0 acceptance and the Host of a request that has none."""
    options = hcm_option(hcm, "http_protocol_options") or {}
    if down.http_version == "1.0" and not options.get("accept_http_10"):
        walk.notes.append("HTTP/1.0 is refused: the connection manager's http_protocol_options.accept_http_10 is "
                          "not set, so Envoy's codec answers 426 Upgrade Required")
        return walk.done(Disposition.DIRECT_RESPONSE, response_code=426)
    if down.has_host:
        return req
    default = options.get("default_host_for_http_10")
    if down.http_version == "1.0" and default:
        walk.hop("request", str(default), f"no Host header: default_host_for_http_10 {default!r}")
        return Request(authority=str(default), path=req.path, method=req.method, scheme=req.scheme,
                       headers=req.headers, repeated=req.repeated)
    walk.notes.append("the request has no Host (:authority): Envoy answers 400 before routing")
    return walk.done(Disposition.DIRECT_RESPONSE, response_code=400)


def prepare(walk: Walk, hcm: HttpConnectionManager, req: Request, down: Downstream) -> Prepared | Trace:
    """``req`` as the router sees it, or the connection manager's own local reply (a Trace)."""
    coded = _codec(walk, hcm, req, down)
    if isinstance(coded, Trace):
        return coded
    req = coded
    grpc = (req.header("content-type") or "").startswith("application/grpc")
    result = normalize(req.path, hcm.normalize_path, hcm.merge_slashes, hcm.path_with_escaped_slashes_action, grpc)
    if result.steps:
        walk.hop("request", result.path, "path rewritten before routing: " + "; ".join(result.steps))
    if result.action == "reject":
        walk.notes.append("the connection manager rejects the path with 400 (path normalization failed) before "
                          "routing: traced as DIRECT_RESPONSE, Envoy's local reply")
        return walk.done(Disposition.DIRECT_RESPONSE, response_code=400)
    if result.action == "redirect":
        walk.notes.append(f"UNESCAPE_AND_REDIRECT: the connection manager answers 307 to {result.path!r} "
                          "(relative Location) before routing")
        return walk.done(Disposition.REDIRECT, response_code=307, redirect_location=result.path)
    authority = _authority(walk, hcm, req.authority, down.dst_port)
    raw = dict(req.headers)
    internal = _internal(walk, hcm, raw, down)
    internal_only = list(hcm.route_config.internal_only_headers) if hcm.route_config is not None else []
    _sanitize(walk, raw, internal, bool(hcm.use_remote_address) and not internal, internal_only)
    headers = _headers(walk, hcm, raw, down, internal)
    repeated = {k: v for k, v in req.repeated.items() if headers.get(k) == ",".join(v)}  # untouched by the HCM
    return Prepared(Request(authority=authority, path=result.path, method=req.method,
                            scheme=headers["x-forwarded-proto"], headers=headers, repeated=repeated), internal)
