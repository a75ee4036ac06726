"""ML0xxx: what the loader found while reading the capture, relayed as check findings.

The loader (``meshlens.sources``) records these as :class:`meshlens.models.base.LoadFinding` while it
reads; these classes give each code its documentation (``meshlens explain ML0004``) and report the
loader's findings through the check report, with the severity the loader gave. A check that reports
the same fact with more context declares ``supersedes``: ML0004/ML0005 become ML5001/ML5002,
ML0014 becomes ML6002, ML0015 becomes ML1006/ML1007 when those checks run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import ClassVar

from meshlens.checks.base import Check, CheckContext, Severity
from meshlens.models import base as codes
from meshlens.models.base import LoadFinding
from meshlens.models.snapshot import Snapshot
from meshlens.results import Finding, Subject


def _proxy_name(snapshot: Snapshot, raw: str | None) -> str:
    if not raw:
        return ""
    for proxy in snapshot.proxies:
        if proxy.matches(raw):
            return proxy.name
    return raw


def load_subject(snapshot: Snapshot, f: LoadFinding) -> Subject:
    """The resource the loader names; else the JSON path it points at; else the archive member or file name."""
    loc = f.location
    name = f.name or (loc.json_path if loc.json_path != "$" else "") or loc.member or os.path.basename(
        (loc.file or "").rstrip("/"))
    return Subject(_proxy_name(snapshot, f.proxy), f.kind or "capture", name)


class LoadCheck(Check, abstract=True):
    """Relays the loader's findings of one code."""

    message = "{detail}"
    inputs: ClassVar[tuple[str, ...]] = ("load_findings",)

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject]:
        for f in snapshot.findings:
            if f.code == self.code:
                yield self.finding(load_subject(snapshot, f), f.location, severity=f.severity, detail=f.message)


class UnknownType(LoadCheck):
    """A config dump section has an ``@type`` meshlens does not know; it is kept as raw JSON.

    ## What it checks
    Sections of ``/config_dump`` whose ``@type`` is not one of the admin ``*ConfigDump`` types.

    ## Why it matters
    Whatever that section configures is invisible to views, traces and checks.

    ## Example
    ``{"@type": "type.googleapis.com/envoy.admin.v3.FutureConfigDump", ...}``

    ## How to fix
    Nothing in the mesh; upgrade meshlens, or query the raw section with ``meshlens query``.
    """

    code = "ML0001"
    name = "load.unknown-type"
    severity = Severity.INFO
    title = "Config dump section of unknown type"


class NoEds(LoadCheck):
    """The capture has EDS clusters but no EndpointsConfigDump section.

    ## What it checks
    A ``/config_dump`` taken without ``?include_eds`` while the proxy has EDS clusters.

    ## Why it matters
    Endpoint checks and traces cannot tell which hosts a cluster has, or their health.

    ## Example
    ``curl localhost:15000/config_dump`` (no ``?include_eds``).

    ## How to fix
    Capture ``/config_dump?include_eds`` (what ``istioctl bug-report`` stores), or add ``/clusters``.
    """

    code = "ML0002"
    name = "load.no-eds"
    severity = Severity.INFO
    title = "No EDS section in the config dump"


class NoSecrets(LoadCheck):
    """The config dump has no SecretsConfigDump section, or it holds no secret.

    ## What it checks
    A missing or empty SecretsConfigDump in a dump that has listeners or clusters.

    ## Why it matters
    Certificate checks have nothing to judge for this proxy.

    ## Example
    ``/config_dump?mask=...`` or ``?resource=`` captures that leave secrets out.

    ## How to fix
    Capture the whole ``/config_dump``, or give ``/certs`` beside it.
    """

    code = "ML0003"
    name = "load.no-secrets"
    severity = Severity.INFO
    title = "No secrets in the config dump"


