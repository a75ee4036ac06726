"""The request graph of one proxy: listener → filter chain → route config → virtual host → route →
cluster → endpoint, as a networkx ``MultiDiGraph`` with typed node keys.

Every reference in the capture is an edge (RDS name, inline route config, tcp_proxy cluster, route
action clusters including weighted ones and ``cluster_header``, EDS service name → assignment).
A reference to something the capture does not hold becomes an edge to a node marked
``missing=True``: :meth:`MeshGraph.dangling` lists them (route → unknown cluster, RDS name not
loaded, EDS cluster without assignment).
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import networkx as nx

from meshlens.index.proxy import ProxyIndex, index_for
from meshlens.index.refs import ChainEntry, RouteConfigEntry, RouteEntry, VhostEntry, listener_key
from meshlens.models.derived import Fact
from meshlens.models.envoy.listener import FilterChain
from meshlens.models.envoy.resources import ClusterResource
from meshlens.models.envoy.route import RouteConfiguration
from meshlens.models.snapshot import EnvoyProxy

KINDS = ("listener", "filter_chain", "route_config", "virtual_host", "route", "cluster", "assignment", "endpoint")


class NodeKey(NamedTuple):
    """A node of the graph: its kind and a name unique within that kind."""

    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"


def _weight(raw: Any) -> int | None:
    """A weighted cluster's weight as a number (``10`` or protojson's ``{"value": 10}``)."""
    if isinstance(raw, dict):
        raw = raw.get("value")
    try:
        return int(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None


def typed_model(entry: ChainEntry | RouteConfigEntry | VhostEntry | RouteEntry) -> Any:
    """The typed model of an index entry (a filter chain, a route configuration, a virtual host, a route)."""
    if isinstance(entry, ChainEntry):
        listener = entry.listener.listener
        return listener.default_filter_chain if entry.position is None else listener.filter_chains[entry.position]
    if isinstance(entry, RouteConfigEntry):
        return _route_config(entry)
    if isinstance(entry, VhostEntry):
        return _route_config(entry.config).virtual_hosts[entry.position]
    return _route_config(entry.config).virtual_hosts[entry.vhost_index].routes[entry.position]


def _route_config(entry: RouteConfigEntry) -> RouteConfiguration:
    if entry.resource is not None:
        return entry.resource.route_config
    chain = typed_model(entry.chain) if entry.chain is not None else None
    hcm = chain.hcm if isinstance(chain, FilterChain) else None
    if hcm is not None and hcm.route_config is not None:
        return hcm.route_config
    return RouteConfiguration.model_validate(entry.raw)


@dataclass(frozen=True)
class Dangling:
    """A reference to a resource the capture does not hold."""

    source: NodeKey
    target: NodeKey
    relation: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"source": str(self.source), "target": str(self.target), "relation": self.relation,
                "reason": self.reason}


class MeshGraph:
    """Typed queries over a proxy's request graph (``graph.nx`` is the underlying networkx graph).

    Drawn from the proxy's reference index (:func:`meshlens.index.proxy.index_for`): no walk of its
    own. Nodes carry the index entry they come from; :meth:`model` validates its typed model on demand.
    """

    def __init__(self, proxy: EnvoyProxy) -> None:
        self.proxy = proxy
        self.nx: nx.MultiDiGraph = nx.MultiDiGraph()
        self._index: ProxyIndex = index_for(proxy)
        self._build()

    # --- construction ---------------------------------------------------------------------------
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

    def _build(self) -> None:  # noqa: C901 - one pass adding every kind of node and edge
        idx = self._index
        refs = idx.refs
        for res in self.proxy.valid_listeners:
            if res.state != "rejected":  # never served; its failed configuration is not part of the graph
                self._node(NodeKey("listener", listener_key(res)), model=res, state=res.state)
        for chain in refs.chains:
            ckey = self._node(NodeKey("filter_chain", chain.name), entry=chain)
            self._edge(NodeKey("listener", listener_key(chain.listener)), ckey, "filter_chain")
        for rds in refs.rds_refs:
            source, target = NodeKey("filter_chain", rds.chain_name), NodeKey("route_config", rds.route_config)
            if rds.route_config in idx.route_configs:
                self._edge(source, target, "rds")
            else:
                self._missing(source, target, "rds", f"RDS route configuration {rds.route_config!r} is not loaded")
        for entry in refs.route_configs:
            if entry.chain is not None:  # inline in a listener's HCM
                rkey = self._node(NodeKey("route_config", entry.name), entry=entry, inline=True)
                self._edge(NodeKey("filter_chain", entry.chain.name), rkey, "inline_route_config")
            elif not entry.inline:  # RDS
                self._node(NodeKey("route_config", entry.name), model=entry.resource, entry=entry)
        for vh in refs.vhosts:
            if vh.config.chain is None and vh.config.inline:
                continue  # a static RoutesConfigDump entry of a capture without LDS: no listener reaches it
            vkey = self._node(NodeKey("virtual_host", vh.name), entry=vh, domains=list(vh.raw.get("domains") or ()))
            self._edge(NodeKey("route_config", vh.config.name), vkey, "virtual_host")
        for route in refs.routes:
            if route.config.chain is None and route.config.inline:
                continue
            rkey = self._node(NodeKey("route", route.subject_name), entry=route, index=route.position)
            self._edge(NodeKey("virtual_host", route.vhost_name), rkey, "route")
            header = refs.cluster_headers.get(route.subject_name)
            if header is not None:
                self.nx.nodes[rkey]["cluster_header"] = header
        for ref in refs.cluster_refs:
            if ref.kind == "listener":
                self._cluster_ref(NodeKey("filter_chain", ref.chain), ref.cluster, "tcp_proxy")
            elif ref.via == "weighted_clusters":
                self._cluster_ref(NodeKey("route", ref.name), ref.cluster, "weighted_cluster",
                                  weight=_weight(ref.weight))
            else:
                self._cluster_ref(NodeKey("route", ref.name), ref.cluster, "cluster")
        for name, cl in {**idx.not_serving_clusters, **idx.clusters}.items():
            if cl.state != "rejected":
                self._cluster(name, cl)

    def _cluster_ref(self, src: NodeKey, name: str, relation: str, **attrs: Any) -> None:
        if src not in self.nx:
            return  # a route of a configuration no listener reaches (see _build)
        target = NodeKey("cluster", name)
        if self._index.cluster(name) is not None:
            self._node(target)
            self._edge(src, target, relation, **attrs)
        else:
            self._missing(src, target, relation, f"cluster {name} is not loaded")

    def _cluster(self, name: str, res: ClusterResource) -> None:
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

    # --- queries ---------------------------------------------------------------------------------
    def nodes(self, kind: str | None = None) -> Iterator[NodeKey]:
        for key in self.nx.nodes:
            if kind is None or key.kind == kind:
                yield key

    def model(self, key: NodeKey) -> Any:
        """The typed model behind ``key`` (validated on first use), None for a missing node or endpoint.

        A listener, a cluster and an RDS route configuration give their loaded resource; a filter
        chain, an inline route configuration, a virtual host and a route their typed model.
        """
        data = self.nx.nodes[key]
        if data.get("model") is not None:
            return data["model"]
        entry = data.get("entry")
        return typed_model(entry) if entry is not None else None

    def successors(self, key: NodeKey, relation: str | None = None) -> list[NodeKey]:
        return [dst for _, dst, data in self.nx.out_edges(key, data=True)
                if relation is None or data.get("relation") == relation]

    def routes_for_listener(self, name: str) -> list[NodeKey]:
        start = NodeKey("listener", name)
        return [k for k in nx.descendants(self.nx, start) if k.kind == "route"] if start in self.nx else []

    def clusters_for_route(self, key: NodeKey) -> list[NodeKey]:
        return [k for k in self.successors(key) if k.kind == "cluster"]

    def referrers(self, key: NodeKey) -> list[NodeKey]:
        """Who references ``key`` (e.g. every route sending to a cluster)."""
        return list(self.nx.predecessors(key)) if key in self.nx else []

    def dangling(self) -> list[Dangling]:
        """References to resources the capture does not hold."""
        out = []
        for src, dst, data in self.nx.edges(data=True):
            if data.get("dangling"):
                out.append(Dangling(src, dst, str(data.get("relation")), str(self.nx.nodes[dst].get("reason", ""))))
        return sorted(out, key=lambda d: (d.target, d.source))

    def subgraph(self, keys: list[NodeKey]) -> MeshGraph:
        """A view of the graph restricted to ``keys`` (shares the proxy)."""
        clone = object.__new__(MeshGraph)
        clone.proxy, clone._index = self.proxy, self._index
        clone.nx = self.nx.subgraph(keys).copy()
        return clone

    def neighbourhood(self, key: NodeKey) -> MeshGraph:
        """Everything upstream and downstream of ``key``."""
        keys = {key} | nx.ancestors(self.nx, key) | nx.descendants(self.nx, key)
        return self.subgraph(sorted(keys))

    # --- export ----------------------------------------------------------------------------------
    def _plain(self) -> nx.MultiDiGraph:
        plain = nx.MultiDiGraph()
        for key, data in self.nx.nodes(data=True):
            plain.add_node(str(key), kind=key.kind, name=key.name, missing=bool(data.get("missing")),
                           **{k: str(v) for k, v in data.items() if k in ("health", "address", "type", "reason",
                                                                           "state")})
        for src, dst, data in self.nx.edges(data=True):
            attrs = {k: (str(v) if v is not None else "") for k, v in data.items()}
            plain.add_edge(str(src), str(dst), **attrs)
        return plain

    def to_graphml(self, path: str) -> None:
        nx.write_graphml(self._plain(), path)

    def to_dot(self) -> str:
        def q(text: str) -> str:
            return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

        lines = ["digraph meshlens {", "  rankdir=LR;", "  node [shape=box, fontsize=10];"]
        for key, data in self.nx.nodes(data=True):
            style = ', style=dashed, color=red' if data.get("missing") else ""
            lines.append(f"  {q(str(key))} [label={q(key.kind + chr(10) + key.name)}{style}];")
        for src, dst, data in self.nx.edges(data=True):
            label = str(data.get("relation", ""))
            if data.get("weight") is not None:
                label += f" {data['weight']}"
            lines.append(f"  {q(str(src))} -> {q(str(dst))} [label={q(label)}];")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def _repr_svg_(self) -> str | None:
        """A layered drawing for notebooks (graphs up to 400 nodes; use ``neighbourhood`` for more)."""
        if self.nx.number_of_nodes() > 400:
            return None
        columns: dict[str, list[NodeKey]] = {k: [] for k in KINDS}
        for key in sorted(self.nx.nodes):
            columns.setdefault(key.kind, []).append(key)
        pos: dict[NodeKey, tuple[int, int]] = {}
        width, row_h, col_w = 0, 22, 230
        for c, kind in enumerate(k for k in columns if columns[k]):
            for r, key in enumerate(columns[kind]):
                pos[key] = (10 + c * col_w, 20 + r * row_h)
            width = max(width, 10 + (c + 1) * col_w)
        height = 30 + row_h * max((len(v) for v in columns.values()), default=1)
        parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-size="10">']
        for src, dst in self.nx.edges():
            (x1, y1), (x2, y2) = pos[src], pos[dst]
            parts.append(f'<line x1="{x1 + 200}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#999"/>')
        for key, (x, y) in pos.items():
            color = "red" if self.nx.nodes[key].get("missing") else "black"
            label = html.escape(key.name if len(key.name) < 38 else "…" + key.name[-36:])
            parts.append(f'<text x="{x}" y="{y + 4}" fill="{color}">{label}</text>')
        parts.append("</svg>")
        return "".join(parts)

    def __repr__(self) -> str:
        counts = {k: sum(1 for _ in self.nodes(k)) for k in KINDS}
        shown = ", ".join(f"{k}={v}" for k, v in counts.items() if v)
        return f"MeshGraph({self.proxy.name!r}, {shown}, dangling={len(self.dangling())})"


GRAPH: Fact[EnvoyProxy, MeshGraph] = Fact("graph", MeshGraph)


def graph_for(proxy: EnvoyProxy) -> MeshGraph:
    """The proxy's request graph (built on first use, then kept with the proxy)."""
    return GRAPH.of(proxy)


def export_graph(source: Any, fmt: str = "dot", *, proxy: str | None = None, dangling_only: bool = False) -> str:
    """The request graph of the proxy in ``source`` as DOT, GraphML or JSON text (``meshlens graph``).

    With ``dangling_only`` the JSON lists only the dangling references.
    """
    import json
    import tempfile

    from meshlens.errors import UsageError
    from meshlens.sources.coerce import as_proxy

    target = as_proxy(source, proxy)
    graph = graph_for(target)
    if dangling_only:
        return json.dumps([d.to_dict() for d in graph.dangling()], indent=2) + "\n"
    if fmt == "dot":
        return graph.to_dot()
    if fmt == "graphml":
        with tempfile.NamedTemporaryFile(suffix=".graphml") as handle:
            graph.to_graphml(handle.name)
            return Path(handle.name).read_text()
    if fmt == "json":
        data = nx.node_link_data(graph._plain(), edges="edges")
        return json.dumps(data, indent=2) + "\n"
    raise UsageError(f"unknown graph format {fmt!r} (dot, graphml, json)")
