"""Envoy ``/config_dump`` (and istiod's ``/debug/config_dump?proxyID=``) into an EnvoyProxy.

Sections are found by ``@type`` (never by position); repeated ECDS sections are merged; the
``?resource=`` form (a list of nested entries, each with its own ``@type``), ``?mask=`` and
``?name_regex=`` variants and the v2alpha type URLs of old dumps load the same way. camelCase
dumps (istiod, istioctl) are converted to Envoy's snake_case once, so every later layer sees one
spelling.
"""

from __future__ import annotations

import weakref
from typing import Any

from pydantic import ValidationError

from meshlens.models.base import (
    MAX_DEPTH,
    ML0001_UNKNOWN_TYPE,
    ML0002_NO_EDS,
    ML0003_NO_SECRETS,
    ML0004_REJECTED,
    ML0005_WARMING,
    ML0006_UNNAMED_DUPLICATE,
    ML0007_MALFORMED_RESOURCE,
    ML0009_DRAINING,
    ML0010_DUPLICATE_NAME,
    ML0012_PARTIAL_DUMP,
    ML0013_DUPLICATE_CAPTURE,
    Location,
    Severity,
    too_deep,
)
from meshlens.models.casing import looks_camel, to_snake_tree
from meshlens.models.envoy.bootstrap import Bootstrap
from meshlens.models.envoy.core import type_name
from meshlens.models.envoy.resources import (
    ClusterResource,
    EcdsResource,
    EndpointResource,
    ErrorState,
    ListenerResource,
    Resource,
    RouteConfigResource,
    SecretResource,
    format_validation_error,
)
from meshlens.models.snapshot import EnvoyProxy
from meshlens.sources.builder import SnapshotBuilder
from meshlens.sources.read import Document

KIND = "envoy-config-dump"

_ADMIN_PREFIXES = ("envoy.admin.v3.", "envoy.admin.v2alpha.")


def sniff(doc: Document) -> bool:
    """True when ``doc`` is an Envoy ``/config_dump`` (a ``configs`` list of admin ``@type`` sections)."""
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("configs"), list):
        return False
    configs = data["configs"]
    return all(isinstance(c, dict) for c in configs) and (
        not configs or any(str(c.get("@type", "")).find("envoy.admin.") >= 0 for c in configs)
    )


def _admin_type(type_url: Any) -> str:
    """``type.googleapis.com/envoy.admin.v3.ClustersConfigDump`` -> ``ClustersConfigDump``."""
    name = type_name(type_url if isinstance(type_url, str) else None)
    for prefix in _ADMIN_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix):]
    return ""


