"""Write istiod's view of a ztunnel (``/debug/config_dump?proxyID=<ztunnel>``) from a ztunnel capture.

istiod answers that URL with an ``envoy.admin.v3.ConfigDump`` whose ``configs`` are
``type.googleapis.com/istio.workload.Address`` entries (``?types=WDS`` adds
``istio.workload.Workload``), written by Go's protojson. This script builds that document from the
typed records of a real ztunnel ``/config_dump`` (what istiod must have sent for ztunnel to hold
them), following the rules of protojson for the protos in ``../shared/reference/upstream/``:

* field names in lowerCamelCase, in the order the ``.proto`` declares them;
* ``bytes`` (IP addresses) as standard base64 with padding;
* enums by their value name (``HBONE``, ``UNHEALTHY``, ``IPV4_ONLY``, ``FAILOVER``);
* fields equal to their proto3 default (``""``, ``0``, ``false``, the enum's 0 value, empty lists
  and maps, unset messages) omitted. Values ztunnel fills in itself when istiod sends nothing
  (trust domain ``cluster.local``, service account ``default``, cluster ``Kubernetes``, capacity 1)
  are omitted too, so the fixtures exercise "omitted on istiod's side = ztunnel's default".

Service endpoints are not part of the workload API: istiod sends each workload's ``services`` map
(``"ns/hostname" -> {ports: [{servicePort, targetPort}]}``), rebuilt here from the dump's endpoints.

    python scripts/make_istiod_ztunnel_dump.py ZTUNNEL_DUMP OUT.json [--types-wds] [--policies]
"""

from __future__ import annotations

import argparse
import base64
import ipaddress
import json
import sys
from pathlib import Path
from typing import Any

import meshlens
from meshlens.models.names import GatewayDestination, NetworkAddress
from meshlens.models.ztunnel import GatewayAddress, Policy, Service, Workload, Ztunnel

ADDRESS = "type.googleapis.com/istio.workload.Address"
WORKLOAD = "type.googleapis.com/istio.workload.Workload"
AUTHORIZATION = "type.googleapis.com/istio.security.Authorization"
_WORKLOAD_TYPE = {"deployment": None, "cronjob": "CRONJOB", "pod": "POD", "job": "JOB"}
_IP_FAMILIES = {"IPv4": "IPV4_ONLY", "IPv6": "IPV6_ONLY", "Dual": "DUAL"}
_MODE = {"Standard": None, "Strict": "STRICT", "Failover": "FAILOVER", "Passthrough": "PASSTHROUGH"}
_SCOPES = {"Region": "REGION", "Zone": "ZONE", "Subzone": "SUBZONE", "Node": "NODE", "Cluster": "CLUSTER",
           "Network": "NETWORK"}


def b64ip(ip: str) -> str:
    """protojson ``bytes`` of an IP address."""
    return base64.b64encode(ipaddress.ip_address(ip).packed).decode()


def put(out: dict[str, Any], key: str, value: Any) -> None:
    """Set ``key`` unless ``value`` is the proto3 default (protojson omits those)."""
    if value in (None, "", 0, False, [], {}):
        return
    out[key] = value


def network_address(text: str) -> dict[str, Any]:
    parsed = NetworkAddress.parse(text)
    out: dict[str, Any] = {}
    put(out, "network", parsed.network or "")
    out["address"] = b64ip(parsed.address or "")
    return out


def gateway(g: GatewayAddress | None) -> dict[str, Any] | None:
    if g is None:
        return None
    dest = GatewayDestination.parse(g.destination)
    out: dict[str, Any] = {}
    if dest.kind == "hostname" and dest.hostname is not None:
        out["hostname"] = {"namespace": dest.hostname.namespace, "hostname": dest.hostname.hostname}
    elif dest.kind == "address" and dest.address is not None:
        out["address"] = network_address(dest.raw)
    put(out, "hboneMtlsPort", g.port or 0)
    return out


