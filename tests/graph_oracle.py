"""The request graph as it was drawn before the reference index: a walk of the TYPED models.

Kept as an independent oracle: ``proxy.graph()`` is now drawn from the raw-dict reference index
(:mod:`meshlens.index`), and tests/test_index.py checks both give the same nodes and edges on every
capture. Validating every listener and route model is what made this walk too slow for the checks.
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from meshlens.index.graph import NodeKey
from meshlens.index.proxy import ProxyIndex
from meshlens.models.envoy.listener import FilterChain, chain_label
from meshlens.models.envoy.route import RouteConfiguration
from meshlens.models.snapshot import EnvoyProxy


class TypedGraph:
    """The old MeshGraph construction, verbatim but for the class name."""

    def __init__(self, proxy: EnvoyProxy) -> None:
        self.proxy = proxy
        self.nx: nx.MultiDiGraph = nx.MultiDiGraph()
        self._index = ProxyIndex.build(proxy)  # a fresh index: no state shared with the graph under test
        self._build()

    def _node(self, key: NodeKey, **attrs: Any) -> NodeKey:
        if key in self.nx:
            self.nx.nodes[key].update(attrs)
        else:
            self.nx.add_node(key, kind=key.kind, name=key.name, missing=False, **attrs)
        return key

    def _edge(self, src: NodeKey, dst: NodeKey, relation: str, **attrs: Any) -> None:
        self.nx.add_edge(src, dst, relation=relation, **attrs)

    def _missing(self, src: NodeKey, dst: NodeKey, relation: str, reason: str) -> None:
        if dst not in self.nx:
            self.nx.add_node(dst, kind=dst.kind, name=dst.name, missing=True, reason=reason)
        self._edge(src, dst, relation, dangling=True)

    def _build(self) -> None:
        idx = self._index
        for res in self.proxy.listeners:
            if res.state == "rejected":
                continue
            lname = res.name or f"@{res.json_path}"
            lkey = self._node(NodeKey("listener", lname), model=res, state=res.state)
            listener = res.listener
            chains = [(chain_label(c, i), c) for i, c in enumerate(listener.filter_chains)]
            if listener.default_filter_chain is not None:
                chains.append((chain_label(listener.default_filter_chain, None), listener.default_filter_chain))
            labels = [label for label, _ in chains]
            chains = [(f"{label}#{i}" if labels.count(label) > 1 else label, chain)
                      for i, (label, chain) in enumerate(chains)]
            for label, chain in chains:
                ckey = self._node(NodeKey("filter_chain", f"{lname}/{label}"), model=chain)
                self._edge(lkey, ckey, "filter_chain")
                self._chain_refs(ckey, chain)
        for name, rc in idx.route_configs.items():
            if rc.state != "static":
                self._route_config(self._node(NodeKey("route_config", name), model=rc), rc.route_config, name)
        for name, cl in {**idx.not_serving_clusters, **idx.clusters}.items():
            if cl.state != "rejected":
                self._cluster(name, cl)

    def _chain_refs(self, ckey: NodeKey, chain: FilterChain) -> None:
        idx = self._index
        for flt in chain.filters:
            hcm, tcp = flt.hcm, flt.tcp_proxy
            if hcm is not None and hcm.route_config is not None:
                rkey = self._node(NodeKey("route_config", f"{ckey.name}/inline:{hcm.route_config.name}"),
                                  model=hcm.route_config, inline=True)
                self._edge(ckey, rkey, "inline_route_config")
                self._route_config(rkey, hcm.route_config, rkey.name)
            elif hcm is not None and hcm.rds is not None:
                name = hcm.rds.route_config_name
                target = NodeKey("route_config", name)
                if name in idx.route_configs:
                    self._edge(ckey, target, "rds")
                else:
                    self._missing(ckey, target, "rds", f"RDS route configuration {name!r} is not loaded")
            elif tcp is not None:
                names = [tcp.cluster] if tcp.cluster else [c.name for c in (tcp.weighted_clusters.clusters
                                                                           if tcp.weighted_clusters else [])]
                for cname in names:
                    self._cluster_ref(ckey, cname, "tcp_proxy")

    def _route_config(self, rkey: NodeKey, config: RouteConfiguration, prefix: str) -> None:
        for vh in config.virtual_hosts:
            vkey = self._node(NodeKey("virtual_host", f"{prefix}/{vh.name}"), model=vh, domains=list(vh.domains))
            self._edge(rkey, vkey, "virtual_host")
            for i, route in enumerate(vh.routes):
                tkey = self._node(NodeKey("route", f"{vkey.name}/{route.name or i}"), model=route, index=i)
                self._edge(vkey, tkey, "route")
                action = route.route
                if action is None:
                    continue
                if action.cluster:
                    self._cluster_ref(tkey, action.cluster, "cluster")
                elif action.weighted_clusters is not None:
                    for wc in action.weighted_clusters.clusters:
                        self._cluster_ref(tkey, wc.name, "weighted_cluster", weight=wc.weight)
                elif action.cluster_header:
                    self.nx.nodes[tkey]["cluster_header"] = action.cluster_header

    def _cluster_ref(self, src: NodeKey, name: str, relation: str, **attrs: Any) -> None:
        target = NodeKey("cluster", name)
        if name in self._index.clusters or name in self._index.not_serving_clusters:
            self._node(target)
            self._edge(src, target, relation, **attrs)
        else:
            self._missing(src, target, relation, f"cluster {name} is not loaded")

    def _cluster(self, name: str, res: Any) -> None:
        key = self._node(NodeKey("cluster", name), model=res, type=res.raw.get("type", "STATIC"), state=res.state)
        raw = res.raw
        service = None
        if raw.get("type") == "EDS":
            service = (raw.get("eds_cluster_config") or {}).get("service_name") or name
        assignment = self._index.assignments.get(service or name)
        if service is not None and assignment is None:
            if "endpoints" in self.proxy.sections:
                self._missing(key, NodeKey("assignment", service), "eds",
                              f"no ClusterLoadAssignment {service!r} for EDS cluster {name}")
            return
        cla = assignment.raw if assignment is not None else (raw.get("load_assignment") or {})
        for locality in cla.get("endpoints") or ():
            for lb in locality.get("lb_endpoints") or ():
                sa = ((lb.get("endpoint") or {}).get("address") or {}).get("socket_address") or {}
                if not sa:
                    continue
                address = f"{sa.get('address', '')}:{sa.get('port_value', 0)}"
                ekey = self._node(NodeKey("endpoint", f"{name}/{address}"), address=address,
                                  health=lb.get("health_status", "UNKNOWN"))
                self._edge(key, ekey, "eds" if service else "load_assignment")
