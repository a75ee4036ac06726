"""The guarded boundary: consumers read a proxy's resources only through the typed model.

A capture may hold a resource the typed model refuses (``virtual_hosts: -1``, ``port_value: "GRPC"``,
nesting a thousand levels deep). Reading such a resource's raw dict anyway is how views, trace, the
index and checks used to crash. So every consumer asks :meth:`EnvoyProxy.valid` (or the typed
``proxy.valid_listeners`` ...) for the resources of a kind: each is validated once, on first ask;
those the model accepts are returned, and each refused one becomes one located ML0007 finding in
:attr:`EnvoyProxy.refused` (reported by ``check``) and is skipped everywhere.

The raw lists (``proxy.listeners`` ...) stay complete: they are the capture's inventory, what
``inspect`` counts, ``diff`` compares and ``query`` reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from meshlens.models.base import ML0007_MALFORMED_RESOURCE, LoadFinding, Location, Severity
from meshlens.models.derived import Fact

if TYPE_CHECKING:
    from meshlens.models.snapshot import EnvoyProxy

KINDS = ("listeners", "clusters", "route_configs", "endpoints", "secrets", "ecds")


class ValidResources:
    """Per kind, the resources of one proxy that the typed model accepts; the refused ones as findings."""

    __slots__ = ("_lists", "_proxy", "findings")

    def __init__(self, proxy: EnvoyProxy) -> None:
        self._proxy = proxy
        self._lists: dict[str, list[Any]] = {}
        self.findings: list[LoadFinding] = []

    def of(self, kind: str) -> list[Any]:
        """The accepted resources of ``kind`` (one of :data:`KINDS`), in capture order."""
        found = self._lists.get(kind)
        if found is None:
            if kind not in KINDS:
                raise ValueError(f"unknown resource kind {kind!r} (known: {', '.join(KINDS)})")
            from meshlens.models.envoy.resources import validate_all

            resources = getattr(self._proxy, kind)
            validate_all(resources)  # this kind only, in bulk with the GC held: `pc cluster` types no routes
            found = []
            for res in resources:
                error = res.validate()
                if error is None:
                    found.append(res)
                    continue
                self.findings.append(LoadFinding(
                    code=ML0007_MALFORMED_RESOURCE, severity=Severity.WARNING,
                    message=f"{error.message}; skipped by views, trace, graph and checks",
                    proxy=self._proxy.name, kind=res.KIND, name=res.name,
                    location=Location(file=error.file, member=error.member,
                                      json_path=error.json_path or res.json_path)))
            self._lists[kind] = found
        return found


VALID: Fact[EnvoyProxy, ValidResources] = Fact("valid resources", ValidResources)
