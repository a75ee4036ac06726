"""Every certificate a capture shows, per proxy, once: Envoy SDS secrets, ``/certs``, ztunnel certificates.

Sources and precedence (one observation per certificate and proxy):

1. Envoy secrets of the config dump (the PEM is there: dates, chain and issuer can be verified).
   Trust bundles (validation contexts such as ``ROOTCA``) first, so a root that is also the last
   element of the ``default`` chain is attributed to the bundle. Static secrets count only when a
   listener or cluster TLS context refers to them by name (Envoy loads no other; ``/certs`` does
   not list them either), or when the capture has no listeners and clusters to tell.
2. ``/certs`` entries whose serial no secret already showed (only dates and SANs, no PEM).
3. ztunnel ``certificates[]`` in state ``Available`` (decoded ``pem``; roots shared by several
   identities are observed once).

``rotated`` marks the certificates istio-agent and ztunnel renew at half their lifetime: SPIFFE
leaves delivered by SDS, listed by ``/certs``, or held by ztunnel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from meshlens.index.secrets import referenced_secrets
from meshlens.models.base import Location
from meshlens.models.certs import Certificate
from meshlens.models.derived import Fact
from meshlens.models.snapshot import EnvoyProxy, Snapshot
from meshlens.models.ztunnel import CertDump, Ztunnel
from meshlens.results import Subject


@dataclass(frozen=True)
class CertObs:
    """One certificate as one proxy holds it."""

    subject: Subject
    location: Location
    role: str  # leaf | intermediate | root
    where: str  # "secret default", "/certs", "ztunnel certificate of spiffe://..."
    identity: str  # SPIFFE id / first SAN / subject DN
    serial: str  # lowercase hex, no leading zeros
    not_before: datetime | None
    not_after: datetime | None
    cert: Certificate | None = None  # decoded X.509, when the capture has the PEM
    rotated: bool = False
    static_secret: str | None = None  # the static secret it came from (in use only if referenced)

    @property
    def lifetime_seconds(self) -> float | None:
        if self.not_before is None or self.not_after is None:
            return None
        return (self.not_after - self.not_before).total_seconds()

    def describe(self) -> str:
        return f"{self.role} certificate {self.identity} (serial {self.serial}) in {self.where}"


@dataclass(frozen=True)
class Holder:
    """A proxy (Envoy or ztunnel) and what it holds: certificates, leaves to verify, trust roots."""

    name: str
    kind: str  # envoy | ztunnel
    certs: tuple[CertObs, ...]
    # (leaf, intermediates offered with it, trust roots it must chain to)
    chains: tuple[tuple[CertObs, tuple[Certificate, ...], tuple[Certificate, ...]], ...]
    roots: tuple[CertObs, ...]  # the trust roots (serial identifies them across proxies)
    roots_subject: Subject | None
    proxy: EnvoyProxy | None = None

    def in_use(self, obs: CertObs) -> bool:
        """False for a certificate of a static secret no TLS context refers to (Envoy never loads it).

        Finding that out walks every TLS context of the proxy, so checks ask only about a
        certificate they would flag.
        """
        if obs.static_secret is None or self.proxy is None:
            return True
        referenced = self._referenced_statics
        return referenced is None or obs.static_secret in referenced

    @cached_property
    def _referenced_statics(self) -> set[str] | None:
        """The static secrets some TLS context names (None: the capture cannot tell); computed once."""
        assert self.proxy is not None
        statics = {o.static_secret for o in self.certs if o.static_secret is not None}
        return referenced_secrets(self.proxy, statics)


def norm_serial(serial: str) -> str:
    return serial.strip().lower().lstrip("0") or "0"


def _identity(cert: Certificate) -> str:
    return cert.spiffe_id or (cert.sans[0] if cert.sans else "") or cert.subject or "(no subject)"


# --------------------------------------------------------------------------------- Envoy secrets
def _envoy_holder(proxy: EnvoyProxy) -> Holder:
    certs: list[CertObs] = []
    seen: set[str] = set()
    chains: list[tuple[CertObs, tuple[Certificate, ...]]] = []
    roots: list[CertObs] = []
    roots_subject: Subject | None = None
    # SDS secrets are in use (Envoy subscribes only to what a TLS context names); static ones are
    # judged lazily (Holder.in_use), except trust bundles, which decide the proxy's roots.
    static_bundles = [s for s in proxy.valid_secrets if s.state == "static" and s.raw.get("validation_context")]
    referenced = referenced_secrets(proxy, {s.name for s in static_bundles}) if static_bundles else None
    secrets = [s for s in proxy.valid_secrets if s.state != "rejected" and not (
        s in static_bundles and referenced is not None and s.name not in referenced)]
    # Trust bundles first: a root shipped at the end of a chain belongs to its bundle.
    secrets.sort(key=lambda s: 0 if s.raw.get("validation_context") is not None else 1)
    for res in secrets:
        decoded = res.certificates
        if not decoded:
            continue
        bundle = res.raw.get("validation_context") is not None and res.raw.get("tls_certificate") is None
        subject = Subject(proxy.name, "secret", res.name)
        chain_obs: list[CertObs] = []
        for i, cert in enumerate(decoded):
            role = "root" if bundle else ("leaf" if i == 0 and not cert.is_ca else
                                          ("root" if cert.is_ca and cert.issuer == cert.subject else "intermediate"))
            obs = CertObs(subject, res.location, role, f"secret {res.name}", _identity(cert),
                          norm_serial(cert.serial_number), cert.not_before, cert.not_after, cert,
                          rotated=role == "leaf" and res.state != "static" and cert.spiffe_id is not None,
                          static_secret=res.name if res.state == "static" else None)
            chain_obs.append(obs)
            if bundle:
                roots.append(obs)
                roots_subject = roots_subject or subject
            if cert.fingerprint_sha256 not in seen:
                seen.add(cert.fingerprint_sha256)
                certs.append(obs)
        if not bundle and chain_obs and chain_obs[0].role == "leaf":
            chains.append((chain_obs[0], tuple(o.cert for o in chain_obs[1:] if o.cert is not None)))
    serials = {o.serial for o in certs}
    if proxy.certs:
        certs.extend(_from_admin_certs(proxy, serials))
    trust = tuple(o.cert for o in roots if o.cert is not None)
    return Holder(proxy.name, "envoy", tuple(certs),
                  tuple((leaf, inter, trust) for leaf, inter in chains if leaf.cert and leaf.cert.spiffe_id),
                  tuple(roots), roots_subject, proxy)


def _from_admin_certs(proxy: EnvoyProxy, serials: set[str]) -> list[CertObs]:
    """``/certs`` entries not already seen in the secrets (one per serial)."""
    from meshlens.checks._util import source_location

    out: list[CertObs] = []
    seen = set(serials)
    base = source_location(proxy, ("envoy-certs",))
    for i, entry in enumerate(proxy.certs or ()):
        for key, items in (("cert_chain", entry.cert_chain), ("ca_cert", entry.ca_cert)):
            for j, details in enumerate(items):
                serial = norm_serial(details.serial_number)
                if serial in seen:
                    continue
                seen.add(serial)
                role = "root" if key == "ca_cert" else ("leaf" if j == 0 else "intermediate")
                ident = details.spiffe_id or (details.sans[0] if details.sans else f"serial {serial}")
                name = ident if role == "leaf" else f"{role} {serial}"
                out.append(CertObs(Subject(proxy.name, "certificate", name),
                                   base.child(f".certificates[{i}].{key}[{j}]"), role, "/certs", ident, serial,
                                   details.valid_from, details.expiration_time,
                                   rotated=role == "leaf" and details.spiffe_id is not None))
    return out


# --------------------------------------------------------------------------------------- ztunnel
def _ztunnel_holder(z: Ztunnel) -> Holder:
    certs: list[CertObs] = []
    seen: set[str] = set()
    chains: list[tuple[CertObs, tuple[Certificate, ...], tuple[Certificate, ...]]] = []
    roots: dict[str, CertObs] = {}
    for entry in z.certificates:
        if not entry.is_available:
            continue
        leaf_obs: CertObs | None = None
        inter: list[Certificate] = []
        trust: list[Certificate] = []
        for role_name, dump in entry.chain_roles():
            obs = _ztunnel_obs(z, entry.identity, entry.location, role_name.lower(), dump)
            if obs.role == "leaf":
                leaf_obs = obs
            elif obs.role == "root":
                roots.setdefault(obs.serial, obs)
                if dump.certificate is not None:
                    trust.append(dump.certificate)
            elif dump.certificate is not None:
                inter.append(dump.certificate)
            key = dump.certificate.fingerprint_sha256 if dump.certificate else f"{obs.serial}/{obs.not_after}"
            if key not in seen:
                seen.add(key)
                certs.append(obs)
        if leaf_obs is not None and leaf_obs.cert is not None:
            chains.append((leaf_obs, tuple(inter), tuple(trust)))
    subject = Subject(z.name, "certificate", "rootCerts") if roots else None
    return Holder(z.name, "ztunnel", tuple(certs), tuple(chains), tuple(roots.values()), subject)


def _ztunnel_obs(z: Ztunnel, identity: str, location: Location, role: str, dump: CertDump) -> CertObs:
    cert = dump.certificate
    serial = norm_serial(cert.serial_number) if cert else (dump.serial_hex or dump.serial_number or "?")
    name = identity if role == "leaf" else f"{role} {serial}"
    return CertObs(Subject(z.name, "certificate", name), location, role, f"ztunnel certificate of {identity}",
                   _identity(cert) if cert else identity, serial,
                   cert.not_before if cert else dump.not_before, cert.not_after if cert else dump.not_after,
                   cert, rotated=role == "leaf")


# ------------------------------------------------------------------------------------------ all
# An Envoy's certificates, read once per proxy whichever certificate checks run.
HOLDER: Fact[EnvoyProxy, Holder] = Fact("checks.certs", _envoy_holder)


def holders(snapshot: Snapshot) -> list[Holder]:
    """Every proxy of the snapshot that holds certificates, with them (cached per proxy)."""
    out: list[Holder] = []
    for proxy in snapshot.proxies:
        out.append(HOLDER.of(proxy))
    out.extend(_ztunnel_holder(z) for z in snapshot.ztunnels)
    return [h for h in out if h.certs or h.roots]


def chains_to_roots(leaf: Certificate, intermediates: tuple[Certificate, ...], roots: tuple[Certificate, ...]) -> bool:
    """True when ``leaf`` verifies up to one of ``roots`` through ``intermediates`` (signatures)."""
    trusted = {r.fingerprint_sha256 for r in roots}
    pool = [*intermediates, *roots]
    current = leaf
    for _ in range(len(pool) + 1):
        if current.fingerprint_sha256 in trusted:
            return True
        issuer = next((c for c in pool if c.fingerprint_sha256 != current.fingerprint_sha256
                       and current.issued_by(c)), None)
        if issuer is None:
            return False
        current = issuer
    return False