class Walker:
    """Walks one config dump's sections into an EnvoyProxy, reporting load findings."""

    def __init__(self, doc: Document, builder: SnapshotBuilder, proxy: EnvoyProxy) -> None:
        self.doc = doc
        self.loc = Location(file=doc.location.file, member=doc.location.member)
        self.builder = builder
        self.proxy = proxy
        self.partial = False
        self.owner = weakref.ref(proxy)  # resources validate in bulk through it (models/envoy/resources.py)

    # --- helpers ----------------------------------------------------------------------------
    def finding(self, code: str, severity: Severity, message: str, path: str, kind: str | None = None,
                name: str | None = None) -> None:
        self.builder.finding(code, severity, message, location=self.loc.child(path[1:] if path.startswith("$")
                                                                             else path),
                             proxy=self.proxy.node_id or self.proxy.group, kind=kind, name=name)

    def _add(self, bucket: list[Any], res: Resource[Any]) -> None:
        bucket.append(res)
        res.attach(self.owner)
        if res.state == "rejected":
            details = res.error.details if res.error else ""
            self.finding(ML0004_REJECTED, Severity.ERROR,
                         f"{res.KIND} {res.name or '(unnamed)'} was rejected by Envoy: {details}".rstrip(": "),
                         res.json_path, res.KIND, res.name)
        elif res.error is not None:
            self.finding(ML0004_REJECTED, Severity.ERROR,
                         f"an update of {res.KIND} {res.name} was rejected by Envoy (the previous version "
                         f"stays {res.state}): {res.error.details}", res.json_path, res.KIND, res.name)
        elif res.state == "warming":
            self.finding(ML0005_WARMING, Severity.WARNING,
                         f"{res.KIND} {res.name} is warming (not yet serving: waiting for its "
                         f"{'EDS assignment' if res.KIND == 'cluster' else 'RDS or dependencies'})",
                         res.json_path, res.KIND, res.name)
        elif res.state == "draining":
            self.finding(ML0009_DRAINING, Severity.INFO, f"{res.KIND} {res.name} is draining",
                         res.json_path, res.KIND, res.name)

    def _entries(self, section: dict[str, Any], key: str, path: str) -> list[tuple[int, dict[str, Any]]]:
        """The (index, entry) pairs of a state list; entries that are not objects become ML0007 findings."""
        value = section.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.finding(ML0007_MALFORMED_RESOURCE, Severity.WARNING,
                         f"{key} is a {type(value).__name__}, expected a list: ignored", f"{path}.{key}")
            return []
        out = []
        for i, entry in enumerate(value):
            if isinstance(entry, dict):
                out.append((i, entry))
            else:
                self.finding(ML0007_MALFORMED_RESOURCE, Severity.WARNING,
                             f"{key} entry is {type(entry).__name__}, expected an object: ignored",
                             f"{path}.{key}[{i}]")
        return out

    # --- sections ---------------------------------------------------------------------------
    def bootstrap(self, section: dict[str, Any], path: str) -> None:
        raw = section.get("bootstrap")
        if not isinstance(raw, dict):
            return
        self.set_bootstrap(raw, path + ".bootstrap")

    def set_bootstrap(self, raw: dict[str, Any], path: str) -> None:
        deep = too_deep(raw)
        if deep is not None:
            raise self.doc.error(f"malformed bootstrap: nested deeper than {MAX_DEPTH} levels", path + deep)
        try:
            bootstrap = Bootstrap.model_validate(raw)
        except ValidationError as exc:
            where, message = format_validation_error(exc, path)
            raise self.doc.error(f"malformed bootstrap: {message}", where) from None
        self.proxy.bootstrap = bootstrap
        if bootstrap.node is not None and bootstrap.node.id:
            self.proxy.node_id = bootstrap.node.id

    def clusters(self, section: dict[str, Any], path: str) -> None:
        bucket = self.proxy.clusters
        for key, state in (("static_clusters", "static"), ("dynamic_active_clusters", "active"),
                           ("dynamic_warming_clusters", "warming")):
            for i, entry in self._entries(section, key, path):
                self.cluster_entry(entry, state, f"{path}.{key}[{i}]", bucket)

    def cluster_entry(self, entry: dict[str, Any], state: str, path: str, bucket: list[Any]) -> None:
        raw = entry.get("cluster")
        error = entry.get("error_state")
        if not isinstance(raw, dict):
            if isinstance(error, dict):  # only a failed update is known
                failed = error.get("failed_configuration") or {}
                self._add(bucket, ClusterResource(str(failed.get("name", "")), "rejected", failed, self.loc,
                                                  path, error=ErrorState.from_raw(error)))
            return
        self._add(bucket, ClusterResource(
            str(raw.get("name", "")), state, raw, self.loc, path + ".cluster",
            version_info=entry.get("version_info"), last_updated=entry.get("last_updated"),
            error=ErrorState.from_raw(error) if isinstance(error, dict) else None,
            client_status=entry.get("client_status")))

    def endpoints(self, section: dict[str, Any], path: str) -> None:
        for key, state in (("static_endpoint_configs", "static"), ("dynamic_endpoint_configs", "active")):
            for i, entry in self._entries(section, key, path):
                self.endpoint_entry(entry, state, f"{path}.{key}[{i}]")

    def endpoint_entry(self, entry: dict[str, Any], state: str, path: str) -> None:
        raw = entry.get("endpoint_config")
        if not isinstance(raw, dict):
            return
        self._add(self.proxy.endpoints, EndpointResource(
            str(raw.get("cluster_name", "")), state, raw, self.loc, path + ".endpoint_config",
            version_info=entry.get("version_info"), last_updated=entry.get("last_updated"),
            client_status=entry.get("client_status")))

    def listeners(self, section: dict[str, Any], path: str) -> None:
        for i, entry in self._entries(section, "static_listeners", path):
            raw = entry.get("listener")
            if isinstance(raw, dict):
                self._add(self.proxy.listeners, ListenerResource(
                    str(raw.get("name", "")), "static", raw, self.loc, f"{path}.static_listeners[{i}].listener",
                    last_updated=entry.get("last_updated")))
        for i, entry in self._entries(section, "dynamic_listeners", path):
            self.dynamic_listener(entry, f"{path}.dynamic_listeners[{i}]")
        # v2alpha dumps: one list per state, entries {version_info, listener, last_updated}
        for key, state in (("dynamic_active_listeners", "active"), ("dynamic_warming_listeners", "warming"),
                           ("dynamic_draining_listeners", "draining")):
            for i, entry in self._entries(section, key, path):
                raw = entry.get("listener")
                if isinstance(raw, dict):
                    self._add(self.proxy.listeners, ListenerResource(
                        str(raw.get("name", "")), state, raw, self.loc, f"{path}.{key}[{i}].listener",
                        version_info=entry.get("version_info"), last_updated=entry.get("last_updated")))

    def dynamic_listener(self, entry: dict[str, Any], path: str) -> None:
        states = {s: entry[f"{s}_state"] for s in ("active", "warming", "draining")
                  if isinstance(entry.get(f"{s}_state"), dict)}
        error_raw = entry.get("error_state")
        error = ErrorState.from_raw(error_raw) if isinstance(error_raw, dict) else None
        name = entry.get("name")
        if not name:
            failed = (error.failed_configuration or {}) if error else {}
            inner = next((s.get("listener") for s in states.values() if isinstance(s.get("listener"), dict)), None)
            name = (inner or failed).get("name", "") if isinstance(inner or failed, dict) else ""
            twin = next((r for r in self.proxy.listeners if name and r.name == name and r.state != "static"), None)
            if twin is not None and not states:
                # Envoy lists a rejected listener twice: once named, once not (seen in 1.40 dumps).
                self.finding(ML0006_UNNAMED_DUPLICATE, Severity.INFO,
                             f"unnamed dynamic_listeners entry repeats the rejected listener {name}", path,
                             "listener", name)
                return
        name = str(name or "")
        if not states:
            if error is not None:
                self._add(self.proxy.listeners, ListenerResource(
                    name, "rejected", error.failed_configuration or {}, self.loc,
                    path + ".error_state.failed_configuration", error=error))
            return
        primary = next(s for s in ("active", "warming", "draining") if s in states)
        body = states[primary]
        raw = found if isinstance(found := body.get("listener"), dict) else {}
        res = ListenerResource(name, primary, raw, self.loc, f"{path}.{primary}_state.listener",
                               version_info=body.get("version_info"), last_updated=body.get("last_updated"),
                               error=error)
        res.other_states = {s: v for s, v in states.items() if s != primary}
        self._add(self.proxy.listeners, res)

    def routes(self, section: dict[str, Any], path: str) -> None:
        for key, state in (("static_route_configs", "static"), ("dynamic_route_configs", "active")):
            for i, entry in self._entries(section, key, path):
                self.route_entry(entry, state, f"{path}.{key}[{i}]")

    def route_entry(self, entry: dict[str, Any], state: str, path: str) -> None:
        raw = entry.get("route_config")
        if not isinstance(raw, dict):
            return
        self._add(self.proxy.route_configs, RouteConfigResource(
            str(raw.get("name", "")), state, raw, self.loc, path + ".route_config",
            version_info=entry.get("version_info"), last_updated=entry.get("last_updated"),
            client_status=entry.get("client_status")))

    def secrets(self, section: dict[str, Any], path: str) -> None:
        for key, state in (("static_secrets", "static"), ("dynamic_active_secrets", "active"),
                           ("dynamic_warming_secrets", "warming")):
            for i, entry in self._entries(section, key, path):
                self.secret_entry(entry, state, f"{path}.{key}[{i}]")

    def secret_entry(self, entry: dict[str, Any], state: str, path: str) -> None:
        raw = entry.get("secret")
        if not isinstance(raw, dict):
            raw = {}
        name = str(entry.get("name") or raw.get("name") or "")
        error = entry.get("error_state")
        self._add(self.proxy.secrets, SecretResource(
            name, state, raw, self.loc, path + ".secret", version_info=entry.get("version_info"),
            last_updated=entry.get("last_updated"),
            error=ErrorState.from_raw(error) if isinstance(error, dict) else None))

    def ecds(self, section: dict[str, Any], path: str) -> None:
        for i, entry in self._entries(section, "ecds_filters", path):
            self.ecds_entry(entry, f"{path}.ecds_filters[{i}]")

    def ecds_entry(self, entry: dict[str, Any], path: str) -> None:
        raw = entry.get("ecds_filter")
        if not isinstance(raw, dict):
            return
        error = entry.get("error_state")
        self._add(self.proxy.ecds, EcdsResource(
            str(raw.get("name", "")), "active", raw, self.loc, path + ".ecds_filter",
            version_info=entry.get("version_info"), last_updated=entry.get("last_updated"),
            error=ErrorState.from_raw(error) if isinstance(error, dict) else None))

    # --- ?resource= entries (each element is one nested message) -----------------------------
    def nested(self, kind: str, entry: dict[str, Any], path: str) -> bool:
        self.partial = True
        section, _, inner = kind.partition(".")
        if section == "ClustersConfigDump":
            state = "static" if inner == "StaticCluster" else "active"
            self.cluster_entry(entry, state, path, self.proxy.clusters)
            self.proxy.sections.add("clusters")
        elif section == "ListenersConfigDump":
            if inner == "StaticListener":
                self.listeners({"static_listeners": [entry]}, path)
            else:
                self.dynamic_listener(entry, path)
            self.proxy.sections.add("listeners")
        elif section == "RoutesConfigDump":
            self.route_entry(entry, "static" if inner == "StaticRouteConfig" else "active", path)
            self.proxy.sections.add("routes")
        elif section == "EndpointsConfigDump":
            self.endpoint_entry(entry, "static" if inner == "StaticEndpointConfig" else "active", path)
            self.proxy.sections.add("endpoints")
        elif section == "SecretsConfigDump":
            self.secret_entry(entry, "static" if inner == "StaticSecret" else "active", path)
            self.proxy.sections.add("secrets")
        elif section == "EcdsConfigDump":
            self.ecds_entry(entry, path)
            self.proxy.sections.add("ecds")
        else:
            return False
        return True


