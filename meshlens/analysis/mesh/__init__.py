"""Cross-proxy questions over a snapshot: a trace that continues into the destination's proxy.

* ``cross``: :func:`trace_mesh` (and :func:`trace`, the public ``meshlens.trace``: one proxy's trace,
  or a cross-proxy one with ``from_``).
* ``transport``: the transport a source cluster uses towards an endpoint (Istio mTLS SNI/ALPN, plaintext).
* ``model``: :class:`MeshTrace`, :class:`MeshPath`, :class:`MeshHop`; ``text``: their text form.

The lookups across proxies (IP -> pod / proxy / ztunnel) are the mesh index, :mod:`meshlens.index.mesh`.
"""

from meshlens.analysis.mesh.cross import trace, trace_mesh
from meshlens.analysis.mesh.model import MeshHop, MeshPath, MeshTrace

__all__ = ["MeshHop", "MeshPath", "MeshTrace", "trace", "trace_mesh"]
