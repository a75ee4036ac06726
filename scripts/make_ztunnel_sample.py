#!/usr/bin/env python3
"""Synthesize ``samples/ztunnel/config_dump.json``: a ztunnel 1.30 ``/config_dump`` of Bookinfo in ambient.

The document follows the current (1.23+) list shape described in ``../shared/reference/ztunnel.md``
section 1 with the keys of ztunnel 1.30 (``capacity``, ``rootCerts``, ``canonical``, ``dryRun``,
``cryptoProvider``; no master-only keys). It is made up, not captured: one node's ztunnel
(``ambient-worker``) in a two-node kind cluster running Bookinfo in namespace ``bookinfo`` with a
namespace waypoint, plus istiod.

Everything is deterministic (fixed seed, names, IPs, UIDs, serial numbers and validity dates)
except the certificates' keys and signatures: ``cryptography`` cannot generate EC keys from a seed,
so the ``pem`` values (and fingerprints) change on every run while serials and dates do not.
No private key is written anywhere.

Usage::

    .venv/bin/python scripts/make_ztunnel_sample.py [--out samples/ztunnel/config_dump.json] [--seed 1]
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "samples" / "ztunnel" / "config_dump.json"

VERSION = "1.30.3"
LOCAL_NODE = "ambient-worker"
OTHER_NODE = "ambient-worker2"
NS = "bookinfo"
TRUST_DOMAIN = "cluster.local"
WAYPOINT_HOST = f"waypoint.{NS}.svc.cluster.local"
ROOT_VALID = (datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2036, 1, 1, tzinfo=timezone.utc))
LEAF_VALID = (datetime(2026, 11, 22, tzinfo=timezone.utc), datetime(2026, 11, 23, tzinfo=timezone.utc))

# (pod, workload/deployment, app, version, service account, ip, node, protocol)
PODS = [
    ("details-v1-7d4b9c8f6d-h2xlq", "details-v1", "details", "v1", "bookinfo-details", "10.244.1.11",
     LOCAL_NODE, "HBONE"),
    ("productpage-v1-6c8f9d7b5b-q8m4z", "productpage-v1", "productpage", "v1", "bookinfo-productpage",
     "10.244.1.12", LOCAL_NODE, "HBONE"),
    ("ratings-v1-5b7c9d6f4c-t9wkd", "ratings-v1", "ratings", "v1", "bookinfo-ratings", "10.244.2.21",
     OTHER_NODE, "HBONE"),
    ("reviews-v1-8f6d5c7b9a-m3n7p", "reviews-v1", "reviews", "v1", "bookinfo-reviews", "10.244.1.13",
     LOCAL_NODE, "HBONE"),
    ("reviews-v2-7b8c6d9f5e-k4v2s", "reviews-v2", "reviews", "v2", "bookinfo-reviews", "10.244.2.22",
     OTHER_NODE, "HBONE"),
    ("reviews-v3-6d9f7c8b4d-x7c5r", "reviews-v3", "reviews", "v3", "bookinfo-reviews", "10.244.1.14",
     LOCAL_NODE, "HBONE"),
    # The waypoint itself is not captured by ztunnel (it speaks HBONE natively): protocol TCP.
    ("waypoint-5f8d7c6b9d-w2j6h", "waypoint", "waypoint", "latest", "waypoint", "10.244.2.23",
     OTHER_NODE, "TCP"),
]
ISTIOD = ("istiod-7f9c8d6b5-z4r8n", "istiod", "istiod", "latest", "istiod", "10.244.2.5", OTHER_NODE, "TCP")

# (service, namespace, vip, ports {svcPort: targetPort}, app selector)
SERVICES = [
    ("details", NS, "10.96.41.17", {"9080": 9080}, "details"),
    ("istiod", "istio-system", "10.96.0.42", {"15010": 15010, "15012": 15012, "443": 15017, "15014": 15014},
     "istiod"),
    ("productpage", NS, "10.96.118.203", {"9080": 9080}, "productpage"),
    ("ratings", NS, "10.96.77.150", {"9080": 9080}, "ratings"),
    ("reviews", NS, "10.96.203.9", {"9080": 9080}, "reviews"),
    ("waypoint", NS, "10.96.12.34", {"15021": 15021, "15008": 15008}, "waypoint"),
]


def uid(namespace: str, pod: str) -> str:
    return f"Kubernetes//Pod/{namespace}/{pod}"


def spiffe(namespace: str, sa: str) -> str:
    return f"spiffe://{TRUST_DOMAIN}/ns/{namespace}/sa/{sa}"


def rfc3339(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


# ------------------------------------------------------------------------------------ workloads
def workload(pod: tuple[str, ...], namespace: str, waypoint_vip: str | None, services: list[str]) -> dict[str, Any]:
    name, wname, app, version, sa, ip, node, protocol = pod
    w: dict[str, Any] = {"workloadIps": [ip]}
    if waypoint_vip:
        w["waypoint"] = {"destination": f"/{waypoint_vip}", "hboneMtlsPort": 15008}
    w.update({
        "protocol": protocol,
        "networkMode": "Standard",
        "uid": uid(namespace, name),
        "name": name,
        "namespace": namespace,
        "trustDomain": TRUST_DOMAIN,
        "serviceAccount": sa,
        "workloadName": wname,
        "workloadType": "deployment",
        "canonicalName": app,
        "canonicalRevision": version,
        "node": node,
        "status": "Healthy",
        "clusterId": "Kubernetes",
        "locality": {"region": "eu-west", "zone": "eu-west-1a" if node == LOCAL_NODE else "eu-west-1b",
                     "subzone": ""},
        "services": services,
        "capacity": 1,
    })
    return w


def build_workloads() -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """Workloads sorted by uid, and the workloads behind each service (by service name)."""
    waypoint_vip = next(s[2] for s in SERVICES if s[0] == "waypoint")
    backing: dict[str, list[dict[str, Any]]] = {}
    out = []
    for pod in [*PODS, ISTIOD]:
        namespace = "istio-system" if pod is ISTIOD else NS
        app = pod[2]
        svc_names = [f"{s[1]}/{s[0]}.{s[1]}.svc.cluster.local" for s in SERVICES if s[4] == app]
        wp = waypoint_vip if namespace == NS and app != "waypoint" else None
        w = workload(pod, namespace, wp, svc_names)
        if app == "productpage":  # the viewer policy selects productpage
            w["authorizationPolicies"] = [f"{NS}/productpage-viewer"]
        elif app == "ratings":
            w["authorizationPolicies"] = [f"{NS}/ratings-allow-reviews"]
        for s in SERVICES:
            if s[4] == app:
                backing.setdefault(s[0], []).append(w)
        out.append(_order_workload(w))
    out.sort(key=lambda w: w["uid"])
    return out, backing


_WORKLOAD_ORDER = ["workloadIps", "waypoint", "networkGateway", "protocol", "networkMode", "uid", "name",
                   "namespace", "trustDomain", "serviceAccount", "network", "workloadName", "workloadType",
                   "canonicalName", "canonicalRevision", "hostname", "node", "nativeTunnel",
                   "applicationTunnel", "authorizationPolicies", "status", "clusterId", "locality",
                   "services", "capacity"]


def _order_workload(w: dict[str, Any]) -> dict[str, Any]:
    """serde writes struct fields in declaration order; empty optional lists are omitted."""
    return {k: w[k] for k in _WORKLOAD_ORDER if k in w and w[k] != []}


# ------------------------------------------------------------------------------------- services
def build_services(backing: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    out = []
    for name, namespace, vip, ports, _app in SERVICES:
        host = f"{name}.{namespace}.svc.cluster.local"
        endpoints = {
            w["uid"]: {"workloadUid": w["uid"], "port": dict(ports), "status": "Healthy"}
            for w in sorted(backing.get(name, []), key=lambda w: w["uid"])
        }
        svc: dict[str, Any] = {
            "name": name,
            "namespace": namespace,
            "hostname": host,
            "vips": [f"/{vip}"],
            "ports": ports,
            "endpoints": endpoints,
            "subjectAltNames": [],
        }
        if namespace == NS and name != "waypoint":
            svc["waypoint"] = {"destination": f"{NS}/{WAYPOINT_HOST}", "hboneMtlsPort": 15008}
        if name == "ratings":  # trafficDistribution: PreferClose
            svc["loadBalancer"] = {"routingPreferences": ["Network", "Region", "Zone", "Subzone"],
                                   "mode": "Failover", "healthPolicy": "OnlyHealthy"}
        svc["ipFamilies"] = "IPv4"
        svc["canonical"] = True
        out.append(svc)
    out.sort(key=lambda s: (s["hostname"], s["namespace"]))
    return out


# ------------------------------------------------------------------------------------- policies
def build_policies() -> list[dict[str, Any]]:
    policies = [
        {"name": "productpage-viewer", "namespace": NS, "scope": "WorkloadSelector", "action": "Allow",
         "rules": [[[{"principals": [{"Exact": f"{TRUST_DOMAIN}/ns/{NS}/sa/waypoint"}]}]]],
         "dryRun": False},
        {"name": "ratings-allow-reviews", "namespace": NS, "scope": "WorkloadSelector", "action": "Allow",
         "rules": [[[{"serviceAccounts": [{"namespace": NS, "serviceAccount": "bookinfo-reviews"}]}],
                    [{"destinationPorts": [9080]}]]],
         "dryRun": False},
        # PeerAuthentication STRICT in the root namespace, converted by istiod.
        {"name": "istio_converted_static_strict", "namespace": "istio-system", "scope": "Global",
         "action": "Deny", "rules": [[[{"notPrincipals": [{"Presence": []}]}]]], "dryRun": False},
    ]
    policies.sort(key=lambda p: f"{p['namespace']}/{p['name']}")
    return policies


# --------------------------------------------------------------------------------- certificates
class CA:
    """A self-signed root CA like istiod's (``O=cluster.local``), signing SPIFFE leaves."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, TRUST_DOMAIN)])
        self.name = name
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(self.serial())
            .not_valid_before(ROOT_VALID[0]).not_valid_after(ROOT_VALID[1])
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                                         key_cert_sign=True, crl_sign=True, encipher_only=False,
                                         decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )

    def serial(self) -> int:
        return self.rng.getrandbits(127) | (1 << 120)  # positive, 16 bytes, like istiod's serials

    def leaf(self, identity: str) -> x509.Certificate:
        key = ec.generate_private_key(ec.SECP256R1())
        return (
            x509.CertificateBuilder()
            .subject_name(x509.Name([])).issuer_name(self.name)
            .public_key(key.public_key())
            .serial_number(self.serial())
            .not_valid_before(LEAF_VALID[0]).not_valid_after(LEAF_VALID[1])
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                         key_encipherment=True, data_encipherment=False, key_agreement=False,
                                         key_cert_sign=False, crl_sign=False, encipher_only=False,
                                         decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                  ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                           critical=False)
            .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(identity)]), critical=True)
            .sign(self.key, hashes.SHA256())
        )


def cert_dump(cert: x509.Certificate) -> dict[str, str]:
    """ztunnel's CertDump: base64 of the PEM text, decimal serial, RFC 3339 second-precision dates."""
    pem = cert.public_bytes(serialization.Encoding.PEM)
    return {
        "pem": base64.b64encode(pem).decode(),
        "serialNumber": str(cert.serial_number),
        "validFrom": rfc3339(cert.not_valid_before_utc),
        "expirationTime": rfc3339(cert.not_valid_after_utc),
    }


def build_certificates(ca: CA) -> list[dict[str, Any]]:
    root = cert_dump(ca.cert)
    certs = []
    for sa, state in [
        ("bookinfo-details", "Available"),
        ("bookinfo-productpage", "Available"),
        ("bookinfo-reviews", "Initializing"),
        ("bookinfo-ratings", "Unavailable: signing gRPC error (The service is currently unavailable): "
                             "error trying to connect: tcp connect error: Connection refused (os error 111)"),
    ]:
        identity = spiffe(NS, sa)
        available = state == "Available"
        certs.append({
            "identity": identity,
            "state": state,
            "certChain": [cert_dump(ca.leaf(identity))] if available else [],
            "rootCerts": [root] if available else [],
        })
    certs.sort(key=lambda c: c["identity"])
    return certs