_SECTIONS = {
    "BootstrapConfigDump": ("bootstrap", Walker.bootstrap),
    "ClustersConfigDump": ("clusters", Walker.clusters),
    "EndpointsConfigDump": ("endpoints", Walker.endpoints),
    "ListenersConfigDump": ("listeners", Walker.listeners),
    "ScopedRoutesConfigDump": ("scoped_routes", None),
    "RoutesConfigDump": ("routes", Walker.routes),
    "SecretsConfigDump": ("secrets", Walker.secrets),
    "EcdsConfigDump": ("ecds", Walker.ecds),
}


def load(doc: Document, builder: SnapshotBuilder) -> None:
    """Load an Envoy ``/config_dump`` into ``builder``: one proxy, its sections by ``@type``."""
    data: dict[str, Any] = doc.data
    configs: list[dict[str, Any]] = data["configs"]
    proxy = builder.envoy(doc)
    if proxy.config_dump_location is not None and not _replaces(builder, proxy, doc, configs):
        return
    if looks_camel(configs):
        configs = to_snake_tree(configs)
        proxy.config_dump_style = "camel"
    else:
        proxy.config_dump_style = "snake"
    proxy.config_dump_raw = data
    proxy.config_dump_location = doc.location
    walker = Walker(doc, builder, proxy)
    # The bootstrap first, so findings of the other sections can name the proxy.
    order = sorted(range(len(configs)), key=lambda i: _admin_type(configs[i].get("@type")) != "BootstrapConfigDump")
    for i in order:
        section = configs[i]
        path = f"$.configs[{i}]"
        kind = _admin_type(section.get("@type"))
        known = _SECTIONS.get(kind)
        if known is not None:
            name, handler = known
            proxy.sections.add(name)
            if isinstance(section.get("version_info"), str):
                proxy.section_versions[name] = section["version_info"]
            if handler is not None:
                handler(walker, section, path)
        elif kind and walker.nested(kind, section, path):
            continue
        else:
            proxy.unknown_sections.append(section)
            walker.finding(ML0001_UNKNOWN_TYPE, Severity.INFO,
                           f"config dump section of unknown type {section.get('@type')!r} kept as raw JSON", path)
    _report_gaps(walker)


