"""JSONPath over the raw documents of a capture (``meshlens query``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
from jsonpath_ng.ext import parse as parse_jsonpath

from meshlens.errors import UsageError
from meshlens.models.redaction import redact_tree
from meshlens.sources.coerce import Source, as_snapshot, raw_documents


def query(source: Source, expression: str, *, show_secrets: bool = False, proxies: Sequence[str] | None = None,
          by_proxy: bool = False) -> list[Any] | dict[str, list[Any]]:
    """Values matching a JSONPath ``expression`` (jsonpath-ng extended syntax) in ``source``'s JSON.

    The raw documents are queried as given (camelCase stays camelCase). For an archive or a
    directory, every JSON/YAML member is queried and the matches are concatenated. A loaded
    ``Snapshot``, ``EnvoyProxy`` or ``Ztunnel`` is queried over the documents it keeps (each Envoy's
    config dump, each ztunnel's dump), as captured. Private key material is redacted in the
    documents before they are queried (so ``$..private_key`` finds Envoy's ``[redacted]``), unless
    ``show_secrets``.

    ``proxies`` names the proxies (Envoy: node id, ``pod.namespace`` or pod; ztunnel: its name) whose
    documents are queried; with one name the result is its list, with several (or ``by_proxy``, which
    without names means every proxy and ztunnel) a dict keyed by proxy name.

    Raises:
        UsageError: the expression does not parse, or a name matches no proxy.
        LoadError: the source cannot be read.
    """
    try:
        compiled = parse_jsonpath(expression)
    except (JsonPathLexerError, JsonPathParserError, Exception) as exc:  # noqa: BLE001 - lexer raises bare
        raise UsageError(f"invalid JSONPath {expression!r}: {exc}") from None
    if proxies or by_proxy:
        snapshot = as_snapshot(source)
        targets: list[tuple[str, Any]] = []
        for name in proxies or ():
            if any(z.name == name for z in snapshot.ztunnels) and not any(p.matches(name) for p in snapshot.proxies):
                targets.append((name, snapshot.ztunnel(name)))
            else:
                proxy = snapshot.proxy(name)
                targets.append((proxy.name, proxy))
        if not proxies:
            targets = [(p.name, p) for p in snapshot.proxies] + [(z.name, z) for z in snapshot.ztunnels]
        keyed = {name: _find(compiled, raw_documents(target), show_secrets) for name, target in targets}
        if len(keyed) == 1 and not by_proxy:
            return next(iter(keyed.values()))
        return keyed
    return _find(compiled, raw_documents(source), show_secrets)


def _find(compiled: Any, documents: list[Any], show_secrets: bool) -> list[Any]:
    out: list[Any] = []
    for data in documents:
        if isinstance(data, (dict, list)):
            out.extend(m.value for m in compiled.find(redact_tree(data, show_secrets=show_secrets)))
    return out