# -------------------------------------------------------------------------------- in-pod state
def build_workload_state(rng: random.Random, workloads: list[dict[str, Any]]) -> dict[str, Any]:
    by_name = {w["workloadName"]: w for w in workloads}
    vip = {s[0]: s[2] for s in SERVICES}
    waypoint_ip = by_name["waypoint"]["workloadIps"][0]

    def ip(workload_name: str) -> str:
        return str(by_name[workload_name]["workloadIps"][0])

    def conn(src: str, original: str | None, actual: str, protocol: str = "HBONE") -> dict[str, Any]:
        # Handler output is a serde_json::Value: keys come out sorted.
        return {"actualDst": actual, "originalDst": original, "protocol": protocol, "src": src}

    connections = {
        "details-v1": {
            "inbound": [conn(f"{waypoint_ip}:41822", f"details.{NS}.svc.cluster.local", f"{ip('details-v1')}:9080")],
            "outbound": [],
        },
        "productpage-v1": {
            "inbound": [],
            "outbound": [
                conn(f"{ip('productpage-v1')}:52410", f"{vip['details']}:9080", f"{waypoint_ip}:15008"),
                conn(f"{ip('productpage-v1')}:52418", f"{vip['reviews']}:9080", f"{waypoint_ip}:15008"),
            ],
        },
        "reviews-v1": {
            "inbound": [conn(f"{waypoint_ip}:41830", f"reviews.{NS}.svc.cluster.local", f"{ip('reviews-v1')}:9080")],
            "outbound": [],
        },
    }
    state: dict[str, Any] = {}
    for w in workloads:
        if w["node"] != LOCAL_NODE or w["protocol"] != "HBONE":
            continue
        pod_uid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        entry: dict[str, Any] = {}
        if w["workloadName"] in connections:
            entry["connections"] = connections[w["workloadName"]]
        entry["info"] = {"name": w["name"], "namespace": w["namespace"], "serviceAccount": w["serviceAccount"]}
        entry["state"] = "Pending" if w["workloadName"] == "reviews-v3" else "Up"
        state[pod_uid] = entry
    return dict(sorted(state.items()))


