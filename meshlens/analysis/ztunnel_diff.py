"""istiod's intent for a ztunnel vs what the ztunnel holds: WDS (workloads, services) and WADS (policies).

Records are matched by identity (workload uid, service ``namespace/hostname``, policy
``namespace/name``) and compared field by field in one normal form: ztunnel's defaults filled in
(a value protojson omitted on istiod's side equals the default ztunnel filled in on its side),
lists whose order does not matter sorted, service endpoints keyed by workload uid (``<= 1.23``
dumps key them ``uid:network/ip``). Fields an older ztunnel does not write at all (``capacity``
before 1.26, endpoint ``status`` and workload ``services`` before 1.24, ``canonical`` before 1.29,
``visibility`` on releases) are not compared, and the drift's notes say so: never a silent match.

The result is a :class:`~meshlens.analysis.drift_model.Drift` (the same JSON as the Envoy diff):
``summary`` per type (``WDS``, ``WADS``), ``resources`` with status ``missing`` (istiod intends it,
the ztunnel lacks it), ``added`` (the ztunnel holds what istiod no longer sends) or ``changed``.
"""

from __future__ import annotations

from typing import Any

from meshlens.analysis.drift_model import STATUS_ORDER, Change, Drift, ResourceDrift
from meshlens.models.ztunnel import Policy, Service, Workload, Ztunnel

ZTUNNEL_TYPES = ("WDS", "WADS")
# Keys a ztunnel always writes from the version that introduced them: absent from every record of a
# capture, the capture predates them and they are not compared.
_ALWAYS_WRITTEN = {"workload": ("networkMode", "capacity"), "service": ("canonical", "visibility")}
_SHAPES_BEFORE_1_24 = ("map", "stores")


def _sorted(values: Any) -> list[Any]:
    return sorted(values, key=str)


def _gateway(g: Any) -> dict[str, Any] | None:
    if g is None:
        return None
    return {"destination": g.destination, "hboneMtlsPort": g.port or 15008}


def _workload(w: Workload) -> dict[str, Any]:
    return {
        "workloadIps": _sorted(w.workload_ips), "waypoint": _gateway(w.waypoint),
        "networkGateway": _gateway(w.network_gateway), "protocol": w.protocol or "TCP",
        "networkMode": w.network_mode or "Standard", "name": w.name, "namespace": w.namespace,
        "trustDomain": w.trust_domain or "cluster.local", "serviceAccount": w.service_account or "default",
        "network": w.network, "workloadName": w.workload_name, "workloadType": w.workload_type or "deployment",
        "canonicalName": w.canonical_name, "canonicalRevision": w.canonical_revision, "hostname": w.hostname,
        "node": w.node, "nativeTunnel": w.native_tunnel,
        "applicationTunnel": (None if w.application_tunnel is None or (w.application_tunnel.protocol == "NONE"
                                                                       and not w.application_tunnel.port)
                              else {"protocol": w.application_tunnel.protocol, "port": w.application_tunnel.port}),
        "authorizationPolicies": _sorted(w.authorization_policies), "status": w.status or "Healthy",
        "clusterId": w.cluster_id or "Kubernetes",
        "locality": ({"region": w.locality.region, "zone": w.locality.zone, "subzone": w.locality.subzone}
                     if w.locality is not None and (w.locality.region or w.locality.zone or w.locality.subzone)
                     else None),
        "services": _sorted(w.services), "capacity": w.capacity if w.capacity is not None else 1,
    }


def _service(s: Service, endpoint_status: bool) -> dict[str, Any]:
    endpoints = {}
    for key, ep in s.endpoints.items():
        entry: dict[str, Any] = {"port": {str(k): v for k, v in ep.port.items()}}
        if endpoint_status:
            entry["status"] = ep.status or "Healthy"
        endpoints[ep.workload_uid or key] = entry
    lb = s.load_balancer
    return {
        "name": s.name, "vips": _sorted(s.vips),
        "cidrVips": _sorted(c if isinstance(c, str) else f"{c.network}/{c.cidr}" for c in s.cidr_vips),
        "ports": {str(k): v for k, v in s.ports.items()}, "endpoints": endpoints,
        "subjectAltNames": _sorted(s.subject_alt_names), "waypoint": _gateway(s.waypoint),
        "loadBalancer": (None if lb is None else {"routingPreferences": list(lb.routing_preferences),
                                                  "mode": lb.mode or "Standard",
                                                  "healthPolicy": lb.health_policy or "OnlyHealthy"}),
        "ipFamilies": s.ip_families, "canonical": bool(s.canonical), "visibility": s.visibility or "Public",
    }


