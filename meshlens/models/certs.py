"""X.509 certificates decoded with ``cryptography``: the one place certificates are parsed.

Captures carry certificates as base64 of PEM text (Envoy ``inline_bytes``, ztunnel ``pem``), as
PEM text (``inline_string``), or as DER. :func:`decode_certificates` accepts all of them and
returns every certificate of a chain, leaf first.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:  # cryptography is imported when a certificate is decoded, not at start-up
    from cryptography import x509

_PEM_MARK = b"-----BEGIN CERTIFICATE-----"
_FRACTION_RE = re.compile(r"(\.\d+)")


class CertificateError(ValueError):
    """The data is not a certificate (with the reason)."""


class Certificate(BaseModel):
    """One decoded X.509 certificate."""

    model_config = ConfigDict(frozen=True)

    subject: str
    issuer: str
    serial_number: str  # lowercase hex, no leading zeros (as istioctl prints it)
    not_before: datetime
    not_after: datetime
    sans: tuple[str, ...] = ()
    is_ca: bool = False
    fingerprint_sha256: str
    pem: str

    @property
    def uri_sans(self) -> tuple[str, ...]:
        return tuple(s for s in self.sans if "://" in s)

    @property
    def spiffe_id(self) -> str | None:
        return next((s for s in self.sans if s.startswith("spiffe://")), None)

    @property
    def lifetime_seconds(self) -> float:
        return (self.not_after - self.not_before).total_seconds()

    def is_valid_at(self, now: datetime) -> bool:
        return self.not_before <= now <= self.not_after

    def issued_by(self, other: Certificate) -> bool:
        """True when ``other``'s key verifies this certificate's signature."""
        from cryptography import x509

        try:
            mine = x509.load_pem_x509_certificate(self.pem.encode())
            theirs = x509.load_pem_x509_certificate(other.pem.encode())
            mine.verify_directly_issued_by(theirs)
        except Exception:  # noqa: BLE001 - any failure means "not issued by"
            return False
        return True


def _to_pem_blocks(data: bytes) -> list[bytes] | None:
    if _PEM_MARK in data:
        return [b for b in data.split(b"-----END CERTIFICATE-----") if _PEM_MARK in b]
    return None


def _raw_bytes(data: bytes | str) -> bytes:
    raw = data.encode() if isinstance(data, str) else data
    if _PEM_MARK in raw:
        return raw
    stripped = raw.strip()
    try:
        decoded = base64.b64decode(stripped, validate=True)
    except (binascii.Error, ValueError):
        return raw
    return decoded


def _from_x509(cert: x509.Certificate) -> Certificate:
    from cryptography import x509

    sans: list[str] = []
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        for name in ext:
            value = name.value
            sans.append(str(value))
    except x509.ExtensionNotFound:
        pass
    try:
        is_ca = bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        is_ca = False
    from cryptography.hazmat.primitives.serialization import Encoding

    pem = cert.public_bytes(Encoding.PEM).decode()
    return Certificate(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        serial_number=format(cert.serial_number, "x"),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        sans=tuple(sans),
        is_ca=is_ca,
        fingerprint_sha256=hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest(),
        pem=pem,
    )


def decode_certificates(data: bytes | str) -> list[Certificate]:
    """Decode every certificate in ``data`` (base64 of PEM, PEM text, base64 of DER, or DER).

    Raises:
        CertificateError: when nothing in ``data`` is a certificate, with the reason.
    """
    from cryptography import x509

    raw = _raw_bytes(data)
    blocks = _to_pem_blocks(raw)
    try:
        if blocks:
            return [_from_x509(x509.load_pem_x509_certificate(b + b"-----END CERTIFICATE-----\n"))
                    for b in blocks]
        if not raw:
            raise CertificateError("empty certificate data")
        return [_from_x509(x509.load_der_x509_certificate(raw))]
    except CertificateError:
        raise
    except ValueError as exc:
        raise CertificateError(f"not a certificate: {exc}") from exc


def parse_time(value: str | None) -> datetime | None:
    """Parse an RFC 3339 time (``2026-11-22T12:33:15Z``, with or without fraction); None if empty or
    not a string (a capture's ``last_updated: true`` is no time).
    """
    if not value or not isinstance(value, str):
        return None
    text = value.strip().replace("z", "Z")
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    # Go and protobuf print up to 9 fractional digits; Python 3.10 takes at most 6.
    text = _FRACTION_RE.sub(lambda m: m.group(1)[:7], text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed
