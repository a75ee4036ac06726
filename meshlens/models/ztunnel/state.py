"""ztunnel certificates (``certificates[]``), in-pod proxy state (``workloadState``) and build info."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, ClassVar

from pydantic import model_validator

from meshlens.models.certs import Certificate, CertificateError, decode_certificates, parse_time
from meshlens.models.names import SpiffeId
from meshlens.models.ztunnel._base import ZModel, ZtunnelRecord

_CERT_ENTRY = 'a certificate object {"pem", "serialNumber", "validFrom", "expirationTime"}'


class CertDump(ZModel):
    """One certificate of a ``certChain`` / ``rootCerts`` list.

    The JSON strings are kept as given (``serial_number`` is ztunnel's decimal big integer,
    ``valid_from``/``expiration_time`` RFC 3339). :attr:`certificate` is the decoded X.509 (the
    ``pem`` is base64 of PEM text since 1.21; PEM and DER are accepted too); when the pem does not
    decode, :attr:`certificate` is None and :attr:`decode_error` says why.
    """

    WHAT: ClassVar[str] = _CERT_ENTRY

    pem: str = ""
    serial_number: str = ""
    valid_from: str = ""
    expiration_time: str = ""
    certificate: Certificate | None = None
    decode_error: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _decode(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "certificate" in data:
            return data
        pem = data.get("pem")
        if not isinstance(pem, str):
            return data  # a missing pem is "no certificate"; a non-string one fails validation
        if not pem.strip():
            return {**data, "decodeError": "empty pem"}
        try:
            return {**data, "certificate": decode_certificates(pem)[0]}
        except CertificateError as exc:
            return {**data, "decodeError": str(exc)}

    @property
    def serial_hex(self) -> str | None:
        """The serial as lowercase hex without leading zeros (as istioctl prints it), or None."""
        text = self.serial_number.strip()
        if not text.isascii() or not text.isdigit():
            return None
        return format(int(text), "x")

    @property
    def not_before(self) -> datetime | None:
        """``validFrom`` as a datetime (None when empty or unparsable)."""
        return parse_time(self.valid_from)

    @property
    def not_after(self) -> datetime | None:
        return parse_time(self.expiration_time)

    def is_valid_at(self, now: datetime) -> bool:
        """istioctl's VALID CERT: ``validFrom < now < expirationTime`` by the JSON strings."""
        start, end = self.not_before, self.not_after
        return start is not None and end is not None and start < now < end

    def _identity(self) -> Any:
        return self.pem


