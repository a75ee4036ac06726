"""The Bookinfo mesh as seen from the productpage-v1 sidecar: services, ports, workloads.

Plain data; ``xds.py`` turns it into Envoy resources the way istiod would for this proxy
(Istio 1.24, ALLOW_ANY outbound policy, auto mTLS, one DestinationRule and one VirtualService for
reviews)."""

from __future__ import annotations

from dataclasses import dataclass, field

TRUST_DOMAIN = "cluster.local"
DOMAIN_SUFFIX = "svc.cluster.local"
CLUSTER_ID = "Kubernetes"
ISTIO_VERSION = "1.24.2"

POD_NAME = "productpage-v1-6c886ff494-7vxhs"
POD_NAMESPACE = "default"
POD_IP = "10.244.0.22"
SERVICE_ACCOUNT = "bookinfo-productpage"
NODE_ID = f"sidecar~{POD_IP}~{POD_NAME}.{POD_NAMESPACE}~{POD_NAMESPACE}.{DOMAIN_SUFFIX}"
SPIFFE_ID = f"spiffe://{TRUST_DOMAIN}/ns/{POD_NAMESPACE}/sa/{SERVICE_ACCOUNT}"
# The proxy's own inbound port (productpage's container port).
INBOUND_PORTS = (9080,)


@dataclass(frozen=True)
class Port:
    number: int
    name: str
    protocol: str  # Istio protocol from the port name: HTTP, HTTPS, TCP, GRPC

    @property
    def is_http(self) -> bool:
        return self.protocol in ("HTTP", "HTTP2", "GRPC")


@dataclass(frozen=True)
class Workload:
    name: str  # workload (deployment) name
    ip: str
    version: str = "latest"  # canonical revision
    in_mesh: bool = True  # has a sidecar: label security.istio.io/tlsMode=istio


@dataclass(frozen=True)
class Service:
    name: str
    namespace: str
    vip: str
    ports: tuple[Port, ...]
    workloads: tuple[Workload, ...]
    service_account: str
    canonical_name: str = ""
    subsets: tuple[str, ...] = ()  # DestinationRule subsets, selected by the ``version`` label
    destination_rule: str = ""  # DestinationRule name, when one applies

    @property
    def hostname(self) -> str:
        return f"{self.name}.{self.namespace}.{DOMAIN_SUFFIX}"

    def workloads_of(self, subset: str) -> tuple[Workload, ...]:
        return self.workloads if not subset else tuple(w for w in self.workloads if w.version == subset)


@dataclass(frozen=True)
class HeaderRoute:
    header: str
    exact: str
    subset: str


@dataclass(frozen=True)
class VirtualService:
    name: str
    namespace: str
    host: str  # service FQDN
    header_routes: tuple[HeaderRoute, ...]
    weights: tuple[tuple[str, int], ...] = field(default=())  # default route: (subset, weight)


HTTP_9080 = Port(9080, "http", "HTTP")

SERVICES: tuple[Service, ...] = (
    Service("details", "default", "10.96.88.10", (HTTP_9080,),
            (Workload("details-v1", "10.244.0.18", "v1"),), "bookinfo-details", "details"),
    Service("productpage", "default", "10.96.12.4", (HTTP_9080,),
            (Workload("productpage-v1", POD_IP, "v1"),), SERVICE_ACCOUNT, "productpage"),
    Service("ratings", "default", "10.96.150.7", (HTTP_9080,),
            (Workload("ratings-v1", "10.244.0.19", "v1"),), "bookinfo-ratings", "ratings"),
    Service("reviews", "default", "10.96.201.33", (HTTP_9080,),
            (Workload("reviews-v1", "10.244.0.20", "v1"), Workload("reviews-v2", "10.244.0.21", "v2"),
             Workload("reviews-v3", "10.244.0.23", "v3")),
            "bookinfo-reviews", "reviews", subsets=("v1", "v2", "v3"), destination_rule="reviews"),
    Service("istiod", "istio-system", "10.96.200.10",
            (Port(15012, "https-dns", "HTTPS"), Port(15014, "http-monitoring", "HTTP")),
            (Workload("istiod", "10.244.0.5", "latest", in_mesh=False),), "istiod", "istiod"),
    Service("kube-dns", "kube-system", "10.96.0.10", (Port(53, "dns-tcp", "TCP"),),
            (Workload("coredns", "10.244.0.2", "latest", in_mesh=False),
             Workload("coredns", "10.244.0.3", "latest", in_mesh=False)), "coredns", "kube-dns"),
)

VIRTUAL_SERVICES: tuple[VirtualService, ...] = (
    VirtualService("reviews", "default", f"reviews.default.{DOMAIN_SUFFIX}",
                   (HeaderRoute("end-user", "jason", "v2"),), (("v1", 50), ("v3", 50))),
)


def service_by_host(host: str) -> Service:
    return next(s for s in SERVICES if s.hostname == host)
