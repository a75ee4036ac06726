"""``pc secret``: warming then active dynamic secrets, with the first certificate of each.

``RESOURCE NAME  TYPE  STATUS  VALID CERT  SERIAL NUMBER  NOT AFTER  NOT BEFORE`` and, only when
every row has one, ``TRUST DOMAIN``. The PEM comes from ``tls_certificate.certificate_chain``, else
``validation_context.trusted_ca``, else one row per trust domain of a
``SPIFFECertValidatorConfig``; only the first PEM block is read. VALID CERT compares the
certificate's validity with ``now``, which is an input: the capture time when the capture says
when it was taken, else the wall clock (istioctl always uses the wall clock).
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from meshlens.encoding.protojson import to_go
from meshlens.models import clock
from meshlens.views.envoy._common import EnvoyTable, by_state, dump_section, require_section

if TYPE_CHECKING:
    from meshlens.models.snapshot import EnvoyProxy

HEADERS = ["RESOURCE NAME", "TYPE", "STATUS", "VALID CERT", "SERIAL NUMBER", "NOT AFTER", "NOT BEFORE"]
NO_SECRETS = "No active or warming secrets found."
_PEM_BLOCK = re.compile(rb"-----BEGIN ([^\r\n-]*)-----\r?\n(.*?)-----END \1-----", re.DOTALL)


class SecretRow(BaseModel):
    """One ``pc secret`` row; the certificate fields are None when there is none or it is unreadable."""

    name: str
    type: str
    status: str
    valid: bool
    serial_number: str | None = None
    not_after: datetime | None = None
    not_before: datetime | None = None
    trust_domain: str | None = None
    sans: list[str] = []
    error: str | None = None


def resolve_now(now: datetime | str | None, proxy: EnvoyProxy | None = None) -> tuple[datetime, str | None]:
    """The instant validity is judged at (the one rule of :mod:`meshlens.models.clock`, as ``check``
    uses), and the note that says so when it was not given with ``--now``.
    """
    found = clock.resolve_now(now, captured_at=getattr(proxy, "captured_at", None),
                              proxies=[proxy] if proxy is not None else [])
    return found.instant, found.note()


_rfc3339 = clock.rfc3339


def _inline_bytes(source: Any) -> str:
    return source.get("inline_bytes", "") if isinstance(source, dict) else ""


def _pem_sources(secret: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(base64 PEM, trust domain of a SPIFFE validator bundle) per row istioctl prints for a secret."""
    tls = found if isinstance(found := secret.get("tls_certificate"), dict) else {}
    chain = _inline_bytes(tls.get("certificate_chain"))
    if chain:
        return [(chain, None)]
    vc = found if isinstance(found := secret.get("validation_context"), dict) else {}
    trusted = _inline_bytes(vc.get("trusted_ca"))
    if trusted:
        return [(trusted, None)]
    custom = vc.get("custom_validator_config")
    config = custom.get("typed_config") if isinstance(custom, dict) else None
    if isinstance(config, dict) and str(config.get("@type", "")).endswith("SPIFFECertValidatorConfig"):
        domains = [d for d in config.get("trust_domains") or () if isinstance(d, dict)]
        if domains:
            return [(_inline_bytes(d.get("trust_bundle")), str(d.get("name", ""))) for d in domains]
    return [("", None)]


def _first_certificate(data: str) -> tuple[Any, str | None]:
    """The first PEM block of base64 ``data`` parsed as a certificate, or (None, why not)."""
    from meshlens.models.certs import CertificateError, decode_certificates

    try:
        pem = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None, "inline_bytes is not base64"
    block = _PEM_BLOCK.search(pem)
    if block is None:
        return None, "no PEM block in the certificate data"
    if block.group(1) != b"CERTIFICATE":
        return None, f"the first PEM block is a {block.group(1).decode(errors='replace')}, not a CERTIFICATE"
    try:
        return decode_certificates(block.group(0))[0], None
    except CertificateError as exc:
        return None, str(exc)


def _spiffe_trust_domain(sans: tuple[str, ...]) -> str | None:
    from meshlens.models.names import SpiffeId

    for san in sans:
        if san.startswith("spiffe://"):
            return SpiffeId.parse(san).trust_domain
    return None


def secret_rows(proxy: EnvoyProxy, now: datetime | str | None = None, *, prefix: str = "") -> tuple[
        list[SecretRow], list[list[str]], list[str], list[str]]:
    """Rows, cells, headers and notes of the secret summary."""
    require_section(proxy, "secrets", "all" if prefix else "secret")
    moment, time_note = resolve_now(now, proxy)
    notes: list[str] = []
    rows: list[SecretRow] = []
    entries = [(r, "WARMING") for r in by_state(proxy.valid_secrets, "warming")]
    entries += [(r, "UNINITIALIZED" if r.version_info == "uninitialized" else "ACTIVE")
                for r in by_state(proxy.valid_secrets, "active")]
    for res, status in entries:
        for data, domain in _pem_sources(res.raw):
            row = SecretRow(name=res.name, type="", status=status, valid=False, trust_domain=domain)
            if data:
                cert, error = _first_certificate(data)
                if cert is None:
                    row.error = error
                    notes.append(f"secret {res.name}: the certificate cannot be parsed ({error})")
                else:
                    row.type = "CA" if cert.is_ca else "Cert Chain"
                    row.valid = cert.not_before < moment < cert.not_after
                    row.serial_number = format(int(cert.serial_number, 16), "032x")
                    row.not_after, row.not_before = cert.not_after, cert.not_before
                    row.sans = list(cert.sans)
                    row.trust_domain = domain or _spiffe_trust_domain(cert.sans)
            rows.append(row)
    headers = list(HEADERS)
    with_domain = bool(rows) and all(r.trust_domain for r in rows)
    if with_domain:
        headers.append("TRUST DOMAIN")
    cells = []
    for r in rows:
        line = [prefix + r.name, r.type, r.status, "true" if r.valid else "false", r.serial_number or "",
                _rfc3339(r.not_after) if r.not_after else "", _rfc3339(r.not_before) if r.not_before else ""]
        cells.append([*line, r.trust_domain or ""] if with_domain else line)
    if time_note and rows:
        notes.append(time_note)
    return rows, cells, headers, notes


def secret_view(proxy: EnvoyProxy, *, now: datetime | str | None = None) -> EnvoyTable:
    """istioctl ``proxy-config secret``; ``-o json`` prints the whole SecretsConfigDump."""
    rows, cells, headers, notes = secret_rows(proxy, now)
    return EnvoyTable(view="secret", headers=headers, rows=list(rows), cells=cells, padding=5, notes=notes,
                      empty_message=NO_SECRETS, json_style="jsonpb", json_indent=4,
                      raw_factory=lambda: secrets_dump(proxy))


def secrets_dump(proxy: EnvoyProxy) -> dict[str, Any]:
    """The SecretsConfigDump as istioctl's ``pc secret -o json`` prints it."""
    sections = dump_section(proxy, "secrets")
    return to_go(sections[0]) if sections else {}
