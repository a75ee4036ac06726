"""Trace a request through a captured Envoy, with Envoy's own matching rules: one package, one role per module.

``trace(proxy, to=..., path=...)`` walks listener -> filter chain -> connection manager -> route
configuration -> virtual host -> route -> action -> cluster -> endpoints and returns a :class:`Trace`.

Modules, in the order a request meets them:

* ``engine``: the walk itself (:func:`trace`), the route action and the cluster hop.
* ``listener_select``: the listener by original destination (exact ``ip:port``, wildcard, hand-offs).
* ``chains``: filter-chain selection (``filter_chain_match`` levels, ``filter_chain_matcher`` trees).
* ``hcm_request``: what the HTTP connection manager changes before routing (Host, headers, internal).
* ``paths``: path normalisation (``normalize_path``, ``merge_slashes``, escaped slashes).
* ``request``: the request as the router sees it, and authority parsing.
* ``routes``: route matching (path specifier, then headers, query parameters, gRPC, TLS context, ...).
* ``matchers``: Envoy's value matchers (``StringMatcher``, ``HeaderMatcher``, query parameters).
* ``re2``: RE2 regexes (google-re2, else a translation to Python ``re``).
* ``redirects``: the ``Location`` of a redirect or of ``require_tls``.
* ``endpoints``: endpoint health (EDS and ``/clusters``), panic threshold.
* ``walk``: the state of one trace (hops, notes, assumptions); ``model``: the result types;
  ``text``: the result's text form.

IP and CIDR helpers live in :mod:`meshlens.models.addresses` (the reference index uses them too).
"""

from meshlens.analysis.trace.engine import trace
from meshlens.analysis.trace.model import ClusterPick, Disposition, EndpointInfo, Hop, Skipped, Trace

__all__ = ["ClusterPick", "Disposition", "EndpointInfo", "Hop", "Skipped", "Trace", "trace"]
