"""The ``Location`` Envoy sends for a redirect route, and for a virtual host's ``require_tls``.

Rules checked against Envoy 1.40 (the lab's ``actions_redirect_direct`` and ``hcm_requests``
configurations):

* scheme: ``https_redirect`` > ``scheme_redirect`` > the request's ``x-forwarded-proto``;
* host: ``host_redirect`` replaces host and port; else the request's ``Host`` (after the connection
  manager stripped what it strips);
* port: ``port_redirect``; else the old port is dropped when the scheme changes and it was the old
  scheme's default port (``h:80`` -> ``https://h/``, ``h:443`` -> ``https://h:443/``);
* path: ``path_redirect`` (its own ``?query`` wins, even over ``strip_query``), ``prefix_rewrite``
  (replaces the matched prefix; the whole path for ``path``/``safe_regex`` matches) or
  ``regex_rewrite``; a path without a leading ``/`` gets one;
* query: kept unless ``strip_query``.

``require_tls`` answers 301 to ``https://`` + the Host header as sent (port included) + the path.
"""

from __future__ import annotations

from meshlens.analysis.trace.re2 import regex_sub
from meshlens.analysis.trace.request import Request, split_host_port
from meshlens.models.envoy.route import RedirectAction, Route

DEFAULT_PORTS = {"http": 80, "https": 443}


def _rewritten_path(r: RedirectAction, route: Route, path: str) -> str:
    if r.prefix_rewrite is not None:
        m = route.match
        prefix = m.prefix if m.prefix is not None else m.path_separated_prefix
        matched = len(prefix) if prefix is not None else len(path)  # path / safe_regex: the whole path
        return r.prefix_rewrite + path[matched:]
    if r.regex_rewrite is not None:
        pattern = (r.regex_rewrite.get("pattern") or {}).get("regex", "")
        rewritten = regex_sub(pattern, str(r.regex_rewrite.get("substitution", "")), path)
        if rewritten is not None:
            return rewritten
    return path


def redirect_location(r: RedirectAction, route: Route, req: Request) -> str:
    """The ``Location`` of redirect route ``route`` for ``req`` (scheme, host, port, path, query)."""
    host, port = split_host_port(req.authority)
    scheme = "https" if r.https_redirect else (r.scheme_redirect or req.scheme)
    if r.host_redirect:
        host, port = r.host_redirect, None  # the request's port does not carry over to a new host
    if r.port_redirect:
        port = r.port_redirect
    elif scheme != req.scheme and port == DEFAULT_PORTS.get(req.scheme):
        port = None  # the old scheme's default port does not carry over
    path = req.path_only
    query = req.path[len(path):]
    if r.path_redirect is not None:
        path, sep, new_query = r.path_redirect.partition("?")
        if sep:
            query = sep + new_query  # path_redirect's own query is kept, strip_query or not
        elif r.strip_query:
            query = ""
    else:
        path = _rewritten_path(r, route, path)
        if r.strip_query:
            query = ""
    if not path.startswith("/"):
        path = "/" + path
    authority = host if port is None else f"{host}:{port}"
    return f"{scheme}://{authority}{path}{query}"


def tls_redirect_location(req: Request) -> str:
    """Where ``require_tls`` sends a plaintext request: the same Host (with its port) and path."""
    return f"https://{req.authority}{req.path}"
