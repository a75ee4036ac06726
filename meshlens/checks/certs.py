"""ML1xxx: certificates of Envoy SDS secrets, ``/certs`` and ztunnel, judged at ``ctx.now``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

from meshlens.checks._certs import CertObs, Holder, chains_to_roots, holders, norm_serial
from meshlens.checks._util import span, when
from meshlens.checks.base import Check, CheckContext, Severity
from meshlens.models.snapshot import Snapshot
from meshlens.models.ztunnel import CertsDump
from meshlens.results import Finding, Subject


class CertExpired(Check):
    """A certificate the proxy presents or trusts is past its notAfter date.

    ## What it checks
    Every certificate of the SDS secrets a proxy uses (``default``, ``ROOTCA``, gateway
    credentials), of ``/certs``, and of ztunnel's ``Available`` certificates, against ``now``
    (``--now``, by default the capture time). X.509 dates are read from the PEM when the capture
    has it; ``/certs`` gives ``expiration_time`` (its ``days_until_expiration`` is ``"0"`` for the
    whole last day, so it is not used).

    ## Why it matters
    Envoy loads an expired certificate without complaint, and every TLS handshake with it fails:
    an expired workload leaf breaks mTLS to and from the pod, an expired root breaks the whole mesh.

    ## Example
    ``secret default``: leaf ``spiffe://cluster.local/ns/default/sa/bookinfo-details`` valid
    2026-11-20T11:46:36Z to 2026-11-21T11:46:36Z, captured 2026-11-22T13:31:38Z.

    ## How to fix
    For workload certificates, find why istio-agent (or ztunnel) stopped renewing: its log shows
    ``certificate fetch failed`` / CSR errors; check istiod's CA and the pod's connectivity to it;
    restarting the pod fetches a new one. For gateway credentials, renew the Kubernetes secret. For
    a root, rotate the mesh CA (plug-in CA or ``istio-ca-secret``) and restart the proxies.
    """

    code = "ML1001"
    name = "certs.expired"
    severity = Severity.ERROR
    title = "Certificate has expired"
    message = "{cert} expired on {not_after}, {age} before {now}"
    inputs = ("certificates",)

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject]:
        for holder in holders(snapshot):
            for obs in holder.certs:
                if obs.not_after is None:
                    continue
                bad = obs.not_after < ctx.now
                if bad and not holder.in_use(obs):
                    continue
                yield obs.subject
                if bad:
                    yield self.finding(obs.subject, obs.location, cert=obs.describe(), not_after=when(obs.not_after),
                                       age=span(ctx.now - obs.not_after), now=when(ctx.now), serial=obs.serial)


class CertNotYetValid(Check):
    """A certificate's notBefore date is after ``now``.

    ## What it checks
    The same certificates as ML1001, for ``now < notBefore``.

    ## Why it matters
    Peers reject a certificate that is not valid yet. It usually means clock skew between the CA
    and the proxies, or a capture judged at the wrong time (set ``--now``).

    ## Example
    A leaf valid from 2026-11-22T13:00:00Z in a capture judged at 2026-11-22T12:58:00Z.

    ## How to fix
    Check the nodes' clocks (NTP) and the CA's; if the capture time is wrong, pass ``--now``.
    """

    code = "ML1002"
    name = "certs.not-yet-valid"
    severity = Severity.ERROR
    title = "Certificate is not valid yet"
    message = "{cert} is valid only from {not_before}, {wait} after {now}"
    inputs = ("certificates",)

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject]:
        for holder in holders(snapshot):
            for obs in holder.certs:
                if obs.not_before is None:
                    continue
                bad = ctx.now < obs.not_before
                if bad and not holder.in_use(obs):
                    continue
                yield obs.subject
                if bad:
                    yield self.finding(obs.subject, obs.location, cert=obs.describe(),
                                       not_before=when(obs.not_before), wait=span(obs.not_before - ctx.now),
                                       now=when(ctx.now), serial=obs.serial)


class CertExpiringSoon(Check):
    """A certificate expires within the warning threshold.

    ## What it checks
    Certificates still valid at ``now`` whose remaining validity is below both
    ``cert_expiry_days`` (default 30 days) and ``cert_expiry_fraction`` of their lifetime (default
    0.1): a 10-year root is flagged 30 days ahead, a 90-day gateway certificate 9 days ahead, a
    24-hour workload leaf 2.4 hours ahead.

    ## Why it matters
    Short-lived workload certificates that come this close to expiry are not being renewed;
    long-lived roots and gateway certificates need a planned rotation before they lapse.

    ## Example
    ``ROOTCA`` root valid until 2026-12-01T00:00:00Z, judged at 2026-11-22T13:32:00Z (8 days left).

    ## How to fix
    Renew or rotate the certificate (see ML1001); for workload leaves see ML1004.

    ## Options
    ``cert_expiry_days`` (30), ``cert_expiry_fraction`` (0.1): ``meshlens check -O cert_expiry_days=14``.
    """

    code = "ML1003"
    name = "certs.expiring-soon"
    severity = Severity.WARNING
    title = "Certificate expires soon"
    message = "{cert} expires on {not_after}, in {left} (threshold {threshold})"
    inputs = ("certificates",)
    options = {"cert_expiry_days": (30.0, "warn when fewer days than this remain"),
               "cert_expiry_fraction": (0.1, "... and less than this fraction of the lifetime remains")}

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject]:
        days = ctx.option("cert_expiry_days", 30.0)
        fraction = ctx.option("cert_expiry_fraction", 0.1)
        for holder in holders(snapshot):
            for obs in holder.certs:
                lifetime = obs.lifetime_seconds
                if lifetime is None or obs.not_after is None or obs.not_after < ctx.now:
                    continue
                threshold = timedelta(seconds=min(days * 86400, fraction * lifetime))
                left = obs.not_after - ctx.now
                if left < threshold and not holder.in_use(obs):
                    continue
                yield obs.subject
                if left < threshold:
                    yield self.finding(obs.subject, obs.location, cert=obs.describe(), not_after=when(obs.not_after),
                                       left=span(left), threshold=span(threshold), serial=obs.serial)


class CertRotationStalled(Check):
    """A workload certificate is past the point where it should have been renewed.

    ## What it checks
    SPIFFE leaf certificates that istio-agent (SDS secret ``default``, ``/certs``) or ztunnel
    renew on their own, still valid at ``now``, of which more than ``cert_rotation_ratio`` of the
    lifetime has elapsed (default 0.55). Both renew at 50 % of the lifetime (istio-agent's
    ``SECRET_GRACE_PERIOD_RATIO``, ztunnel's ``refresh_at``); the extra 5 % (72 minutes of a
    24-hour certificate) leaves room for jitter and the CSR round trip. Static secrets are not
    renewed by an agent and are left out.

    ## Why it matters
    The proxy still works, but renewal is failing: the certificate will expire and mTLS will
    break, unless the cause is found first.

    ## Example
    ztunnel ``spiffe://cluster.local/ns/istio-system/sa/istiod`` valid 2023-03-21T13:02:57Z to
    2023-03-22T13:04:57Z, judged at 2023-03-22T06:00:00Z (71 % elapsed).

    ## How to fix
    Read the istio-agent or ztunnel log for ``certificate fetch failed`` / ``renewal failed``;
    check istiod (or the external CA) and the network path to it (port 15012).

    ## Options
    ``cert_rotation_ratio`` (0.55).
    """

    code = "ML1004"
    name = "certs.rotation-stalled"
    severity = Severity.WARNING
    title = "Certificate rotation stalled"
    message = "{cert} is {elapsed:.0%} through its lifetime (renewal is due at 50 %); it expires on {not_after}"
    inputs = ("certificates",)
    options = {"cert_rotation_ratio": (0.55, "flag renewed leaves once this fraction of their lifetime elapsed")}

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject]:
        ratio = ctx.option("cert_rotation_ratio", 0.55)
        for holder in holders(snapshot):
            for obs in holder.certs:
                lifetime = obs.lifetime_seconds
                if not obs.rotated or not lifetime or obs.not_before is None or obs.not_after is None:
                    continue
                if not obs.not_before <= ctx.now <= obs.not_after:
                    continue
                yield obs.subject
                elapsed = (ctx.now - obs.not_before).total_seconds() / lifetime
                if elapsed > ratio:
                    yield self.finding(obs.subject, obs.location, cert=obs.describe(), elapsed=elapsed,
                                       not_after=when(obs.not_after), serial=obs.serial)


class CertUntrustedChain(Check):
    """A workload certificate does not chain to the proxy's own trust roots.

    ## What it checks
    For each SPIFFE leaf an Envoy receives over SDS (``default``, the workload certificate
    istio-agent issues), the signatures from the leaf through the intermediates sent with it up
    to a root of the proxy's trust bundles (``ROOTCA`` and other validation contexts); for
    ztunnel, each Available identity's chain up to its ``rootCerts`` (or the last chain element
    before 1.26). Static (bootstrap or file) certificates are left out: they are provisioned by
    hand and may rightly chain to other roots. Needs the PEM: ``/certs`` alone cannot be verified.

    ## Why it matters
    Peers verify this leaf with the same mesh roots: a leaf from another CA (a botched CA
    rotation, a plug-in CA half applied) is rejected by every peer.

    ## Example
    Leaf issued by root B (``O=cluster.local``, created at 13:05) while ``ROOTCA`` holds root A.

    ## How to fix
    Make the CA that signs workload certificates and the root distributed as ``ROOTCA``
    (``istio-ca-root-cert`` ConfigMap) agree, then restart the affected pods.
    """

    code = "ML1005"
    name = "certs.untrusted-chain"
    severity = Severity.ERROR
    title = "Certificate does not chain to the proxy's roots"
    message = "{cert} does not chain to the trust roots of {proxy_kind} {proxy} ({roots})"
    inputs = ("certificates",)

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject]:
        for holder in holders(snapshot):
            for leaf, intermediates, roots in holder.chains:
                if not roots or leaf.cert is None or leaf.static_secret is not None:
                    continue  # no bundle to judge against, or a hand-provisioned certificate
                bad = not chains_to_roots(leaf.cert, intermediates, roots)
                yield leaf.subject
                if bad:
                    shown = ", ".join(f"{r.subject or r.issuer} serial {r.serial_number}" for r in roots)
                    yield self.finding(leaf.subject, leaf.location, cert=leaf.describe(), proxy_kind=holder.kind,
                                       proxy=holder.name, roots=shown, serial=leaf.serial)


# ztunnel's reason when it forgets the certificate of an identity no local workload has any more.
BENIGN_UNAVAILABLE = "the identity is no longer needed"


def _ztunnel_states(snapshot: Snapshot) -> Iterator[tuple[Subject, CertsDump]]:
    for z in snapshot.ztunnels:
        for entry in z.certificates:
            yield Subject(z.name, "certificate", entry.identity), entry


class ZtunnelCertUnavailable(Check):
    """ztunnel could not get a certificate for an identity (state ``Unavailable``).

    ## What it checks
    ztunnel ``certificates[]`` whose ``state`` is ``Unavailable: <reason>``.

    ## Why it matters
    Workloads with that identity cannot originate or accept HBONE (mTLS) through this ztunnel:
    their connections fail. ``the identity is no longer needed`` is benign (the pod left) and is
    not flagged.

    ## Example
    ``{"identity": "spiffe://cluster.local/ns/istio-system/sa/istiod", "state": "Unavailable:
    signing gRPC error ... CERTIFICATE_VERIFY_FAILED"}``

    ## How to fix
    The reason names the failure: CA unreachable (port 15012, NetworkPolicy), ztunnel not trusting
    istiod's serving certificate (root mismatch), or the CA refusing the CSR. Check istiod's log.
    """

    code = "ML1006"
    name = "certs.ztunnel-unavailable"
    severity = Severity.WARNING
    title = "ztunnel certificate unavailable"
    message = "ztunnel has no certificate for {identity}: {reason}"
    inputs = ("ztunnel",)
    supersedes = ("ML0015",)

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject]:
        for subject, entry in _ztunnel_states(snapshot):
            yield subject
            if entry.state.startswith("Unavailable"):
                reason = entry.unavailable_reason or entry.state
                if reason.strip().lower() == BENIGN_UNAVAILABLE:
                    continue  # ztunnel dropped the certificate of an identity no local pod uses
                yield self.finding(subject, entry.location, identity=subject.name, reason=reason)


class ZtunnelCertInitializing(Check):
    """ztunnel's first fetch of a certificate was still pending (state ``Initializing``).

    ## What it checks
    ztunnel ``certificates[]`` whose ``state`` is ``Initializing``.

    ## Why it matters
    Normal for a moment after a pod starts; connections of that identity wait meanwhile. In a
    capture taken long after the pod started it points at a CA problem.

    ## Example
    ``{"identity": "spiffe://cluster.local/ns/istio-system/sa/ztunnel", "state": "Initializing",
    "certChain": []}``

    ## How to fix
    Recapture after a few seconds; if it stays, check the ztunnel log and istiod's CA.
    """

    code = "ML1007"
    name = "certs.ztunnel-initializing"
    severity = Severity.INFO
    title = "ztunnel certificate still initializing"
    message = "ztunnel's certificate for {identity} was still being fetched at capture time"
    inputs = ("ztunnel",)
    supersedes = ("ML0015",)

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject]:
        for subject, entry in _ztunnel_states(snapshot):
            yield subject
            if entry.state == "Initializing":
                yield self.finding(subject, entry.location, identity=subject.name)


def _root_set(holder: Holder) -> frozenset[str]:
    return frozenset(o.serial for o in holder.roots)


def _roots_text(holder: Holder) -> str:
    return ", ".join(sorted({f"{o.identity} serial {o.serial}" for o in holder.roots}))


class RootMismatch(Check):
    """Proxies of one snapshot trust different roots, with none in common.

    ## What it checks
    The trust roots of every proxy in the snapshot (Envoy ``ROOTCA`` and other trust bundles,
    ztunnel ``rootCerts``), by serial number. The roots most proxies trust are the reference; a
    proxy that shares no root with them is flagged (with a tie, a proxy sharing no root with some
    other proxy). A proxy trusting old and new roots during a rotation shares one and passes.

    ## Why it matters
    Each proxy verifies its peers with its own roots: two proxies without a common root reject
    each other's certificates, so mTLS between them fails both ways.

    ## Example
    Three sidecars trust root A (``eabcccc4...``); ``reviews-v2``, restarted after istiod
    regenerated its self-signed root, trusts only root B.

    ## How to fix
    Distribute one root (or both, during a rotation) to every proxy: fix the CA secret
    (``cacerts`` / ``istio-ca-secret``), let istiod update ``istio-ca-root-cert``, restart the pods
    that hold the other root.
    """

    code = "ML1008"
    name = "certs.root-mismatch"
    severity = Severity.ERROR
    title = "Trust roots differ between proxies"
    message = "{proxy} trusts {roots}; {count} of {total} proxies trust {reference}, and they share no root"
    inputs = ("certificates", "several_proxies")

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject]:
        distinct: dict[str, Holder] = {}
        for h in holders(snapshot):  # two captures of one proxy (loaded and intended) count once
            if h.roots and h.roots_subject is not None:
                distinct.setdefault(h.name, h)
        judged = list(distinct.values())
        if len(judged) < 2:
            return
        sets = Counter(_root_set(h) for h in judged)
        ranked = sets.most_common()
        reference = ranked[0][0] if len(ranked) == 1 or ranked[0][1] > ranked[1][1] else None
        for holder in judged:
            assert holder.roots_subject is not None
            yield holder.roots_subject
            mine = _root_set(holder)
            if reference is not None:
                others = [reference] if not mine & reference else []
            else:
                others = [s for s in sets if s != mine and not s & mine]
            if not others:
                continue
            target = others[0]
            example = next(h for h in judged if _root_set(h) == target)
            yield self.finding(holder.roots_subject, holder.roots[0].location, proxy=holder.name,
                               roots=_roots_text(holder), count=sets[target], total=len(judged),
                               reference=_roots_text(example))


class ZtunnelCertDatesDisagree(Check):
    """A ztunnel dump's own validity dates for a certificate disagree with the certificate itself.

    ## What it checks
    ztunnel ``certificates[]`` entries whose ``validFrom`` / ``expirationTime`` strings differ from the
    notBefore / notAfter of the X.509 certificate in the entry's ``pem``.

    ## Why it matters
    ``istioctl ztunnel-config certificate`` (and ``meshlens zc certificate``, byte for byte) judges VALID
    CERT by the dump's strings, while the certificate checks (ML1001-ML1003) judge the certificate
    itself, as a TLS peer does. When they disagree the two answers differ; this finding says so, and
    which dates the checks used. Real ztunnels write both from the same certificate, so a
    disagreement means a hand-edited or synthesised dump, or a ztunnel bug.

    ## Example
    ``{"pem": "<a certificate valid until 2023-03-22>", "expirationTime": "2033-03-22T13:04:57Z"}``

    ## How to fix
    Trust the certificate's dates (the PEM); recapture the dump from the ztunnel's admin port.
    """

    code = "ML1009"
    name = "certs.ztunnel-dates-disagree"
    severity = Severity.WARNING
    title = "ztunnel dump dates disagree with the certificate"
    message = ("{role} certificate of {identity}: the dump says {dump_dates}, the certificate (PEM) says "
               "{pem_dates}; checks judge the PEM, the zc certificate view (as istioctl) the dump")
    inputs = ("ztunnel",)

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject]:
        for z in snapshot.ztunnels:
            seen: set[Subject] = set()  # one root serves many identities: judged once
            for entry in z.certificates:
                for role, dump in entry.chain_roles():
                    cert = dump.certificate
                    if cert is None:
                        continue  # no PEM dates to compare with (ML0011 reports an undecodable pem)
                    serial = norm_serial(cert.serial_number)
                    subject = Subject(z.name, "certificate",
                                      entry.identity if role == "Leaf" else f"{role.lower()} {serial}")
                    if subject in seen:
                        continue
                    seen.add(subject)
                    yield subject
                    if (dump.not_before, dump.not_after) == (cert.not_before, cert.not_after):
                        continue
                    yield self.finding(subject, entry.location, role=role.lower(), identity=entry.identity,
                                       dump_dates=f"{dump.valid_from or '-'} .. {dump.expiration_time or '-'}",
                                       pem_dates=f"{when(cert.not_before)} .. {when(cert.not_after)}")


CHECKS: tuple[type[Check], ...] = (
    CertExpired, CertNotYetValid, CertExpiringSoon, CertRotationStalled, CertUntrustedChain,
    ZtunnelCertUnavailable, ZtunnelCertInitializing, RootMismatch, ZtunnelCertDatesDisagree,
)

__all__ = ["CHECKS", "CertObs"]
