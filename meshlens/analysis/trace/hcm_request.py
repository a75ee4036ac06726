"""The request as Envoy's router sees it: what the HTTP connection manager changes before routing.

In Envoy's order (``ConnectionManagerImpl::ActiveStream::decodeHeaders``), all checked against
Envoy 1.40 in the lab:

1. **Path** normalisation (:mod:`meshlens.analysis.trace.paths`): may answer 400 or 307 on its own.
2. **Host**: ``strip_trailing_host_dot`` (``a.example.:80`` -> ``a.example:80``), then
   ``strip_any_host_port`` or ``strip_matching_host_port`` (the port is dropped when it equals the
   connection's local port, i.e. the *original* destination port Envoy restored, not the port the
   capturing listener is bound to). The Host header itself changes, so redirects see it too.
3. **Headers**: ``x-forwarded-proto`` is the connection's scheme when absent, and always under
   ``use_remote_address`` (a client's value is overwritten); ``x-request-id`` is generated when absent
   (unless ``generate_request_id: false``) and regenerated for an external request under
   ``use_remote_address`` (unless ``preserve_external_request_id``).

A request is *internal* (``x-envoy-internal``, which ``require_tls: EXTERNAL_ONLY`` looks at) only
under ``use_remote_address`` when the client address is in ``internal_address_config.cidr_ranges``:
Envoy 1.40 treats no address as internal by default and drops a client's own ``x-envoy-internal``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from meshlens.analysis.trace.model import Disposition, Trace
from meshlens.analysis.trace.paths import normalize
from meshlens.analysis.trace.request import Request, split_host_port
from meshlens.analysis.trace.walk import Walk
from meshlens.models.addresses import longest_prefix
from meshlens.models.envoy.listener import HttpConnectionManager

GENERATED_REQUEST_ID = "00000000-0000-4000-8000-000000000000"  # stands for the UUID Envoy generates


@dataclass(frozen=True)
class Downstream:
    """What the connection manager knows about the connection a request came on."""

    dst_port: int  # the local (original destination) port
    src_ip: str | None  # None: unknown (assumed external)
    tls: bool = False


@dataclass(frozen=True)
class Prepared:
    """The request as the HTTP connection manager hands it to routing, and whether it counts as internal."""

    request: Request
    internal: bool


def hcm_option(hcm: HttpConnectionManager, name: str) -> Any:
    """An HCM field meshlens' model does not declare (kept in ``model_extra``)."""
    return (hcm.model_extra or {}).get(name)


def _is_internal(hcm: HttpConnectionManager, src_ip: str | None) -> bool:
    if not hcm.use_remote_address or not src_ip:
        return False
    ranges = (hcm_option(hcm, "internal_address_config") or {}).get("cidr_ranges") or ()
    cidrs = [(str(r.get("address_prefix", "")), int(r.get("prefix_len") or 0)) for r in ranges if isinstance(r, dict)]
    return longest_prefix(cidrs, src_ip) is not None


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
    if hcm.use_remote_address and sent != scheme:
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


def prepare(walk: Walk, hcm: HttpConnectionManager, req: Request, down: Downstream) -> Prepared | Trace:
    """``req`` as the router sees it, or the connection manager's own local reply (a Trace)."""
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
    internal = _is_internal(hcm, down.src_ip)
    authority = _authority(walk, hcm, req.authority, down.dst_port)
    headers = _headers(walk, hcm, dict(req.headers), down, internal)
    return Prepared(Request(authority=authority, path=result.path, method=req.method,
                            scheme=headers["x-forwarded-proto"], headers=headers), internal)