def _replaces(builder: SnapshotBuilder, proxy: EnvoyProxy, doc: Document, configs: list[dict[str, Any]]) -> bool:
    """A second config dump for the same proxy (one folder): keep the more complete one.

    A dump with EDS replaces one without (``config_dump`` beside ``config_dump?include_eds``);
    otherwise the first stays. Either way an ML0013 finding names the one set aside.
    """
    old = proxy.config_dump_location
    assert old is not None
    new_has_eds = any(_admin_type(c.get("@type")) == "EndpointsConfigDump" for c in configs)
    keep_new = new_has_eds and "endpoints" not in proxy.sections
    ignored, kept = (old, doc.location) if keep_new else (doc.location, old)
    builder.finding(ML0013_DUPLICATE_CAPTURE, Severity.INFO,
                    f"another config dump of this proxy set aside: {ignored}; using {kept}"
                    + (" (it has EDS)" if keep_new else ""), location=doc.location,
                    proxy=proxy.node_id or proxy.group)
    if not keep_new:
        return False
    snap = builder.snapshot
    snap.findings[:] = [f for f in snap.findings if not (f.location.file == old.file and f.location.member == old.member
                                                         and f.code != ML0013_DUPLICATE_CAPTURE)]
    for name in ("listeners", "clusters", "route_configs", "endpoints", "secrets", "ecds", "unknown_sections"):
        getattr(proxy, name).clear()
    proxy.sections.clear()
    proxy.section_versions.clear()
    proxy.derived.clear()
    return True