def _policy(p: Policy) -> dict[str, Any]:
    return {"scope": p.scope, "action": p.action, "dryRun": p.dry_run,
            "rules": [[[m.model_dump(mode="json", exclude_defaults=True) for m in clause] for clause in rule]
                      for rule in p.rules]}


def _not_written(loaded: Ztunnel) -> dict[str, set[str]]:
    """Per record kind, the fields the loaded capture's ztunnel version does not write."""
    skip: dict[str, set[str]] = {"workload": set(), "service": set()}
    for kind, keys in _ALWAYS_WRITTEN.items():
        records = loaded.workloads if kind == "workload" else loaded.services
        for key in keys:
            if records and not any(key in r.raw for r in records):
                skip[kind].add(key)
    if loaded.shape in _SHAPES_BEFORE_1_24 or "networkMode" in skip["workload"]:
        skip["workload"] |= {"services", "networkMode"}
        skip["service"] |= {"endpoints.status", "loadBalancer.healthPolicy"}
    if loaded.shape in _SHAPES_BEFORE_1_24:
        skip["service"].add("ipFamilies")  # 1.23+
    return skip


def _changes(a: Any, b: Any, path: str, out: list[Change]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in b:
                out.append(Change(path=sub, intended=a[key], loaded=None, kind="removed"))
            elif key not in a:
                out.append(Change(path=sub, intended=None, loaded=b[key], kind="added"))
            else:
                _changes(a[key], b[key], sub, out)
    elif a != b:
        out.append(Change(path=path, intended=a, loaded=b))


def _drop(d: dict[str, Any], fields: set[str]) -> dict[str, Any]:
    out = {k: v for k, v in d.items() if k not in fields}
    for field in fields:
        head, _, tail = field.partition(".")
        if tail and isinstance(out.get(head), dict):
            inner = out[head]
            if head == "endpoints":
                out[head] = {k: {kk: vv for kk, vv in v.items() if kk != tail} for k, v in inner.items()}
            else:
                out[head] = {k: v for k, v in inner.items() if k != tail}
    return out


def _compare(kind: str, intended: dict[str, dict[str, Any]], loaded: dict[str, dict[str, Any]],
             found: list[ResourceDrift]) -> None:
    for name in sorted(set(intended) | set(loaded)):
        if name not in loaded:
            found.append(ResourceDrift(type=kind, name=name, status="missing"))
        elif name not in intended:
            found.append(ResourceDrift(type=kind, name=name, status="added"))
        else:
            changes: list[Change] = []
            _changes(intended[name], loaded[name], "", changes)
            if changes:
                found.append(ResourceDrift(type=kind, name=name, status="changed", changes=changes))


def ztunnel_diff(intended: Ztunnel, loaded: Ztunnel) -> Drift:
    """Compare istiod's view of a ztunnel (or an earlier ztunnel capture) with a ztunnel capture."""
    skip = _not_written(loaded)
    notes: dict[str, str] = {}
    skipped = sorted([f"workload {f}" for f in skip["workload"]] + [f"service {f}" for f in skip["service"]])
    if skipped:
        notes["WDS"] = (f"fields the loaded ztunnel ({loaded.shape} dump) does not write: "
                        + ", ".join(skipped))
    status = "endpoints.status" not in skip["service"]
    found: list[ResourceDrift] = []
    _compare("WDS", {w.key: _drop(_workload(w), skip["workload"]) for w in intended.workloads},
             {w.key: _drop(_workload(w), skip["workload"]) for w in loaded.workloads}, found)
    _compare("WDS", {s.key: _drop(_service(s, status), skip["service"]) for s in intended.services},
             {s.key: _drop(_service(s, status), skip["service"]) for s in loaded.services}, found)
    summary = {"WDS": "DRIFTED" if found else "SYNCED"}
    if not intended.policies and loaded.policies:
        summary["WADS"] = "NOT_COMPARED"
        notes["WADS"] = (f"the intended capture holds no policies while the ztunnel holds {len(loaded.policies)} "
                         "(istiod's ztunnel config_dump lists workload-API Addresses only)")
    else:
        before = len(found)
        _compare("WADS", {p.key: _policy(p) for p in intended.policies},
                 {p.key: _policy(p) for p in loaded.policies}, found)
        summary["WADS"] = "DRIFTED" if len(found) > before else "SYNCED"
    found.sort(key=lambda r: (STATUS_ORDER.index(r.status), ZTUNNEL_TYPES.index(r.type), r.name))
    return Drift(summary=summary, resources=found, notes=notes, intended=intended.location.file or "",
                 loaded=loaded.location.file or "")
