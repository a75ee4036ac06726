"""ztunnel ``/config_dump`` loader: every dump shape, and ztunnel's LocalConfig YAML.

Shapes (see ``ztunnel.md`` section 1.10):

* 1.23+ ``list``: ``workloads``/``services``/``policies`` arrays, ``stagedServices``,
  ``staticConfig``, ``version``, ``config``, ``certificates``, ``workloadState``.
* 1.22 ``map``: the same keys, but workloads keyed ``network/ip``, services ``network/vip``,
  policies ``ns/name``.
* <= 1.21 ``stores``: the flattened snake_case internal stores (``by_uid``, ``by_vip``,
  ``by_host``, ``by_key``, ``staged_services``, ``static_config``).
* ``local-config``: a LocalConfig YAML (``workloads``/``services``/``policies`` only).

Like istioctl, each collection may be a list or a map (a map's values are used). A record that
is in the dump twice under two keys (a dual-stack workload in the 1.22 map) is kept once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

from pydantic import ValidationError

from meshlens.models.base import (
    MAX_DEPTH,
    ML0011_BAD_CERTIFICATE,
    ML0014_ZTUNNEL_STAGED_SERVICES,
    ML0015_ZTUNNEL_CERT_NOT_READY,
    Location,
    Severity,
    too_deep,
)
from meshlens.models.ztunnel import (
    SHAPE_LIST,
    SHAPE_LOCAL_CONFIG,
    SHAPE_MAP,
    SHAPE_STORES,
    BuildInfo,
    CertsDump,
    Policy,
    Service,
    StagedService,
    StaticConfig,
    Workload,
    WorkloadState,
    Ztunnel,
    ZtunnelRecord,
    describe_value,
    explain_validation_error,
    json_path_key,
)
from meshlens.sources.bounded import mtime_stamp
from meshlens.sources.builder import SnapshotBuilder
from meshlens.sources.read import Document
from meshlens.sources.sniff import _LOCAL_CONFIG_KEYS, _STORE_KEYS, ZTUNNEL_KIND, ztunnel_sniff

KIND = ZTUNNEL_KIND
sniff = ztunnel_sniff  # the loader protocol's name for it

_STATE_KEYS = ("workloadState", "workloadstate", "workload_state")


def detect_shape(data: dict[str, Any]) -> str:
    """``list``, ``map``, ``stores`` or ``local-config`` (see the module docstring)."""
    if not _STORE_KEYS.isdisjoint(data):
        return SHAPE_STORES
    collections = [data.get(k) for k in ("workloads", "services", "policies")]
    if data.keys() <= _LOCAL_CONFIG_KEYS and not any(isinstance(v, dict) for v in collections):
        return SHAPE_LOCAL_CONFIG
    for value in collections:
        if isinstance(value, dict):
            return SHAPE_MAP
        if isinstance(value, list):
            return SHAPE_LIST
    return SHAPE_LIST


def ztunnel_name(location: Location) -> str:
    """The pod of a bug-report ``proxies/<ns>/<pod>/config_dump`` member, else the file's stem."""
    if location.member:
        parts = PurePosixPath(location.member).parts
        if "proxies" in parts:
            i = len(parts) - 1 - parts[::-1].index("proxies")
            if i + 3 < len(parts):
                return parts[i + 2]
        if len(parts) > 1:
            return parts[-2]
        return _stem(parts[-1]) if parts else "ztunnel"
    file = location.file or ""
    if not file or file.startswith("<"):
        return "ztunnel"
    return _stem(PurePosixPath(file.replace("\\", "/")).name)


def _stem(name: str) -> str:
    for suffix in (".gz", ".json", ".yaml", ".yml"):
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
    return name or "ztunnel"