def _report_gaps(walker: Walker) -> None:
    proxy = walker.proxy
    if walker.partial:
        walker.finding(ML0012_PARTIAL_DUMP, Severity.INFO,
                       "partial dump (?resource= form): which state list each entry came from is assumed "
                       "from its type", "$")
    eds_clusters = "clusters" in proxy.sections and any(
        c.raw.get("type") == "EDS" for c in proxy.clusters)
    if eds_clusters and "endpoints" not in proxy.sections:
        walker.finding(ML0002_NO_EDS, Severity.INFO,
                       "no EndpointsConfigDump section: capture /config_dump?include_eds to see endpoints",
                       "$", "endpoint")
    if "secrets" in proxy.sections and not proxy.secrets and "listeners" in proxy.sections:
        walker.finding(ML0003_NO_SECRETS, Severity.INFO, "the dump holds no secrets (no TLS certificates)",
                       "$", "secret")
    elif proxy.sections & {"clusters", "listeners"} and "secrets" not in proxy.sections and not walker.partial:
        walker.finding(ML0003_NO_SECRETS, Severity.INFO, "no SecretsConfigDump section in the dump", "$",
                       "secret")
    for bucket in (proxy.clusters, proxy.listeners, proxy.route_configs, proxy.secrets):
        seen: dict[tuple[str, str], Resource[Any]] = {}
        for res in bucket:
            if not res.name or res.state == "static":
                continue
            # An update in flight is normal: the active version serves while the new one warms.
            key = (res.name, "warming" if res.state == "warming" else "serving")
            if key in seen:
                walker.finding(ML0010_DUPLICATE_NAME, Severity.WARNING,
                               f"{res.KIND} {res.name} appears more than once among dynamic resources",
                               res.json_path, res.KIND, res.name)
            seen[key] = res
