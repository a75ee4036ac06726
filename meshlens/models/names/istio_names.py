"""Istio identity and metadata strings: node ids, SPIFFE ids, endpoint/config metadata, RBAC keys."""

from __future__ import annotations

from dataclasses import dataclass, field

from meshlens.models.names._base import NameValue, _text

PROXY_TYPES: frozenset[str] = frozenset({"sidecar", "router", "waypoint", "ztunnel"})


@dataclass(frozen=True, slots=True)
class NodeId(NameValue):
    """An xDS node id ``<type>~<ip>~<pod>.<ns>~<ns>.svc.<domain>``; kind ``node`` or ``opaque``."""

    type: str | None = field(default=None, compare=False)
    ip: str | None = field(default=None, compare=False)
    pod_namespace: str | None = field(default=None, compare=False)
    pod: str | None = field(default=None, compare=False)
    namespace: str | None = field(default=None, compare=False)
    dns_domain: str | None = field(default=None, compare=False)

    @classmethod
    def parse(cls, s: str | None) -> NodeId:
        raw = _text(s)
        parts = raw.split("~")
        if len(parts) != 4 or not parts[0]:
            return cls(raw)
        type_, ip, pod_namespace, dns_domain = parts
        # Namespaces are DNS labels (no dots) but pod names may contain dots: cut at the last one.
        pod, sep, cut = pod_namespace.rpartition(".")
        namespace: str | None = cut
        if not sep or not pod or not namespace:
            # No "pod.ns": fall back to the namespace in the DNS domain "<ns>.svc.<domain>".
            labels = dns_domain.split(".")
            pod, namespace = pod_namespace, (labels[0] if len(labels) > 1 and labels[1] == "svc" else None)
        return cls(raw, "node", type_, ip or None, pod_namespace or None, pod or None, namespace, dns_domain or None)

    @property
    def is_known_type(self) -> bool:
        return self.type in PROXY_TYPES


@dataclass(frozen=True, slots=True)
class SpiffeId(NameValue):
    """``spiffe://<td>/ns/<ns>/sa/<sa>`` (kind ``workload``), another SPIFFE URI (``spiffe``) or ``opaque``.

    Also accepts the scheme-less principal ``<td>/ns/<ns>/sa/<sa>`` that ztunnel policies use.
    """

    trust_domain: str | None = field(default=None, compare=False)
    path: str | None = field(default=None, compare=False)
    namespace: str | None = field(default=None, compare=False)
    service_account: str | None = field(default=None, compare=False)

    @classmethod
    def parse(cls, s: str | None) -> SpiffeId:
        raw = _text(s)
        has_scheme = raw.startswith("spiffe://")
        body = raw[9:] if has_scheme else raw
        trust_domain, sep, path = body.partition("/")
        if not trust_domain or (not has_scheme and not sep):
            return cls(raw)
        parts = path.split("/")
        if len(parts) == 4 and parts[0] == "ns" and parts[2] == "sa" and parts[1] and parts[3]:
            return cls(raw, "workload", trust_domain, "/" + path, parts[1], parts[3])
        if not has_scheme:
            return cls(raw)
        return cls(raw, "spiffe", trust_domain, "/" + path if sep else "")

    @property
    def uri(self) -> str | None:
        """The canonical ``spiffe://`` URI (adds the scheme to a bare principal)."""
        return f"spiffe://{self.trust_domain}{self.path}" if self.trust_domain is not None else None


@dataclass(frozen=True, slots=True)
class WorkloadMetadata(NameValue):
    """Endpoint ``filter_metadata.istio.workload``:
    ``<workload>;<ns>;<canonical-name>;<revision>;<cluster>``.

    Kind ``workload`` or ``opaque``; empty fields stay ``""``.
    """

    workload: str = field(default="", compare=False)
    namespace: str = field(default="", compare=False)
    canonical_name: str = field(default="", compare=False)
    canonical_revision: str = field(default="", compare=False)
    cluster_id: str = field(default="", compare=False)

    @classmethod
    def parse(cls, s: str | None) -> WorkloadMetadata:
        raw = _text(s)
        parts = raw.split(";")
        if len(parts) < 5:  # fields may be empty (";;;;Kubernetes"); later additions are ignored
            return cls(raw)
        return cls(raw, "workload", *parts[:5])


@dataclass(frozen=True, slots=True)
class IstioConfigRef(NameValue):
    """``filter_metadata.istio.config`` ``/apis/<group>/<version>/namespaces/<ns>/<kind>/<name>``;
    ``kind`` is the config kind (``virtual-service``, ``destination-rule``…) or ``opaque``.
    """

    group: str | None = field(default=None, compare=False)
    version: str | None = field(default=None, compare=False)
    namespace: str | None = field(default=None, compare=False)
    name: str | None = field(default=None, compare=False)

    @classmethod
    def parse(cls, s: str | None) -> IstioConfigRef:
        raw = _text(s)
        parts = raw.split("/")
        if len(parts) != 8 or parts[:2] != ["", "apis"] or parts[4] != "namespaces" or not all(parts[2:]):
            return cls(raw)
        return cls(raw, parts[6], parts[2], parts[3], parts[5], parts[7])

    @property
    def name_namespace(self) -> str | None:
        """``reviews.default``: how istioctl names the VirtualService/DestinationRule."""
        return f"{self.name}.{self.namespace}" if self.name is not None else None

    def istioctl_column(self) -> str:
        """The DESTINATION RULE / VIRTUAL SERVICE cell istioctl prints for this value.

        ``/apis/networking.istio.io/…`` paths of 8 ``/``-pieces give ``name.ns`` (other lengths give
        ""); any other non-empty value gives ``<unknown>``; no metadata gives "".
        """
        if not self.raw.startswith("/apis/networking.istio.io/"):
            return "<unknown>" if self.raw else ""
        pieces = self.raw.split("/")
        return f"{pieces[7]}.{pieces[5]}" if len(pieces) == 8 else ""


@dataclass(frozen=True, slots=True)
class RbacPolicyName(NameValue):
    """An Envoy RBAC policy key Istio builds: ``ns[<ns>]-policy[<name>]-rule[<n>]`` (kind ``policy``),
    prefixed ``istio-ext-authz-`` for CUSTOM actions (kind ``ext-authz``); else ``opaque``.
    """

    namespace: str | None = field(default=None, compare=False)
    policy: str | None = field(default=None, compare=False)
    rule: int | None = field(default=None, compare=False)

    @classmethod
    def parse(cls, s: str | None) -> RbacPolicyName:
        raw = _text(s)
        kind, body = ("ext-authz", raw[16:]) if raw.startswith("istio-ext-authz-") else ("policy", raw)
        if not (body.startswith("ns[") and body.endswith("]")):
            return cls(raw)
        namespace, sep1, rest = body[3:].partition("]-policy[")
        policy, sep2, rule = rest.rpartition("]-rule[")
        rule = rule[:-1]
        if not (sep1 and sep2 and namespace and policy and rule.isascii() and rule.isdigit()):
            return cls(raw)
        return cls(raw, kind, namespace, policy, int(rule))

    @property
    def name_namespace(self) -> str | None:
        return f"{self.policy}.{self.namespace}" if self.policy is not None else None