class _Reader:
    """Reads one document's records, raising one-line LoadErrors for wrong-typed values."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.source = Location(file=doc.location.file, member=doc.location.member)

    def entries(self, value: Any, path: str, what: str) -> Iterator[tuple[Any, str, str | None]]:
        """``(item, json_path, map_key)`` of a list or a map (None / absent = empty)."""
        if value is None:
            return
        if isinstance(value, list):
            for i, item in enumerate(value):
                yield item, f"{path}[{i}]", None
        elif isinstance(value, dict):
            for key, item in value.items():
                yield item, path + json_path_key(key), str(key)
        else:
            raise self.doc.error(f"{_last(path)} is {describe_value(value)}: expected a list or a map of {what}",
                                 json_path=path)

    def record(self, cls: type[ZtunnelRecord], item: Any, path: str, **overrides: Any) -> Any:
        if not isinstance(item, dict):
            raise self.doc.error(f"{_last(path)} is {describe_value(item)}: expected {cls.WHAT}", json_path=path)
        try:
            return cls.from_raw(item, path=path, source=self.source, **overrides)
        except ValidationError as exc:
            suffix, message = explain_validation_error(exc, cls, item)
            raise self.doc.error(message, json_path=path + suffix) from None

    def records(self, cls: type[ZtunnelRecord], value: Any, path: str, what: str) -> list[Any]:
        out: list[Any] = []
        seen: dict[str, dict[str, Any]] = {}
        for item, item_path, _ in self.entries(value, path, what):
            rec = self.record(cls, item, item_path)
            if rec.key and seen.get(rec.key) == item:
                continue  # the same record under a second key (dual-stack IPs / VIPs)
            seen.setdefault(rec.key, item)
            out.append(rec)
        return out

    def obj(self, data: dict[str, Any], key: str, what: str) -> dict[str, Any] | None:
        value = data.get(key)
        if value is None or isinstance(value, dict):
            return value
        raise self.doc.error(f"{key} is {describe_value(value)}: expected {what}", json_path="$" + json_path_key(key))


_STEP_RE = re.compile(r"\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\]|\['(?:[^'\\]|\\.)*'\]")


def _last(path: str) -> str:
    """The last named step of a JSON path and what follows it: ``$.a.workloads[0]`` -> ``workloads[0]``."""
    steps = _STEP_RE.findall(path)
    named = max((i for i, s in enumerate(steps) if s.startswith(".")), default=0)
    return "".join(steps[named:]).lstrip(".") or "the document"


def _first(data: dict[str, Any], *keys: str) -> tuple[str, Any]:
    for key in keys:
        if key in data:
            return key, data[key]
    return keys[0], None


def _staged(reader: _Reader, value: Any, path: str) -> list[StagedService]:
    out = []
    for item, item_path, key in reader.entries(value, path, 'endpoint maps keyed "ns/hostname"'):
        if key is None:  # a list: entries carry their own "service"
            out.append(reader.record(StagedService, item, item_path))
        else:
            if not isinstance(item, dict):
                raise reader.doc.error(f"{_last(item_path)} is {describe_value(item)}: expected {StagedService.WHAT}",
                                       json_path=item_path)
            out.append(reader.record(StagedService, {"service": key, "endpoints": item}, item_path))
    return out


def _stores_services(reader: _Reader, data: dict[str, Any]) -> list[Service]:
    """<= 1.21: ``by_host`` (hostname -> [Service]) has every service; ``by_vip`` only those with VIPs."""
    if "by_host" in data:
        flat: list[tuple[Any, str]] = []
        for item, path, _ in reader.entries(data["by_host"], "$.by_host", "services"):
            if isinstance(item, list):
                flat.extend((s, f"{path}[{i}]") for i, s in enumerate(item))
            else:
                flat.append((item, path))
        out: list[Service] = []
        seen: set[str] = set()
        for item, path in flat:
            rec = reader.record(Service, item, path)
            if rec.key not in seen:
                seen.add(rec.key)
                out.append(rec)
        return out
    return reader.records(Service, data.get("by_vip"), "$.by_vip", "services")


def _static_config(reader: _Reader, value: dict[str, Any], path: str) -> StaticConfig:
    return StaticConfig(
        workloads=reader.records(Workload, value.get("workloads"), path + ".workloads", "workloads"),
        services=reader.records(Service, value.get("services"), path + ".services", "services"),
        policies=reader.records(Policy, value.get("policies"), path + ".policies", "policies"),
    )


def read_ztunnel(doc: Document) -> Ztunnel:
    """Build the :class:`Ztunnel` of one document (no findings; see :func:`load`).

    Raises:
        LoadError: a value has the wrong type; the message names the file and JSON path.
    """
    data = doc.data
    if not isinstance(data, dict):
        raise doc.error(f"the document is {describe_value(data)}: expected a ztunnel config dump object")
    deep = too_deep(data)  # ztunnel dumps are small: one walk bounds every later recursive one
    if deep is not None:
        raise doc.error(f"nested deeper than {MAX_DEPTH} levels", json_path="$" + deep)
    reader = _Reader(doc)
    shape = detect_shape(data)
    z = Ztunnel(location=doc.location, raw=data, name=ztunnel_name(doc.location), shape=shape)
    z.captured_at = mtime_stamp(doc.mtime)

    if shape == SHAPE_STORES:
        wkey, workloads = _first(data, "by_uid", "by_addr", "workloads")
        z.workloads = reader.records(Workload, workloads, "$" + json_path_key(wkey), "workloads")
        z.services = _stores_services(reader, data)
        pkey, policies = _first(data, "policies", "by_key")
        z.policies = reader.records(Policy, policies, "$" + json_path_key(pkey), "policies")
    else:
        z.workloads = reader.records(Workload, data.get("workloads"), "$.workloads", "workloads")
        z.services = reader.records(Service, data.get("services"), "$.services", "services")
        z.policies = reader.records(Policy, data.get("policies"), "$.policies", "policies")

    skey, staged = _first(data, "stagedServices", "staged_services")
    z.staged_services = _staged(reader, staged, "$" + json_path_key(skey))
    z.certificates = reader.records(CertsDump, data.get("certificates"), "$.certificates", "certificates")

    state_key, states = _first(data, *_STATE_KEYS)
    path = "$" + json_path_key(state_key)
    for item, item_path, pod_uid in reader.entries(states, path, "pod states keyed by pod UID"):
        overrides = {"podUid": pod_uid} if pod_uid is not None else {}
        z.workload_state.append(reader.record(WorkloadState, item, item_path, **overrides))

    if shape == SHAPE_LOCAL_CONFIG:
        z.static_config = StaticConfig(workloads=z.workloads, services=z.services, policies=z.policies)
    else:
        ckey, _ = _first(data, "staticConfig", "static_config")
        static = reader.obj(data, ckey, "an object {workloads, policies, services}")
        if static is not None:
            z.static_config = _static_config(reader, static, "$" + json_path_key(ckey))

    version = reader.obj(data, "version", "a build info object")
    if version is not None:
        z.version = _build_info(reader, version)
    z.config = reader.obj(data, "config", "an object (ztunnel's runtime config)") or {}
    return z


def _build_info(reader: _Reader, value: dict[str, Any]) -> BuildInfo:
    try:
        return BuildInfo.model_validate(value)
    except ValidationError as exc:
        suffix, message = explain_validation_error(exc, BuildInfo, value)
        raise reader.doc.error(message, json_path="$.version" + suffix) from None


def report(z: Ztunnel, builder: SnapshotBuilder) -> None:
    """Load findings: staged services, certificates not Available, certificates that do not decode."""
    for staged in z.staged_services:
        n = len(staged.endpoints)
        builder.finding(
            ML0014_ZTUNNEL_STAGED_SERVICES, Severity.WARNING,
            f"{n} endpoint{'s' if n != 1 else ''} staged for service {staged.service!r}, which ztunnel has "
            "not received: workloads reference a service unknown to ztunnel",
            location=staged.location, proxy=z.name, kind="staged-service", name=staged.service)
    for cert in z.certificates:
        if cert.state == "Initializing" or cert.state.startswith("Unavailable"):
            initializing = cert.state == "Initializing"
            builder.finding(
                ML0015_ZTUNNEL_CERT_NOT_READY, Severity.INFO if initializing else Severity.WARNING,
                f"certificate for {cert.identity} is {cert.state}"
                + (" (first fetch still pending at capture time)" if initializing else ""),
                location=cert.location, proxy=z.name, kind="certificate", name=cert.identity)
        lists = (("certChain", cert.cert_chain), ("rootCerts", cert.root_certs or ()))
        for list_name, certs in lists:
            for i, entry in enumerate(certs):
                if entry.decode_error is None:
                    continue
                where = cert.location
                if list_name in cert.raw:  # index is exact only when the list is in the raw record
                    where = where.child(f".{list_name}[{i}]")
                builder.finding(
                    ML0011_BAD_CERTIFICATE, Severity.WARNING,
                    f"{list_name}[{i}] of {cert.identity} does not decode: {entry.decode_error}",
                    location=where, proxy=z.name, kind="certificate", name=cert.identity)


def load(doc: Document, builder: SnapshotBuilder) -> None:
    """Load a ztunnel ``/config_dump`` into ``builder``, with its load findings."""
    z = read_ztunnel(doc)
    report(z, builder)
    builder.add_ztunnel(z)