class Rejected(LoadCheck):
    """Envoy rejected (NACKed) a resource; reported as ML5001 when that check runs.

    ## What it checks
    Resources with an ``error_state`` in the config dump.

    ## Why it matters
    The rejected configuration is not in effect: Envoy keeps the previous version, or nothing.

    ## Example
    ``{"name": "0.0.0.0_8082", "error_state": {"details": "error adding listener ..."}}``

    ## How to fix
    See ML5001.
    """

    code = "ML0004"
    name = "load.rejected"
    severity = Severity.ERROR
    title = "Resource rejected by Envoy"


class Warming(LoadCheck):
    """A resource is warming; reported as ML5002 when that check runs.

    ## What it checks
    Clusters, listeners and secrets in a warming state.

    ## Why it matters
    Warming resources do not serve traffic yet.

    ## Example
    ``dynamic_warming_clusters: [{"cluster": {"name": "outbound|8080||ghost..."}}]``

    ## How to fix
    See ML5002.
    """

    code = "ML0005"
    name = "load.warming"
    severity = Severity.WARNING
    title = "Resource is warming"


class UnnamedDuplicate(LoadCheck):
    """An unnamed ``dynamic_listeners`` entry repeats a rejected listener (Envoy lists them twice).

    ## What it checks
    ``dynamic_listeners`` entries with only an ``error_state`` and no name, beside a named one.

    ## Why it matters
    Only that the entry is not a second listener: it is counted once.

    ## Example
    ``{"error_state": {"failed_configuration": {"name": "0.0.0.0_8082", ...}}}`` with no ``name``.

    ## How to fix
    Nothing; fix the rejected listener (ML5001).
    """

    code = "ML0006"
    name = "load.unnamed-duplicate"
    severity = Severity.INFO
    title = "Unnamed duplicate of a rejected listener"


class Malformed(LoadCheck):
    """An entry of a capture could not be read, or a resource was refused by its typed model, and was skipped.

    ## What it checks
    ``/clusters``, ``/certs``, ``/listeners``, syncz entries that do not have the expected shape; and
    config-dump resources (listeners, clusters, route configurations, endpoint assignments, secrets,
    ECDS configs) that their typed model refuses (a number where a list belongs, nesting deeper than
    100 levels, ...). Views, trace, the graph and other checks skip such a resource instead of
    guessing from its raw JSON.

    ## Why it matters
    What the entry described is missing from views and checks.

    ## Example
    A ``/clusters`` text line ``name::10.0.0.1:80::weight::x`` (weight is not a number); a route
    configuration with ``"virtual_hosts": -1``.

    ## How to fix
    Recapture the endpoint; if Envoy really printed it, report a meshlens bug with the line.
    """

    code = "ML0007"
    name = "load.malformed"
    severity = Severity.WARNING
    title = "Malformed entry skipped"

    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding | Subject]:
        yield from super().run(snapshot, ctx)
        for proxy in snapshot.proxies:
            for f in proxy.validate_all():
                yield self.finding(load_subject(snapshot, f), f.location, severity=f.severity, detail=f.message)


class UnrecognizedInput(LoadCheck):
    """A file of an archive or directory is not a capture meshlens knows, and was not loaded.

    ## What it checks
    Members of a bug-report or directory that no loader recognised.

    ## Why it matters
    Usually nothing (READMEs, unrelated logs); sometimes a capture in a format meshlens lacks.

    ## Example
    ``bug-report/cluster/nodes`` (kubectl output).

    ## How to fix
    Nothing, or give the capture in a supported format.
    """

    code = "ML0008"
    name = "load.unrecognized-input"
    severity = Severity.INFO
    title = "Input not recognised"


class Draining(LoadCheck):
    """A listener is draining (being removed or replaced).

    ## What it checks
    Listeners with a ``draining_state``.

    ## Why it matters
    Existing connections finish on the old configuration; new ones use the new listener, if any.

    ## Example
    ``{"name": "0.0.0.0_9080", "draining_state": {...}}``

    ## How to fix
    Nothing unless it stays draining: then check ``--drain-time-s`` and long-lived connections.
    """

    code = "ML0009"
    name = "load.draining"
    severity = Severity.INFO
    title = "Listener draining"