# ------------------------------------------------------------------------------ version, config
def build_version() -> dict[str, Any]:
    return {
        "version": VERSION,
        "gitRevision": "5c1e7a9d3b2f4e6a8c0d1f3e5a7b9c2d4e6f8a0b",
        "rustVersion": "1.89.0",
        "buildProfile": "release",
        "buildStatus": "Clean",
        "istioVersion": VERSION,
        "cryptoProvider": "aws-lc",
    }


def build_config() -> dict[str, Any]:
    secs = lambda n: {"secs": n, "nanos": 0}  # noqa: E731 - serde's Duration
    root_cert = {"File": "./var/run/secrets/istio/root-cert.pem"}
    return {
        "proxy": True, "dnsProxy": True, "windowSize": 4194304, "connectionWindowSize": 16777216,
        "frameSize": 1048576, "poolMaxStreamsPerConn": 100, "poolUnusedReleaseTimeout": secs(300),
        "socks5Addr": None, "adminAddr": {"Localhost": [True, 15000]}, "statsAddr": {"SocketAddr": "[::]:15020"},
        "readinessAddr": {"SocketAddr": "[::]:15021"}, "inboundAddr": "[::]:15008",
        "inboundPlaintextAddr": "[::]:15006", "outboundAddr": "[::]:15001",
        "dnsProxyAddr": {"Localhost": [True, 15053]}, "illegalPorts": [15001, 15006, 15008], "network": "",
        "localNode": LOCAL_NODE, "proxyMode": "Shared", "proxyWorkloadInformation": None,
        "clusterId": "Kubernetes", "clusterDomain": "cluster.local",
        "caAddress": "https://istiod.istio-system.svc:15012", "caRootCert": root_cert, "altCaHostname": None,
        "xdsAddress": "https://istiod.istio-system.svc:15012", "xdsRootCert": root_cert, "altXdsHostname": None,
        "preferedServiceNamespace": None, "secretTtl": secs(86400), "xdsOnDemand": False, "fakeCa": False,
        "fakeSelfInbound": False, "selfTerminationDeadline": secs(5),
        "proxyMetadata": {"CLUSTER_ID": "Kubernetes", "ISTIO_VERSION": VERSION}, "numWorkerThreads": 2,
        "requireOriginalSource": None, "proxyArgs": "proxy ztunnel",
        "dnsResolverCfg": {"domain": None, "search": [], "name_servers": [
            {"socket_addr": "10.96.0.10:53", "protocol": "udp", "tls_dns_name": None, "http_endpoint": None,
             "trust_negative_responses": False, "bind_addr": None},
            {"socket_addr": "10.96.0.10:53", "protocol": "tcp", "tls_dns_name": None, "http_endpoint": None,
             "trust_negative_responses": False, "bind_addr": None}]},
        "dnsResolverOpts": {"ndots": 5, "timeout": secs(5), "attempts": 2, "edns0": False, "validate": False,
                            "ip_strategy": "Ipv4thenIpv6", "cache_size": 32, "use_hosts_file": "Auto",
                            "positive_min_ttl": None, "negative_min_ttl": None, "positive_max_ttl": None,
                            "negative_max_ttl": None, "num_concurrent_reqs": 2, "preserve_intermediates": True,
                            "try_tcp_on_error": False, "server_ordering_strategy": "QueryStatistics",
                            "recursion_desired": True, "avoid_local_udp_ports": [], "os_port_selection": False,
                            "case_randomization": False, "trust_anchor": None},
        "inpodUds": "/var/run/ztunnel/ztunnel.sock", "inpodPortReuse": True, "packetMark": 1337,
        "socketConfig": {"keepaliveTime": secs(180), "keepaliveInterval": secs(180), "keepaliveRetries": 9,
                         "keepaliveEnabled": True, "userTimeoutEnabled": False},
        "xdsHeaders": {"vec": []}, "caHeaders": {"vec": []}, "localhostAppTunnel": True,
        "ztunnelIdentity": None, "ztunnelWorkload": None, "ipv6Enabled": True, "crlPath": None,
        "enableEnhancedBaggage": False,
    }


def build_dump(seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    workloads, backing = build_workloads()
    ca = CA(rng)
    return {
        "workloads": workloads,
        "services": build_services(backing),
        "policies": build_policies(),
        "stagedServices": {},
        "staticConfig": {"workloads": [], "policies": [], "services": []},
        "version": build_version(),
        "config": build_config(),
        "certificates": build_certificates(ca),
        "workloadState": build_workload_state(rng, workloads),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=1, help="seed for UIDs and serial numbers")
    args = parser.parse_args(argv)
    dump = build_dump(args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # serde_json::to_string_pretty: 2-space indent, ": " separators, no trailing newline.
    args.out.write_text(json.dumps(dump, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
