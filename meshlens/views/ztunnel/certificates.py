"""``istioctl ztunnel-config certificate``: each identity's certificates, judged at ``now``."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from meshlens.models import clock
from meshlens.models.ztunnel import CertDump, CertsDump, Ztunnel
from meshlens.views.base import Table
from meshlens.views.ztunnel._common import go_rfc3339, is_set

HEADERS = ["CERTIFICATE NAME", "TYPE", "STATUS", "VALID CERT", "SERIAL NUMBER", "NOT AFTER", "NOT BEFORE"]
PADDING = 5  # istioctl lays this table out with padding 5 (the others use 1)

_DECIMAL_RE = re.compile(r"^[+-]?[0-9]+$")


class CertificateRow(BaseModel):
    """One certificate of an identity (or one ``NA`` row for an identity without certificates)."""

    identity: str
    type: str  # Leaf | Intermediate | Root | NA
    status: str  # Available | Initializing | Unavailable
    valid: bool  # validFrom < now < expirationTime
    serial_number: str | None  # lowercase hex, as istioctl prints it; None when absent/unreadable
    not_after: datetime | None
    not_before: datetime | None
    expiration_time: str  # the dump's text of the dates
    valid_from: str
    state: str  # ztunnel's full state ("Unavailable: <reason>")

    def cells(self) -> list[str]:
        if self.type == "NA":
            return [self.identity, "NA", self.status, "false", "NA", "NA", "NA"]
        serial = self.serial_number if self.serial_number is not None else "<nil>"
        return [self.identity, self.type, self.status, "true" if self.valid else "false", serial,
                self.expiration_time or "NA", self.valid_from or "NA"]


def serial_hex(serial_number: str) -> str | None:
    """Go ``big.Int.SetString(s, 10)`` then ``%x``: None where Go gets no number (printed ``<nil>``)."""
    if not _DECIMAL_RE.match(serial_number):
        return None
    return format(int(serial_number), "x")


def is_valid(cert: CertDump, now: datetime) -> bool:
    """istioctl's VALID CERT: both dates parse as RFC 3339 and ``validFrom < now < expirationTime``."""
    start, end = go_rfc3339(cert.valid_from), go_rfc3339(cert.expiration_time)
    return start is not None and end is not None and start < now < end


def _row(certs: CertsDump, role: str, cert: CertDump | None, now: datetime) -> CertificateRow:
    if cert is None:
        return CertificateRow(identity=certs.identity, type="NA", status=certs.short_state, valid=False,
                              serial_number=None, not_after=None, not_before=None, expiration_time="",
                              valid_from="", state=certs.state)
    return CertificateRow(identity=certs.identity, type=role, status=certs.short_state, valid=is_valid(cert, now),
                          serial_number=serial_hex(cert.serial_number), not_after=go_rfc3339(cert.expiration_time),
                          not_before=go_rfc3339(cert.valid_from), expiration_time=cert.expiration_time,
                          valid_from=cert.valid_from, state=certs.state)


def _cert_json(cert: CertDump) -> dict[str, Any]:
    return {"pem": cert.pem, "serialNumber": cert.serial_number, "validFrom": cert.valid_from,
            "expirationTime": cert.expiration_time}


def certs_json(certs: CertsDump) -> dict[str, Any]:
    """The entry as istioctl re-marshals it (``CertsDump``; a list the dump lacks is ``null``)."""
    chain = [_cert_json(c) for c in certs.cert_chain] if is_set(certs, "cert_chain") else None
    roots = None if certs.root_certs is None else [_cert_json(c) for c in certs.root_certs]
    return {"identity": certs.identity, "state": certs.state, "certChain": chain, "rootCerts": roots}


def certificate_view(z: Ztunnel, *, now: datetime | str | None = None) -> Table:
    """``istioctl ztunnel-config certificate``, in dump order (ztunnel sorts by identity).

    Args:
        z: the ztunnel whose dump is shown.
        now: when VALID CERT is judged (a datetime or RFC 3339 text); default the capture time
            if the source says it, else the wall clock (:mod:`meshlens.models.clock`); a note says which.
    """
    found = clock.resolve_now(now, captured_at=z.captured_at)  # the one rule every command follows
    instant = found.instant
    rows: list[CertificateRow] = []
    for certs in z.certificates:
        if not certs.cert_chain:
            rows.append(_row(certs, "NA", None, instant))
            continue
        rows.extend(_row(certs, role, cert, instant) for role, cert in certs.chain_roles())
    has_key = isinstance(z.raw, dict) and "certificates" in z.raw
    raw = [certs_json(c) for c in z.certificates] if (has_key or z.certificates) else None
    note = found.note() if rows else None  # said beside the table; istioctl's cells are unchanged
    return Table(view="certificate", headers=list(HEADERS), rows=list(rows), cells=[r.cells() for r in rows],
                 padding=PADDING, raw=raw, json_indent=4, notes=[note] if note else [])


__all__ = ["HEADERS", "PADDING", "CertificateRow", "certificate_view", "certs_json", "is_valid", "serial_hex"]
