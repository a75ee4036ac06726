"""``extensions.transport_sockets.tls.v3.Secret``: TLS certificates and validation contexts."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from meshlens.models.base import MeshModel
from meshlens.models.certs import Certificate, decode_certificates
from meshlens.models.envoy.core import DataSource, TypedExtensionConfig

REDACTED = ("[redacted]", "W3JlZGFjdGVkXQ==")


class TlsCertificate(MeshModel):
    """Envoy's ``extensions.transport_sockets.tls.v3.TlsCertificate``: certificate chain and key."""

    certificate_chain: DataSource | None = None
    private_key: DataSource | None = None
    private_key_provider: dict[str, Any] | None = None


class ValidationContext(MeshModel):
    """Envoy's ``CertificateValidationContext``: trusted CA and the SANs to match."""

    trusted_ca: DataSource | None = None
    custom_validator_config: TypedExtensionConfig | None = None
    match_subject_alt_names: list[dict[str, Any]] = Field(default_factory=list)
    match_typed_subject_alt_names: list[dict[str, Any]] = Field(default_factory=list)
    crl: DataSource | None = None


class Secret(MeshModel):
    """Envoy's ``extensions.transport_sockets.tls.v3.Secret``: a TLS certificate or a validation context."""

    name: str = ""
    tls_certificate: TlsCertificate | None = None
    validation_context: ValidationContext | None = None
    session_ticket_keys: dict[str, Any] | None = None
    generic_secret: dict[str, Any] | None = None

    @property
    def secret_type(self) -> str:
        if self.tls_certificate is not None:
            return "tls_certificate"
        if self.validation_context is not None:
            return "validation_context"
        if self.session_ticket_keys is not None:
            return "session_ticket_keys"
        if self.generic_secret is not None:
            return "generic_secret"
        return "unknown"

    def _pem_sources(self) -> list[str]:
        sources: list[DataSource | None] = []
        if self.tls_certificate is not None:
            sources.append(self.tls_certificate.certificate_chain)
        if self.validation_context is not None:
            sources.append(self.validation_context.trusted_ca)
            custom = self.validation_context.custom_validator_config
            if custom is not None and custom.typed_config:
                # SPIFFECertValidatorConfig: trust_domains[{name, trust_bundle: DataSource}]
                for domain in custom.typed_config.get("trust_domains", []) or []:
                    bundle = domain.get("trust_bundle") or {}
                    sources.append(DataSource.model_validate(bundle))
        out = []
        for src in sources:
            if src is None:
                continue
            if src.inline_bytes is not None:
                out.append(src.inline_bytes)
            elif src.inline_string is not None:
                out.append(src.inline_string)
        return out

    def certificates(self) -> list[Certificate]:
        """Every certificate the secret carries (chain leaf first, then trusted CAs).

        Raises:
            CertificateError: when inline data is present but is not a certificate.
        """
        certs: list[Certificate] = []
        for data in self._pem_sources():
            certs.extend(decode_certificates(data))
        return certs
