"""Parse Envoy ``/clusters`` and ``/listeners`` (JSON and text forms) into the same typed records.

The text form of ``/clusters`` (what a bug-report archive holds) is one ``name::key::value`` fact
per line::

    outbound|9080||reviews...::observability_name::outbound|9080||reviews...
    outbound|9080||reviews...::default_priority::max_connections::4294967295
    outbound|9080||reviews...::added_via_api::true
    outbound|9080||reviews...::outlier::success_rate_average::-1
    outbound|9080||reviews...::10.244.0.192:9080::cx_total::5
    outbound|9080||reviews...::10.244.0.192:9080::health_flags::/failed_active_hc/failed_outlier_check

A host address may itself hold ``::`` (``[::1]:9080``), so it is cut at the first ``::`` after its
closing bracket. Lines of one host are consecutive, so the loop keeps the current cluster and host
instead of looking them up for every line.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import TypeAdapter, ValidationError

from meshlens.models.admin import (
    HOST_GAUGES,
    ClusterStatus,
    HealthStatus,
    ListenerStatus,
)


def address_from_text(text: str) -> dict[str, Any]:
    """Envoy's printed address (``ip:port``, ``[v6]:port``, a pipe path, ``envoy://l/id``) as proto JSON."""
    if text.startswith("envoy://"):
        listener, _, endpoint_id = text[len("envoy://"):].partition("/")
        return {"envoy_internal_address": {"server_listener_name": listener, "endpoint_id": endpoint_id}}
    if text.startswith("["):
        host, _, port = text[1:].partition("]:")
        if port.isdigit():
            return {"socket_address": {"address": host, "port_value": int(port)}}
    else:
        host, sep, port = text.rpartition(":")
        if sep and host and port.isdigit() and "/" not in host:
            return {"socket_address": {"address": host, "port_value": int(port)}}
    return {"pipe": {"path": text.removeprefix("unix://")}}


_CLUSTERS = TypeAdapter(list[ClusterStatus])
_LISTENERS = TypeAdapter(list[ListenerStatus])

# Per-cluster facts of the text form: key -> ClusterStatus field (value kept as text, validated later).
_CLUSTER_FACTS = frozenset({"observability_name", "added_via_api", "eds_service_name"})
_PRIORITIES = {"default_priority": "DEFAULT", "high_priority": "HIGH"}
_OUTLIER_FACTS = frozenset({"success_rate_average", "success_rate_ejection_threshold",
                            "local_origin_success_rate_average",
                            "local_origin_success_rate_ejection_threshold"})
# Per-host facts of the text form that are not stats.
_HOST_FACTS = frozenset({"hostname", "health_flags", "weight", "region", "zone", "sub_zone", "canary",
                         "priority", "success_rate", "local_origin_success_rate"})
# Markers that only the /clusters text form has (a cluster-level or host-level fact).
_TEXT_MARKERS = ("::observability_name::", "::default_priority::", "::added_via_api::",
                 "::health_flags::", "::high_priority::", "::cx_active::")

Problem = tuple[str, str]  # (JSON path or line reference, message)


def validate_clusters(items: list[Any], base: str) -> tuple[list[ClusterStatus], list[Problem]]:
    """Validate raw cluster-status dicts in one pass; on failure, item by item so one bad entry
    only costs that entry.
    """
    try:
        return _CLUSTERS.validate_python(items), []
    except ValidationError:
        pass
    good: list[ClusterStatus] = []
    problems: list[Problem] = []
    for i, item in enumerate(items):
        try:
            good.append(ClusterStatus.model_validate(item))
        except ValidationError as exc:
            err = exc.errors()[0]
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.get("loc", ()))
            name = item.get("name") if isinstance(item, dict) else None
            problems.append((f"{base}[{i}]{where}",
                             f"cluster status {name!r} skipped: {err.get('msg', 'invalid value')}"))
    return good, problems


def clusters_from_json(data: dict[str, Any]) -> tuple[list[ClusterStatus], list[Problem]]:
    """``/clusters?format=json``: typed cluster statuses and the entries that did not validate."""
    key = "cluster_statuses" if "cluster_statuses" in data else "clusterStatuses"
    items = data.get(key) or []
    return validate_clusters(items, f"$.{key}")


def looks_like_clusters_text(text: str) -> bool:
    """True when ``text`` is Envoy's plain ``/clusters`` output (``cluster::host::fact::value`` lines)."""
    head = text.lstrip()[:4096]
    first = head.split("\n", 1)[0]
    return first.count("::") >= 2 and any(marker in head for marker in _TEXT_MARKERS)


@lru_cache(maxsize=256)
def _health(flags: str) -> HealthStatus:
    """One shared (frozen) record per distinct ``health_flags`` value: most hosts say ``healthy``."""
    return HealthStatus.from_flags(flags)


def _host_record(address: str, facts: dict[str, str]) -> dict[str, Any]:
    """A text-form host's facts as the JSON ``HostStatus`` shape."""
    record: dict[str, Any] = {"address": _address(address)}
    _host_stats(facts, record)
    get = facts.get
    flags = get("health_flags")
    if flags is not None:
        record["health_status"] = _health(flags)
    for key in ("weight", "priority"):
        value = get(key, "")
        if value.isdigit():
            record[key] = int(value)
    if get("hostname"):
        record["hostname"] = facts["hostname"]
    if get("region") or get("zone") or get("sub_zone"):
        record["locality"] = {k: facts[k] for k in ("region", "zone", "sub_zone") if get(k)}
    for key in ("success_rate", "local_origin_success_rate"):
        rate = get(key)
        if rate is not None and rate != "-1":
            record[key] = rate
    canary = get("canary")
    if canary is not None:
        record["canary"] = canary == "true"
    return record