class DuplicateName(LoadCheck):
    """Two dynamic resources of one type have the same name.

    ## What it checks
    Names repeated among dynamic clusters, listeners, route configurations or secrets.

    ## Why it matters
    Envoy keys resources by name: one of them is not what the proxy uses; the capture may be
    stitched together from several.

    ## Example
    Two ``dynamic_active_clusters`` entries named ``outbound|9080||reviews...``.

    ## How to fix
    Recapture from one proxy in one request.
    """

    code = "ML0010"
    name = "load.duplicate-name"
    severity = Severity.WARNING
    title = "Duplicate resource name"


class BadCertificate(LoadCheck):
    """Certificate data in the capture does not decode as X.509.

    ## What it checks
    ztunnel ``certChain``/``rootCerts`` entries whose ``pem`` is not a certificate.

    ## Why it matters
    Expiry and chain checks cannot judge it.

    ## Example
    ``{"pem": "bm90IGEgY2VydA==", ...}`` (base64 of "not a cert").

    ## How to fix
    Recapture; the dump was probably truncated or edited.
    """

    code = "ML0011"
    name = "load.bad-certificate"
    severity = Severity.WARNING
    title = "Certificate does not decode"


class PartialDump(LoadCheck):
    """The config dump is a ``?resource=`` extract: the state of each entry is inferred.

    ## What it checks
    Dumps made of nested entries (``DynamicCluster``, ``DynamicListener``...) instead of sections.

    ## Why it matters
    Sections absent from the extract are absent from views and checks.

    ## Example
    ``curl 'localhost:15000/config_dump?resource=dynamic_active_clusters'``.

    ## How to fix
    Capture the whole ``/config_dump?include_eds`` for a full analysis.
    """

    code = "ML0012"
    name = "load.partial-dump"
    severity = Severity.INFO
    title = "Partial config dump"


class DuplicateCapture(LoadCheck):
    """The same capture of one proxy was given twice; one copy was set aside.

    ## What it checks
    Two config dumps (or two ``/clusters``, ``/certs``...) of one proxy in one folder or call.

    ## Why it matters
    Only one is analysed: the message says which.

    ## Example
    ``config_dump`` beside ``config_dump?include_eds`` in one folder (the one with EDS is kept).

    ## How to fix
    Nothing, or give only the capture you mean.
    """

    code = "ML0013"
    name = "load.duplicate-capture"
    severity = Severity.INFO
    title = "Duplicate capture set aside"


class ZtunnelStagedServices(LoadCheck):
    """ztunnel holds endpoints for services it has not received; reported as ML6002 when that runs.

    ## What it checks
    A non-empty ``stagedServices`` in a ztunnel dump.

    ## Why it matters
    See ML6002.

    ## Example
    ``"stagedServices": {"default/reviews.default.svc.cluster.local": {...}}``

    ## How to fix
    See ML6002.
    """

    code = "ML0014"
    name = "load.ztunnel-staged-services"
    severity = Severity.WARNING
    title = "ztunnel has staged services"


class ZtunnelCertNotReady(LoadCheck):
    """A ztunnel certificate is not Available; reported as ML1006/ML1007 when those run.

    ## What it checks
    ``certificates[].state`` other than ``Available``.

    ## Why it matters
    See ML1006 (Unavailable) and ML1007 (Initializing).

    ## Example
    ``{"identity": "spiffe://...", "state": "Initializing", "certChain": []}``

    ## How to fix
    See ML1006 and ML1007.
    """

    code = "ML0015"
    name = "load.ztunnel-cert-not-ready"
    severity = Severity.WARNING
    title = "ztunnel certificate not ready"


CHECKS: tuple[type[Check], ...] = (
    UnknownType, NoEds, NoSecrets, Rejected, Warming, UnnamedDuplicate, Malformed, UnrecognizedInput, Draining,
    DuplicateName, BadCertificate, PartialDump, DuplicateCapture, ZtunnelStagedServices, ZtunnelCertNotReady,
)

# Every load code the loader can emit has a check here (tests/test_checks_meta.py keeps them in step).
LOAD_CODES: tuple[str, ...] = tuple(sorted(
    value for name, value in vars(codes).items() if name.startswith("ML0") and isinstance(value, str)))