def workload(w: Workload, services: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """An ``istio.workload.Workload`` in protojson (declaration order of workload.proto)."""
    out: dict[str, Any] = {}
    put(out, "uid", w.uid)
    put(out, "name", w.name)
    put(out, "namespace", w.namespace)
    put(out, "addresses", [b64ip(ip) for ip in w.workload_ips])
    put(out, "hostname", w.hostname)
    put(out, "network", w.network)
    put(out, "tunnelProtocol", "HBONE" if w.protocol == "HBONE" else None)
    put(out, "trustDomain", "" if w.trust_domain in ("", "cluster.local") else w.trust_domain)
    put(out, "serviceAccount", "" if w.service_account in ("", "default") else w.service_account)
    put(out, "waypoint", gateway(w.waypoint))
    put(out, "networkGateway", gateway(w.network_gateway))
    put(out, "node", w.node)
    put(out, "canonicalName", w.canonical_name)
    put(out, "canonicalRevision", w.canonical_revision)
    put(out, "workloadType", _WORKLOAD_TYPE.get(w.workload_type or "deployment"))
    put(out, "workloadName", w.workload_name)
    put(out, "nativeTunnel", w.native_tunnel)
    if w.application_tunnel is not None:
        tunnel: dict[str, Any] = {}
        put(tunnel, "protocol", None if w.application_tunnel.protocol == "NONE" else w.application_tunnel.protocol)
        put(tunnel, "port", w.application_tunnel.port or 0)
        out["applicationTunnel"] = tunnel
    put(out, "services", services)
    put(out, "authorizationPolicies", list(w.authorization_policies))
    put(out, "status", "UNHEALTHY" if w.status == "Unhealthy" else None)
    put(out, "clusterId", "" if w.cluster_id in ("", "Kubernetes") else w.cluster_id)
    if w.locality is not None and (w.locality.region or w.locality.zone or w.locality.subzone):
        loc: dict[str, Any] = {}
        put(loc, "region", w.locality.region)
        put(loc, "zone", w.locality.zone)
        put(loc, "subzone", w.locality.subzone)
        out["locality"] = loc
    put(out, "networkMode", "HOST_NETWORK" if w.network_mode == "HostNetwork" else None)
    if w.capacity != 1:
        out["capacity"] = w.capacity  # google.protobuf.UInt32Value: written when set
    return out


def service(s: Service) -> dict[str, Any]:
    """An ``istio.workload.Service`` in protojson."""
    out: dict[str, Any] = {}
    put(out, "name", s.name)
    put(out, "namespace", s.namespace)
    put(out, "hostname", s.hostname)
    addresses = [network_address(v) for v in s.vips]
    for cidr in s.cidr_vips:
        network, text = (cidr.network, cidr.cidr) if not isinstance(cidr, str) else cidr.split("/", 1)
        ip, _, length = text.partition("/")
        entry: dict[str, Any] = {}
        put(entry, "network", network)
        entry["address"] = b64ip(ip)
        entry["length"] = int(length)
        addresses.append(entry)
    put(out, "addresses", addresses)
    ports = []
    for svc_port, target in s.ports.items():
        port: dict[str, Any] = {"servicePort": int(svc_port)}
        put(port, "targetPort", target)
        ports.append(port)
    put(out, "ports", ports)
    put(out, "subjectAltNames", list(s.subject_alt_names))
    put(out, "waypoint", gateway(s.waypoint))
    if s.load_balancer is not None:
        lb: dict[str, Any] = {}
        put(lb, "routingPreference", [_SCOPES[p] for p in s.load_balancer.routing_preferences])
        put(lb, "mode", _MODE.get(s.load_balancer.mode or "Standard"))
        put(lb, "healthPolicy", "ALLOW_ALL" if s.load_balancer.health_policy == "AllowAll" else None)
        out["loadBalancing"] = lb
    put(out, "ipFamilies", _IP_FAMILIES.get(s.ip_families or ""))
    put(out, "canonical", bool(s.canonical))
    put(out, "visibility", "NAMESPACE" if s.visibility == "Namespace" else None)
    return out


def _string_match(m: Any) -> dict[str, Any]:
    return {"Exact": {"exact": m.value}, "Prefix": {"prefix": m.value}, "Suffix": {"suffix": m.value}}.get(
        m.kind, {"presence": {}})


def policy(p: Policy) -> dict[str, Any]:
    """An ``istio.security.Authorization`` in protojson."""
    groups = []
    for rule in p.rules:
        rules = []
        for clause in rule:
            matches = []
            for m in clause:
                out: dict[str, Any] = {}
                for key in ("namespaces", "not_namespaces", "principals", "not_principals"):
                    camel = "".join(w.capitalize() if i else w for i, w in enumerate(key.split("_")))
                    put(out, camel, [_string_match(x) for x in getattr(m, key)])
                for key, camel in (("service_accounts", "serviceAccounts"),
                                   ("not_service_accounts", "notServiceAccounts")):
                    put(out, camel, [{"namespace": x.namespace, "serviceAccount": x.service_account}
                                     for x in getattr(m, key)])
                for key, camel in (("source_ips", "sourceIps"), ("not_source_ips", "notSourceIps"),
                                   ("destination_ips", "destinationIps"),
                                   ("not_destination_ips", "notDestinationIps")):
                    put(out, camel, [{"address": b64ip(c.split("/")[0]), "length": int(c.split("/")[1])}
                                     for c in getattr(m, key)])
                put(out, "destinationPorts", list(m.destination_ports))
                put(out, "notDestinationPorts", list(m.not_destination_ports))
                matches.append(out)
            rules.append({"matches": matches} if matches else {})
        groups.append({"rules": rules} if rules else {})
    out = {"@type": AUTHORIZATION}
    put(out, "name", p.name)
    put(out, "namespace", p.namespace)
    put(out, "scope", {"Global": None, "Namespace": "NAMESPACE", "WorkloadSelector": "WORKLOAD_SELECTOR"}[p.scope])
    put(out, "action", "DENY" if p.action == "Deny" else None)
    put(out, "groups", groups)
    put(out, "dryRun", p.dry_run)
    return out


def to_protojson(z: Ztunnel, *, types_wds: bool = False, policies: bool = False) -> dict[str, Any]:
    """istiod's ConfigDump for the ztunnel whose records are ``z``."""
    memberships: dict[str, dict[str, Any]] = {}
    for s in z.services:
        for key, ep in s.endpoints.items():
            uid = ep.workload_uid or key
            ports = [{"servicePort": int(p), **({"targetPort": t} if t else {})} for p, t in ep.port.items()]
            memberships.setdefault(uid, {})[s.key] = {"ports": ports} if ports else {}
    configs: list[dict[str, Any]] = []
    for w in z.workloads:
        configs.append({"@type": ADDRESS, "workload": workload(w, memberships.get(w.uid, {}))})
    for s in z.services:
        configs.append({"@type": ADDRESS, "service": service(s)})
    if types_wds:
        configs.extend({"@type": WORKLOAD, **workload(w, memberships.get(w.uid, {}))} for w in z.workloads)
    if policies:
        configs.extend(policy(p) for p in z.policies)
    return {"configs": configs}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dump", help="a ztunnel /config_dump")
    parser.add_argument("out", help="where to write istiod's view (JSON)")
    parser.add_argument("--types-wds", action="store_true", help="also istio.workload.Workload entries")
    parser.add_argument("--policies", action="store_true", help="also istio.security.Authorization entries")
    args = parser.parse_args()
    snap = meshlens.load(args.dump)
    (z,) = snap.ztunnels
    doc = to_protojson(z, types_wds=args.types_wds, policies=args.policies)
    Path(args.out).write_text(json.dumps(doc, indent=2) + "\n")
    print(f"wrote {args.out}: {len(doc['configs'])} entries", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