def _host_stats(facts: dict[str, str], record: dict[str, Any]) -> None:
    """The host's counters as ``stats``; a counter that is not an integer goes to ``unparsed_facts``."""
    try:
        record["stats"] = {k: int(v) for k, v in facts.items() if k not in _HOST_FACTS}
    except ValueError:
        stats: dict[str, int] = {}
        for key, value in facts.items():
            if key not in _HOST_FACTS:
                try:
                    stats[key] = int(value)
                except ValueError:
                    record.setdefault("unparsed_facts", {})[key] = value
        record["stats"] = stats


@lru_cache(maxsize=4096)
def _address(text: str) -> dict[str, Any]:
    return address_from_text(text)


def clusters_from_text(text: str) -> tuple[list[ClusterStatus], list[Problem]]:  # noqa: C901 - one hot loop
    # One pass with the per-line state in locals: a 50k-host /clusters text is read line by line, and a
    # function call per line would cost more than the branches it hides.
    """Parse the text form of ``/clusters`` into the records the JSON form gives."""
    clusters: dict[str, dict[str, Any]] = {}
    hosts: dict[str, dict[str, dict[str, str]]] = {}
    problems: list[Problem] = []
    cur_name: str | None = None
    cluster: dict[str, Any] = {}
    cluster_hosts: dict[str, dict[str, str]] = {}
    host: dict[str, str] = {}
    host_prefix = "\0"  # "<cluster>::<address>::" of the host being read: most lines start with it
    cut = 0
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith(host_prefix):
            key, _, value = line[cut:].partition("::")
            host[key] = value
            continue
        if not line:
            continue
        name, sep, rest = line.partition("::")
        if not sep:
            problems.append((f"line {number}", f"not a /clusters line: {line[:80]!r}"))
            continue
        if name != cur_name:
            cur_name = name
            if name not in clusters:
                clusters[name] = {"name": name}
                hosts[name] = {}
            cluster, cluster_hosts = clusters[name], hosts[name]
        head, _, tail = rest.partition("::")
        if head in _CLUSTER_FACTS:
            cluster[head] = tail
        elif head in _PRIORITIES:
            key, _, value = tail.partition("::")
            thresholds = cluster.setdefault("_thresholds", {})
            thresholds.setdefault(_PRIORITIES[head], {"priority": _PRIORITIES[head]})[key] = value
        elif head == "outlier":
            key, _, value = tail.partition("::")
            if key in _OUTLIER_FACTS:
                cluster[key] = value
        else:
            if head.startswith("["):  # IPv6 address: "[::1]:9080::cx_total::0"
                end = rest.find("::", rest.find("]"))
                head, tail = (rest[:end], rest[end + 2:]) if end >= 0 else (rest, "")
            host = cluster_hosts.setdefault(head, {})
            host_prefix = f"{name}::{head}::"
            cut = len(host_prefix)
            key, _, value = tail.partition("::")
            host[key] = value
    records: list[dict[str, Any]] = []
    for name, cluster in clusters.items():
        thresholds = cluster.pop("_thresholds", None)
        if thresholds:
            cluster["circuit_breakers"] = {"thresholds": list(thresholds.values())}
        cluster["host_statuses"] = [_host_record(addr, facts) for addr, facts in hosts[name].items()]
        records.append(cluster)
    good, bad = validate_clusters(records, "$")
    return good, problems + bad


# ---------------------------------------------------------------------------------- /listeners
def listeners_from_json(data: dict[str, Any]) -> tuple[list[ListenerStatus], list[Problem]]:
    """``/listeners?format=json``: typed listener statuses and the entries that did not validate."""
    key = "listener_statuses" if "listener_statuses" in data else "listenerStatuses"
    items = data.get(key) or []
    try:
        return _LISTENERS.validate_python(items), []
    except ValidationError:
        pass
    good: list[ListenerStatus] = []
    problems: list[Problem] = []
    for i, item in enumerate(items):
        try:
            good.append(ListenerStatus.model_validate(item))
        except ValidationError as exc:
            problems.append((f"$.{key}[{i}]", f"listener status skipped: {exc.errors()[0]['msg']}"))
    return good, problems


def _split_listener_line(line: str) -> tuple[str, str] | None:
    """``name::address``; the address may be ``[::]:15001``, so cut before its bracket."""
    cut = line.rfind("::[")
    if cut < 0:
        cut = line.rfind("::")
    if cut < 0:
        return None
    return line[:cut], line[cut + 2:]


def _is_address(text: str) -> bool:
    record = address_from_text(text)
    return "socket_address" in record or text.startswith(("/", "@", "./", "envoy://", "unix://"))


def looks_like_listeners_text(text: str) -> bool:
    """True when ``text`` is Envoy's plain ``/listeners`` output (``name::address`` lines)."""
    lines = [ln for ln in text.strip().splitlines()[:50] if ln]
    if not lines:
        return False
    for line in lines:
        parts = _split_listener_line(line)
        if parts is None or "::" in parts[0].replace("[::", "") or not _is_address(parts[1]):
            return False
    return True


def listeners_from_text(text: str) -> tuple[list[ListenerStatus], list[Problem]]:
    """Plain ``/listeners`` output: listener statuses and the lines that could not be read."""
    out: list[ListenerStatus] = []
    problems: list[Problem] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = _split_listener_line(line)
        if parts is None:
            problems.append((f"line {number}", f"not a /listeners line: {line[:80]!r}"))
            continue
        out.append(ListenerStatus.model_validate({"name": parts[0], "local_address": address_from_text(parts[1])}))
    return out, problems


def host_stat_type(name: str) -> str:
    """``GAUGE`` or ``COUNTER`` for a per-host stat name (the text form does not say)."""
    return "GAUGE" if name in HOST_GAUGES else "COUNTER"
