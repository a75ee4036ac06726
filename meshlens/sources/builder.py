"""SnapshotBuilder: what every source loader writes into while a Snapshot is being loaded."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from meshlens.models.base import LoadFinding, Location, Severity
from meshlens.models.snapshot import EnvoyProxy, Snapshot, SourceInfo
from meshlens.sources.bounded import mtime_stamp
from meshlens.sources.read import Document

if TYPE_CHECKING:
    from meshlens.models.istiod import IstiodState
    from meshlens.models.ztunnel import Ztunnel


class CaptureLoader(Protocol):
    """What detection and loading need of a loader: a loader module, or an object with its surface."""

    @property
    def KIND(self) -> str:  # upper case: a module constant in loader modules
        """The capture kind's short name (``inspect`` shows it)."""
        ...

    def sniff(self, doc: Document) -> bool:
        """True when ``doc``'s content is this kind of capture."""
        ...

    def load(self, doc: Document, builder: SnapshotBuilder) -> None:
        """Load ``doc`` into ``builder``."""
        ...


class SnapshotBuilder:
    """Collects proxies, ztunnels, istiod state and findings; loaders call it, never each other.

    Documents with the same ``group`` (one bug-report proxy folder, or files given together)
    describe one proxy: :meth:`envoy` returns the same :class:`EnvoyProxy` for all of them.
    """

    def __init__(self, origin: str = "") -> None:
        self.snapshot = Snapshot(origin=origin)
        self._envoys: dict[str, EnvoyProxy] = {}

    # --- containers -------------------------------------------------------------------------
    def envoy(self, doc: Document) -> EnvoyProxy:
        proxy = self._envoys.get(doc.group)
        if proxy is None:
            proxy = EnvoyProxy(group=doc.group)
            self._envoys[doc.group] = proxy
            self.snapshot.proxies.append(proxy)
        stamp = mtime_stamp(doc.mtime)
        if stamp is not None and (proxy.captured_at is None or stamp > proxy.captured_at):
            proxy.captured_at = stamp
        return proxy

    def has_envoy(self, group: str) -> bool:
        return group in self._envoys

    def add_ztunnel(self, ztunnel: Ztunnel) -> Ztunnel:
        self.snapshot.ztunnels.append(ztunnel)
        return ztunnel

    def istiod(self) -> IstiodState:
        if self.snapshot.istiod is None:
            from meshlens.models.istiod import IstiodState  # only istiod captures need its models

            self.snapshot.istiod = IstiodState()
        return self.snapshot.istiod

    # --- bookkeeping ------------------------------------------------------------------------
    def record_source(self, doc: Document, kind: str) -> None:
        info = SourceInfo(location=doc.location, kind=kind, group=doc.group, mtime=doc.mtime)
        self.snapshot.sources.append(info)
        if doc.group in self._envoys:
            self._envoys[doc.group].sources.append(info)

    def finding(
        self,
        code: str,
        severity: Severity,
        message: str,
        *,
        location: Location,
        proxy: str | None = None,
        kind: str | None = None,
        name: str | None = None,
    ) -> None:
        self.snapshot.findings.append(
            LoadFinding(code=code, severity=severity, message=message, location=location, proxy=proxy,
                        kind=kind, name=name)
        )

    def set_extra(self, key: str, value: Any) -> None:
        self.snapshot.extras[key] = value

    def build(self) -> Snapshot:
        snap = self.snapshot
        self._attach_findings()
        stamps = [p.captured_at for p in snap.proxies if p.captured_at is not None]
        if stamps and snap.captured_at is None:
            snap.captured_at = max(stamps)
        return snap

    def _attach_findings(self) -> None:
        """Give each proxy and ztunnel the load findings about it (by name, or by the file it came from)."""
        owners: dict[Any, list[LoadFinding]] = {}
        for proxy in self.snapshot.proxies:
            proxy.load_findings = []
            for key in (proxy.node_id, proxy.group, proxy.name):
                if key:
                    owners.setdefault(("name", key), proxy.load_findings)
            for info in proxy.sources:
                owners.setdefault(("at", info.location.file, info.location.member), proxy.load_findings)
        for z in self.snapshot.ztunnels:
            z.load_findings = []
            owners.setdefault(("at", z.location.file, z.location.member), z.load_findings)
            if z.name:
                owners.setdefault(("name", z.name), z.load_findings)
        for finding in self.snapshot.findings:
            found = owners.get(("name", finding.proxy)) if finding.proxy else None
            if found is None:
                found = owners.get(("at", finding.location.file, finding.location.member))
            if found is not None:
                found.append(finding)