class CertsDump(ZtunnelRecord):
    """One ``certificates[]`` entry: a SPIFFE identity, its fetch state and its certificates.

    ``state`` is ``Available``, ``Initializing`` (first fetch pending) or ``Unavailable: <error>``;
    the lists are empty unless Available.

    Shapes: 1.26+ has ``certChain`` (leaf + intermediates) and ``rootCerts``. Up to 1.25 there is
    no ``rootCerts`` (:attr:`root_certs` is None) and the root is the LAST element of
    ``certChain``. Up to 1.21 the keys were snake_case with the leaf in ``ca_cert`` and the rest
    of the chain in ``cert_chain``; they are read as one ``certChain`` (leaf first, root last).
    :meth:`chain_roles` applies istioctl's rule for Leaf / Intermediate / Root.
    """

    WHAT: ClassVar[str] = "a certificate state object"
    EXPECT: ClassVar[dict[str, str]] = {
        "cert_chain": "a list of " + _CERT_ENTRY.replace("a certificate object", "certificate objects"),
        "root_certs": "a list of " + _CERT_ENTRY.replace("a certificate object", "certificate objects"),
    }

    identity: str = ""
    state: str = ""
    cert_chain: tuple[CertDump, ...] = ()
    root_certs: tuple[CertDump, ...] | None = None  # None: the dump predates the split (<= 1.25)

    @model_validator(mode="before")
    @classmethod
    def _legacy_ca_cert(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not ("ca_cert" in data or "caCert" in data):
            return data
        leaf = data.get("ca_cert", data.get("caCert"))
        chain = data.get("cert_chain", data.get("certChain"))
        if not isinstance(leaf, list) or not isinstance(chain, (list, type(None))):
            return data  # wrong types: let validation name the field
        merged = list(leaf) + [c for c in chain or [] if c not in leaf]
        rest = {k: v for k, v in data.items() if k not in ("ca_cert", "caCert", "cert_chain", "certChain")}
        return {**rest, "certChain": merged}

    @property
    def key(self) -> str:
        return self.identity

    @property
    def spiffe_id(self) -> SpiffeId:
        return SpiffeId.parse(self.identity)

    @property
    def is_available(self) -> bool:
        return self.state == "Available"

    @property
    def short_state(self) -> str:
        """``state`` with ``Unavailable: <reason>`` shortened to ``Unavailable`` (istioctl STATUS)."""
        return "Unavailable" if "Unavailable" in self.state else self.state

    @property
    def unavailable_reason(self) -> str | None:
        head, sep, reason = self.state.partition(":")
        return reason.strip() if sep and head.strip() == "Unavailable" else None

    @property
    def root_in_chain(self) -> bool:
        """True when roots are the chain's last element (no ``rootCerts``, or an empty one)."""
        return not self.root_certs

    @property
    def leaf(self) -> CertDump | None:
        return self.cert_chain[0] if self.cert_chain else None

    @property
    def roots(self) -> tuple[CertDump, ...]:
        if self.root_certs:
            return self.root_certs
        return self.cert_chain[-1:] if len(self.cert_chain) > 1 else ()

    def chain_roles(self) -> list[tuple[str, CertDump]]:
        """``[(role, cert)]`` in istioctl's row order: Leaf, Intermediate..., Root(s)."""
        rows: list[tuple[str, CertDump]] = []
        last = len(self.cert_chain) - 1
        for i, cert in enumerate(self.cert_chain):
            if i == 0:
                role = "Leaf"
            elif i == last and self.root_in_chain:
                role = "Root"
            else:
                role = "Intermediate"
            rows.append((role, cert))
        rows.extend(("Root", cert) for cert in self.root_certs or ())
        return rows

    def all_certs(self) -> tuple[CertDump, ...]:
        return self.cert_chain + (self.root_certs or ())


# ------------------------------------------------------------------------------- in-pod state
class Connection(ZModel):
    """An inbound or outbound connection of a pod (``ip:port`` strings)."""

    WHAT: ClassVar[str] = 'a connection object {"src", "originalDst", "actualDst", "protocol"}'

    src: str = ""
    original_dst: str | None = None  # inbound: service hostname or null; outbound: "ip:port"
    actual_dst: str = ""
    protocol: str = ""  # TCP | HBONE | DOUBLEHBONE


class Connections(ZModel):
    """A pod's connections as ztunnel reports them: inbound and outbound."""

    WHAT: ClassVar[str] = 'a connections object {"inbound": [...], "outbound": [...]}'

    inbound: tuple[Connection, ...] = ()
    outbound: tuple[Connection, ...] = ()


class WorkloadInfo(ZModel):
    """The pod a ztunnel workload state belongs to: name, namespace, service account, trust domain."""

    WHAT: ClassVar[str] = 'a pod info object {"name", "namespace", "serviceAccount"}'

    name: str = ""
    namespace: str = ""
    service_account: str = ""
    trust_domain: str = ""


class WorkloadState(ZtunnelRecord):
    """A ``workloadState`` entry (in-pod mode): one pod ztunnel proxies, keyed by pod UID."""

    WHAT: ClassVar[str] = "a workload state object"

    pod_uid: str = ""
    state: str = ""  # Pending | Up
    info: WorkloadInfo = WorkloadInfo()
    connections: Connections | None = None

    @property
    def key(self) -> str:
        return self.pod_uid or f"{self.info.namespace}/{self.info.name}"

    @property
    def inbound(self) -> tuple[Connection, ...]:
        return self.connections.inbound if self.connections else ()

    @property
    def outbound(self) -> tuple[Connection, ...]:
        return self.connections.outbound if self.connections else ()


_RELEASE_RE = re.compile(r"v?(\d+\.\d+\.\d+(?:-(?:alpha|beta|rc)\.?\d*)?)(?:-\d+-g[0-9a-f]+)?(?:$|[-+])")


class BuildInfo(ZModel):
    """``version``: ztunnel's build information."""

    WHAT: ClassVar[str] = "a build info object"

    version: str = ""
    git_revision: str = ""
    git_tag: str = ""  # older builds
    rust_version: str = ""
    build_profile: str = ""
    build_status: str = ""
    istio_version: str = ""
    crypto_provider: str = ""  # 1.27+

    @property
    def release(self) -> str | None:
        """The Istio release of this ztunnel: ``istioVersion``, else the release ``gitTag`` names (1.24 and
        older builds say ``istioVersion: "unknown"`` and ``gitTag: "1.24.0-2-g4c7cdf1"``), else ``version``.
        """
        for candidate in (self.istio_version, self.git_tag, self.version):
            if candidate and candidate.strip().lower() != "unknown":
                found = _RELEASE_RE.match(candidate.strip())
                return found.group(1) if found else candidate.strip()
        return None
