"""istiod's view of a ztunnel: ``/debug/config_dump?proxyID=<ztunnel-pod>.istio-system``.

A ConfigDump whose ``configs`` are ``type.googleapis.com/istio.workload.Address`` entries (oneof
``workload`` / ``service``), plus ``istio.workload.Workload`` with ``?types=WDS`` and, when present,
``istio.security.Authorization``, written by Go's protojson: lowerCamelCase names, ``bytes`` as
base64, enums by name, default values omitted (``../shared/reference/upstream/`` has the protos).

The entries become the same typed records as a ztunnel ``/config_dump`` (a :class:`Ztunnel` with
``shape == "istiod"``), with ztunnel's own defaults filled in where protojson omitted a value
(trust domain ``cluster.local``, service account ``default``, cluster ``Kubernetes``, workload
type ``deployment``, capacity 1, ...), and service endpoints built as ztunnel builds them: from each
workload's ``services`` map, unhealthy workloads left out unless the service's health policy is
``ALLOW_ALL``. So a field istiod omitted compares equal to the value ztunnel filled in.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from typing import Any

from meshlens.models.base import Location
from meshlens.models.ztunnel import Policy, Service, Workload, Ztunnel, describe_value
from meshlens.sources.builder import SnapshotBuilder
from meshlens.sources.read import Document
from meshlens.sources.wds_sniff import ISTIOD_WDS_KIND, istiod_wds_sniff
from meshlens.sources.ztunnel import ztunnel_name

KIND = ISTIOD_WDS_KIND
SHAPE_ISTIOD = "istiod"
ADDRESS = "type.googleapis.com/istio.workload.Address"
WORKLOAD = "type.googleapis.com/istio.workload.Workload"
AUTHORIZATION = "type.googleapis.com/istio.security.Authorization"

_TUNNEL = {"HBONE": "HBONE"}  # NONE, LEGACY_ISTIO_MTLS: plain TCP inbound
_WORKLOAD_TYPE = {"DEPLOYMENT": "deployment", "CRONJOB": "cronjob", "POD": "pod", "JOB": "job"}
_IP_FAMILIES = {"IPV4_ONLY": "IPv4", "IPV6_ONLY": "IPv6", "DUAL": "Dual"}
_MODE = {"UNSPECIFIED_MODE": "Standard", "STRICT": "Strict", "FAILOVER": "Failover", "PASSTHROUGH": "Passthrough"}
_HEALTH = {"ONLY_HEALTHY": "OnlyHealthy", "ALLOW_ALL": "AllowAll"}
_SCOPE = {"REGION": "Region", "ZONE": "Zone", "SUBZONE": "Subzone", "NODE": "Node", "CLUSTER": "Cluster",
          "NETWORK": "Network"}
_POLICY_SCOPE = {"GLOBAL": "Global", "NAMESPACE": "Namespace", "WORKLOAD_SELECTOR": "WorkloadSelector"}
_ACTION = {"ALLOW": "Allow", "DENY": "Deny"}
_MATCH_STRINGS = ("namespaces", "notNamespaces", "principals", "notPrincipals")
_MATCH_IPS = ("sourceIps", "notSourceIps", "destinationIps", "notDestinationIps")


class _Converter:
    def __init__(self, doc: Document) -> None:
        self.doc = doc

    def fail(self, path: str, expected: str, value: Any) -> Exception:
        return self.doc.error(f"expected {expected}, found {describe_value(value)}", json_path=path)

    def ip(self, value: Any, path: str) -> str:
        """protojson ``bytes`` (base64) holding a 4- or 16-byte address, as text."""
        if not isinstance(value, str):
            raise self.fail(path, "a base64 string (protojson bytes)", value)
        try:
            raw = base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_" if "-" in value or "_" in value
                                   else None, validate=False)
            return str(ipaddress.ip_address(raw))
        except (binascii.Error, ValueError):
            raise self.fail(path, "the base64 of a 4- or 16-byte IP address", value) from None

    def network_address(self, value: Any, path: str) -> str:
        if not isinstance(value, dict):
            raise self.fail(path, "a NetworkAddress object {network, address}", value)
        ip = self.ip(value.get("address", ""), path + ".address")
        return f"{value.get('network', '')}/{ip}"

    def gateway(self, value: Any, path: str) -> dict[str, Any] | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.fail(path, "a GatewayAddress object", value)
        if "hostname" in value:
            host = value["hostname"] or {}
            destination = f"{host.get('namespace', '')}/{host.get('hostname', '')}"
        elif "address" in value:
            destination = self.network_address(value["address"], path + ".address")
        else:
            destination = ""
        return {"destination": destination, "hboneMtlsPort": value.get("hboneMtlsPort", 0)}

    # --------------------------------------------------------------------------------- records
    def workload(self, w: dict[str, Any], path: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "workloadIps": [self.ip(a, f"{path}.addresses[{i}]") for i, a in enumerate(w.get("addresses", []))],
            "protocol": _TUNNEL.get(w.get("tunnelProtocol", "NONE"), "TCP"),
            "networkMode": "HostNetwork" if w.get("networkMode") == "HOST_NETWORK" else "Standard",
            "uid": w.get("uid", ""), "name": w.get("name", ""), "namespace": w.get("namespace", ""),
            "trustDomain": w.get("trustDomain") or "cluster.local",
            "serviceAccount": w.get("serviceAccount") or "default",
            "network": w.get("network", ""), "workloadName": w.get("workloadName", ""),
            "workloadType": _WORKLOAD_TYPE.get(w.get("workloadType", "DEPLOYMENT"), "deployment"),
            "canonicalName": w.get("canonicalName", ""), "canonicalRevision": w.get("canonicalRevision", ""),
            "hostname": w.get("hostname", ""), "node": w.get("node", ""),
            "nativeTunnel": bool(w.get("nativeTunnel", False)),
            "authorizationPolicies": list(w.get("authorizationPolicies", [])),
            "status": "Unhealthy" if w.get("status") == "UNHEALTHY" else "Healthy",
            "clusterId": w.get("clusterId") or "Kubernetes",
            "services": sorted(w.get("services", {})),
            "capacity": w.get("capacity", 1) if w.get("capacity") is not None else 1,
        }
        for key in ("waypoint", "networkGateway"):
            gateway = self.gateway(w.get(key), f"{path}.{key}")
            if gateway is not None:
                out[key] = gateway
        tunnel = w.get("applicationTunnel")
        if isinstance(tunnel, dict):
            out["applicationTunnel"] = {"protocol": tunnel.get("protocol", "NONE"), "port": tunnel.get("port")}
        locality = w.get("locality")
        if isinstance(locality, dict) and any(locality.values()):
            out["locality"] = {k: locality.get(k, "") for k in ("region", "zone", "subzone")}
        return out

    def service(self, s: dict[str, Any], path: str) -> dict[str, Any]:
        vips, cidrs = [], []
        for i, a in enumerate(s.get("addresses", [])):
            text = self.network_address(a, f"{path}.addresses[{i}]")
            if isinstance(a, dict) and a.get("length") is not None:
                network, _, ip = text.partition("/")
                cidrs.append({"network": network, "cidr": f"{ip}/{a['length']}"})
            else:
                vips.append(text)
        out: dict[str, Any] = {
            "name": s.get("name", ""), "namespace": s.get("namespace", ""), "hostname": s.get("hostname", ""),
            "vips": vips,
            "ports": {str(p.get("servicePort", 0)): p.get("targetPort", 0) for p in s.get("ports", [])},
            "endpoints": {}, "subjectAltNames": list(s.get("subjectAltNames", [])),
            "canonical": bool(s.get("canonical", False)),
            "visibility": "Namespace" if s.get("visibility") == "NAMESPACE" else "Public",
        }
        if cidrs:
            out["cidrVips"] = cidrs
        waypoint = self.gateway(s.get("waypoint"), f"{path}.waypoint")
        if waypoint is not None:
            out["waypoint"] = waypoint
        lb = s.get("loadBalancing")
        if isinstance(lb, dict):
            out["loadBalancer"] = {
                "routingPreferences": [_SCOPE.get(p, p) for p in lb.get("routingPreference", [])],
                "mode": _MODE.get(lb.get("mode", "UNSPECIFIED_MODE"), lb.get("mode")),
                "healthPolicy": _HEALTH.get(lb.get("healthPolicy", "ONLY_HEALTHY"), lb.get("healthPolicy")),
            }
        families = _IP_FAMILIES.get(s.get("ipFamilies", "AUTOMATIC"))
        if families:
            out["ipFamilies"] = families
        return out

    def policy(self, p: dict[str, Any], path: str) -> dict[str, Any]:
        rules = []
        for group in p.get("groups", []):
            clauses = []
            for rule in group.get("rules", []):
                clauses.append([self.match(m, path) for m in rule.get("matches", [])])
            rules.append(clauses)
        return {"name": p.get("name", ""), "namespace": p.get("namespace", ""),
                "scope": _POLICY_SCOPE.get(p.get("scope", "GLOBAL"), p.get("scope")),
                "action": _ACTION.get(p.get("action", "ALLOW"), p.get("action")), "rules": rules,
                "dryRun": bool(p.get("dryRun", False))}

    def match(self, m: dict[str, Any], path: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in _MATCH_STRINGS:
            if m.get(key):
                out[key] = [_string_match(x) for x in m[key]]
        for key in ("serviceAccounts", "notServiceAccounts"):
            if m.get(key):
                out[key] = [{"namespace": x.get("namespace", ""), "serviceAccount": x.get("serviceAccount", "")}
                            for x in m[key]]
        for key in _MATCH_IPS:
            if m.get(key):
                out[key] = [f"{self.ip(x.get('address', ''), path)}/{x.get('length', 0)}" for x in m[key]]
        for key in ("destinationPorts", "notDestinationPorts"):
            if m.get(key):
                out[key] = list(m[key])
        return out


def _string_match(value: dict[str, Any]) -> dict[str, Any]:
    for key, tag in (("exact", "Exact"), ("prefix", "Prefix"), ("suffix", "Suffix")):
        if key in value:
            return {tag: value[key]}
    return {"Presence": []}


def _endpoints(workloads: list[dict[str, Any]], raw_services: dict[str, dict[str, Any]],
               services: list[dict[str, Any]]) -> None:
    """Fill each service's ``endpoints`` as ztunnel does, from the workloads' ``services`` maps."""
    by_key = {f"{s['namespace']}/{s['hostname']}": s for s in services}
    for w in workloads:
        for key, ports in raw_services.get(w["uid"], {}).items():
            svc = by_key.get(key)
            if svc is None:
                continue
            policy = (svc.get("loadBalancer") or {}).get("healthPolicy", "OnlyHealthy")
            if w["status"] != "Healthy" and policy != "AllowAll":
                continue
            port_map = {str(p.get("servicePort", 0)): p.get("targetPort", 0) for p in (ports or {}).get("ports", [])}
            svc["endpoints"][w["uid"]] = {"workloadUid": w["uid"], "port": port_map, "status": w["status"]}


def read_istiod_wds(doc: Document) -> Ztunnel:
    """The :class:`Ztunnel` records of istiod's ztunnel config dump (see the module docstring)."""
    conv = _Converter(doc)
    configs = doc.data.get("configs") if isinstance(doc.data, dict) else None
    if not isinstance(configs, list):
        raise doc.error("expected a ConfigDump with a configs list", json_path="$.configs")
    workloads: dict[str, tuple[dict[str, Any], str]] = {}
    raw_services: dict[str, dict[str, Any]] = {}
    services: list[tuple[dict[str, Any], str]] = []
    policies: list[tuple[dict[str, Any], str]] = []
    for i, entry in enumerate(configs):
        path = f"$.configs[{i}]"
        if not isinstance(entry, dict):
            raise conv.fail(path, "an object with an @type", entry)
        kind = entry.get("@type")
        if kind == ADDRESS and isinstance(entry.get("workload"), dict):
            w = entry["workload"]
            workloads[w.get("uid") or f"{w.get('namespace')}/{w.get('name')}"] = (
                conv.workload(w, path + ".workload"), path + ".workload")
            raw_services[w.get("uid", "")] = w.get("services", {})
        elif kind == WORKLOAD:
            w = {k: v for k, v in entry.items() if k != "@type"}
            workloads.setdefault(w.get("uid") or f"{w.get('namespace')}/{w.get('name')}",
                                 (conv.workload(w, path), path))
            raw_services.setdefault(w.get("uid", ""), w.get("services", {}))
        elif kind == ADDRESS and isinstance(entry.get("service"), dict):
            services.append((conv.service(entry["service"], path + ".service"), path + ".service"))
        elif kind == AUTHORIZATION:
            policies.append((conv.policy({k: v for k, v in entry.items() if k != "@type"}, path), path))
        else:
            raise conv.fail(path, "an istio.workload.Address (workload or service), istio.workload.Workload or "
                                  "istio.security.Authorization entry", entry)
    _endpoints([w for w, _ in workloads.values()], raw_services, [s for s, _ in services])
    z = Ztunnel(location=doc.location, raw=doc.data, name=ztunnel_name(doc.location), shape=SHAPE_ISTIOD)
    src = Location(file=doc.location.file, member=doc.location.member)
    z.workloads = sorted((Workload.from_raw(w, path=p, source=src) for w, p in workloads.values()),
                         key=lambda w: w.uid)
    z.services = sorted((Service.from_raw(s, path=p, source=src) for s, p in services), key=lambda s: s.hostname)
    z.policies = sorted((Policy.from_raw(p, path=path, source=src) for p, path in policies), key=lambda p: p.key)
    return z


def sniff(doc: Document) -> bool:
    """istiod's ztunnel config dump (see :func:`meshlens.sources.wds_sniff.istiod_wds_sniff`)."""
    return istiod_wds_sniff(doc)


def load(doc: Document, builder: SnapshotBuilder) -> None:
    """Add istiod's view of a ztunnel to the snapshot's ``ztunnels`` (``shape == "istiod"``)."""
    builder.add_ztunnel(read_istiod_wds(doc))
