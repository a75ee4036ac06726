"""Reference indexes: what refers to what in a proxy (and, next, across a mesh), built once, looked up in O(1).

Layer: above ``models`` and ``sources``, below ``views``, ``analysis`` and ``checks`` (which all
read it). Nothing here imports upward.

Per proxy (built):
    :mod:`meshlens.index.proxy`   ``index_for(proxy) -> ProxyIndex``: listeners by name, exact address
                                  and wildcard port; clusters by name and by parsed name; route
                                  configurations, EDS assignments, secrets, ``/clusters`` host status
                                  by name; reverse references (who sends to a cluster, which listeners
                                  ask for an RDS name). Built lazily, once per proxy, kept as the
                                  proxy's ``INDEX`` fact (:mod:`meshlens.models.derived`).
    :mod:`meshlens.index.refs`    the one walk of listeners and route configurations that yields the
                                  located reference records (chains, route configs, virtual hosts,
                                  routes, cluster references, RDS references) the index keeps.
    :mod:`meshlens.index.secrets` which SDS secrets the TLS contexts of listeners and clusters name,
                                  and who names each (``ProxyIndex.secret_users``).
    :mod:`meshlens.index.graph`   ``proxy.graph()``: the networkx request graph, drawn from the index
                                  (no walk of its own), with dangling references.
    :mod:`meshlens.index.addresses`  IP parsing and canonical forms (cached), shared with the trace.

Across a snapshot (the seam for the mesh index of the cross-proxy issue; designed, not yet built):
    A ``MeshIndex`` will be a fact of the :class:`~meshlens.models.snapshot.Snapshot` (the same
    :class:`~meshlens.models.derived.Fact` mechanism, keyed on the snapshot), built once from the
    per-proxy indexes and never by walking raw resources again:

    - endpoint IP -> the pod / workload / proxy that owns it: each Envoy's own IPs
      (``ProxyIndex.own_ips``: node id and ``INSTANCE_IPS``), its node metadata (pod, namespace,
      workload, labels), the ztunnels' workloads (``Ztunnel.workloads`` addresses) and istiod's
      syncz rows; conflicting claims are kept, not overwritten, and reported;
    - service VIP -> service: each Envoy's ``ProxyIndex.host_vips()`` inverted, plus ztunnel
      services; identity (SPIFFE) -> workloads from ztunnel workloads and sidecar metadata;
    - the cross-proxy trace asks it which proxy's inbound listener an upstream endpoint of one
      proxy's cluster lands on (``endpoint IP:port -> (proxy, ProxyIndex)``), then continues in that
      proxy's own :class:`ProxyIndex`; an IP the mesh index cannot place is outside the archive.

    It lives in ``meshlens/index/mesh.py`` and depends only on this package and the models, so
    views, analysis and checks consume it exactly as they consume :class:`ProxyIndex`.
"""

from __future__ import annotations

from meshlens.index.proxy import INDEX, ProxyIndex, VhostIndex, index_for
from meshlens.index.refs import ClusterRef, ProxyRefs, RdsRef, RouteConfigEntry, RouteEntry, VhostEntry

__all__ = [
    "INDEX",
    "ClusterRef",
    "ProxyIndex",
    "ProxyRefs",
    "RdsRef",
    "RouteConfigEntry",
    "RouteEntry",
    "VhostEntry",
    "VhostIndex",
    "index_for",
]
