"""Consistent pseudonyms for IPs, pod names, namespaces, hostnames and SPIFFE ids (``redact --pseudonymize``).

A capture shared in a public issue should not name the cluster's workloads, yet traces, diffs and
checks must still work on the copy. So every name is replaced by the same pseudonym wherever it
appears, in every file of an archive: inside cluster names (``outbound|9080|v1|reviews.default.svc...``),
node ids, SPIFFE ids, domains, metadata, logs and archive member paths.

* Names are learnt from the capture with the one name parser (:mod:`meshlens.models.names`): node
  ids give pod and namespace, SPIFFE ids namespace and service account, cluster names and service
  hosts (``name.ns.svc.<domain>``) service and namespace, workload metadata the workload, and a few
  metadata fields (``NAMESPACE``, ``POD_NAME``, ztunnel's ``namespace``/``serviceAccount``...). Each
  learnt name is then replaced as a whole token (not inside a longer word) in every string and in
  the keys that hold data, never in Envoy's field names.
* IPv4 and IPv6 addresses are mapped prefix-preservingly (Crypto-PAn's construction over HMAC-SHA256):
  two addresses sharing an n-bit prefix keep sharing exactly n bits, so CIDR ranges, prefix matches
  and subnets keep their meaning; a CIDR's host bits stay zero. Loopback, unspecified, link-local
  and broadcast addresses are kept: they identify nothing and Envoy gives them meaning.

The key is random per run unless given, so the mapping cannot be reversed from the copy.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from meshlens.models.names import ClusterName, NodeId, SpiffeId, WorkloadMetadata

# Names that are also words of Envoy's and Istio's own vocabulary: never learnt as pseudonymizable.
_RESERVED = frozenset({
    "svc", "cluster", "local", "cluster.local", "istio", "envoy", "inbound", "outbound", "http", "https",
    "tcp", "grpc", "tls", "sidecar", "router", "waypoint", "ztunnel", "ROOTCA", "Kubernetes", "kubernetes.io",
    "spiffe", "ns", "sa", "true", "false", "none", "null", "", "*", "BlackHoleCluster", "PassthroughCluster",
})
# metadata fields whose value is a name of a given kind (Envoy node metadata, ztunnel records, pods)
_FIELD_KINDS = {
    "NAMESPACE": "ns", "namespace": "ns", "POD_NAME": "pod", "pod": "pod", "podName": "pod",
    "SERVICE_ACCOUNT": "sa", "serviceAccount": "sa", "service_account": "sa", "WORKLOAD_NAME": "wl",
    "workloadName": "wl", "workload_name": "wl", "canonicalName": "wl", "canonical_name": "wl",
    "CLUSTER_ID": "cl", "clusterId": "cl", "cluster_id": "cl", "node": "node", "nodeName": "node",
    "NODE_NAME": "node", "hostname": "host", "NAME": "pod",
}
_IPV4 = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(?:/(\d{1,2}))?(?![\w.])")
_IPV6 = re.compile(r"(?<![\w:.])((?:[0-9A-Fa-f]{1,4})?(?::[0-9A-Fa-f]{0,4}){2,7})(?:/(\d{1,3}))?(?![\w:.])")
_KEEP_NETS = tuple(ipaddress.ip_network(n) for n in (
    "0.0.0.0/32", "127.0.0.0/8", "169.254.0.0/16", "255.255.255.255/32", "::/128", "::1/128", "fe80::/10"))


class Pseudonymizer:
    """Learns a capture's names, then rewrites strings, JSON trees and paths with stable pseudonyms."""

    def __init__(self, key: bytes | None = None) -> None:
        self.key = key if key is not None else os.urandom(32)
        self.names: dict[str, str] = {}  # original -> pseudonym
        self._pattern: re.Pattern[str] | None = None
        self._key_pattern: re.Pattern[str] | None = None

    # --- learning -------------------------------------------------------------------------------
    def _learn(self, name: str | None, kind: str) -> None:
        if not name or name in _RESERVED or name in self.names or len(name) < 2:
            return
        if _is_ip(name):
            return
        digest = hmac.new(self.key, f"{kind}\0{name}".encode(), hashlib.sha256).hexdigest()[:8]
        self.names[name] = f"{kind}-{digest}"
        self._pattern = self._key_pattern = None

    def _learn_host(self, host: str) -> None:
        """A service host: ``name.ns.svc.<domain>`` gives both; another DNS name its first label."""
        host = host.rstrip(".")
        labels = host.split(".")
        if len(labels) >= 3 and labels[2] == "svc":
            self._learn(labels[0], "svc")
            self._learn(labels[1], "ns")
        elif len(labels) >= 2 and not _is_ip(host) and labels[0] not in ("*", ""):
            self._learn(labels[0], "host")

    def learn_string(self, value: str) -> None:
        """Learn the names a string holds when it is a node id, SPIFFE id, cluster name or metadata."""
        if "~" in value:
            node = NodeId.parse(value)
            if node.kind == "node":
                self._learn(node.pod, "pod")
                self._learn(node.namespace, "ns")
        if "spiffe://" in value or "/ns/" in value:
            for token in re.findall(r"(?:spiffe://)?[\w.-]+/ns/[\w.-]+/sa/[\w.-]+", value):
                spiffe = SpiffeId.parse(token)
                if spiffe.kind == "workload":
                    self._learn(spiffe.namespace, "ns")
                    self._learn(spiffe.service_account, "sa")
        if "|" in value or value.startswith(("outbound_.", "inbound_.")):
            cluster = ClusterName.parse(value)
            if cluster.host:
                self._learn_host(cluster.host)
        if ".svc" in value:
            for host in re.findall(r"[\w-]+\.[\w-]+\.svc(?:\.[\w-]+)*", value):
                self._learn_host(host)
        if value.count(";") >= 4:
            meta = WorkloadMetadata.parse(value)
            if meta.kind == "workload":
                self._learn(meta.workload, "wl")
                self._learn(meta.namespace, "ns")
                self._learn(meta.canonical_name, "wl")

    def learn_tree(self, tree: Any) -> None:
        """Learn from every string of a JSON tree and from the metadata fields that hold names."""
        stack = [tree]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                for key, value in node.items():
                    if isinstance(value, str):
                        self._learn_field(key, value)
                    elif isinstance(value, (dict, list)):
                        stack.append(value)
                    if isinstance(key, str):
                        self.learn_string(key)
            elif isinstance(node, list):
                for value in node:
                    if isinstance(value, str):
                        self.learn_string(value)
                    elif isinstance(value, (dict, list)):
                        stack.append(value)

    def _learn_field(self, key: Any, value: str) -> None:
        kind = _FIELD_KINDS.get(key) if isinstance(key, str) else None
        if kind == "host":
            self._learn_host(value)
        elif kind:
            self._learn(value, kind)
        self.learn_string(value)

    def learn_path(self, path: str) -> None:
        """A bug-report member path: ``proxies/<ns>/<pod>/...`` and ``istio/<ns>/<pod>/...``."""
        parts = path.split("/")
        for i, part in enumerate(parts[:-2]):
            if part in ("proxies", "istio", "ztunnel", "pods", "logs") and i + 2 < len(parts):
                self._learn(parts[i + 1], "ns")
                self._learn(parts[i + 2], "pod")

    def learn_names(self, names: Iterable[tuple[str, str]]) -> None:
        """Learn ``(name, kind)`` pairs found elsewhere (a loaded snapshot's proxies, say)."""
        for name, kind in names:
            self._learn(name, kind)

    # --- rewriting ------------------------------------------------------------------------------
    def _patterns(self) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
        if self._pattern is None and self.names:
            alternatives = "|".join(re.escape(n) for n in sorted(self.names, key=len, reverse=True))
            self._pattern = re.compile(rf"(?<![A-Za-z0-9])(?:{alternatives})(?![A-Za-z0-9])")
            self._key_pattern = re.compile(rf"(?<![A-Za-z0-9_])(?:{alternatives})(?![A-Za-z0-9_])")
        return self._pattern, self._key_pattern

    def text(self, value: str, *, key: bool = False) -> str:
        """``value`` with every learnt name and every address replaced (``key``: a JSON key, where
        ``_`` joins words, so ``default_filter_chain`` is left alone).
        """
        if any(c.isdigit() for c in value):
            value = _IPV4.sub(lambda m: self._ip_match(m), value)
            if ":" in value:
                value = _IPV6.sub(lambda m: self._ip_match(m), value)
        pattern, key_pattern = self._patterns()
        chosen = key_pattern if key else pattern
        if chosen is not None:
            value = chosen.sub(lambda m: self.names[m.group(0)], value)
        return value

    def tree(self, tree: Any) -> Any:
        """A copy of a JSON tree with strings and data keys rewritten."""
        if isinstance(tree, str):
            return self.text(tree)
        if isinstance(tree, list):
            return [self.tree(v) for v in tree]
        if isinstance(tree, dict):
            return {(self.text(k, key=True) if isinstance(k, str) else k): self.tree(v) for k, v in tree.items()}
        return tree

    def path(self, path: str) -> str:
        """An archive member path with its names replaced."""
        return "/".join(self.text(part) for part in path.split("/"))

    def _ip_match(self, match: re.Match[str]) -> str:
        text, prefix = match.group(1), match.group(2)
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            return match.group(0)
        if prefix is not None:
            bits = int(prefix)
            if bits > address.max_prefixlen:
                return match.group(0)
            mapped = _map_ip(self.key, address)
            network = ipaddress.ip_network(f"{mapped}/{bits}", strict=False)
            return f"{network.network_address}/{bits}"
        return str(_map_ip(self.key, address))


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


@lru_cache(maxsize=65536)
def _map_ip(key: bytes, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> Any:
    """Crypto-PAn's prefix-preserving map: output bit i = input bit i XOR PRF(first i input bits)."""
    if any(address in net for net in _KEEP_NETS if net.version == address.version):
        return address
    width = address.max_prefixlen
    value = int(address)
    out = 0
    for i in range(width):
        prefix = value >> (width - i)  # the first i bits
        flip = hmac.new(key, f"{address.version}:{i}:{prefix}".encode(), hashlib.sha256).digest()[0] & 1
        bit = (value >> (width - 1 - i)) & 1
        out = (out << 1) | (bit ^ flip)
    mapped: ipaddress.IPv4Address | ipaddress.IPv6Address = (
        ipaddress.IPv6Address(out) if address.version == 6 else ipaddress.IPv4Address(out))
    if any(mapped in net for net in _KEEP_NETS if net.version == mapped.version):
        return address.__class__(out ^ 1)  # never map onto a kept address
    return mapped
