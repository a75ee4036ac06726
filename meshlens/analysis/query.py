"""JSONPath over the raw documents of a capture (``meshlens query``)."""

from __future__ import annotations

from typing import Any

from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
from jsonpath_ng.ext import parse as parse_jsonpath

from meshlens.errors import UsageError
from meshlens.models.redaction import redact_tree
from meshlens.sources.coerce import Source, raw_documents


def query(source: Source, expression: str, *, show_secrets: bool = False) -> list[Any]:
    """Values matching a JSONPath ``expression`` (jsonpath-ng extended syntax) in ``source``'s JSON.

    The raw documents are queried as given (camelCase stays camelCase). For an archive or a
    directory, every JSON/YAML member is queried and the matches are concatenated. A loaded
    ``Snapshot``, ``EnvoyProxy`` or ``Ztunnel`` is queried over the documents it keeps (each Envoy's
    config dump, each ztunnel's dump), as captured. Private key material is redacted in the
    documents before they are queried (so ``$..private_key`` finds Envoy's ``[redacted]``), unless
    ``show_secrets``.

    Raises:
        UsageError: the expression does not parse.
        LoadError: the source cannot be read.
    """
    try:
        compiled = parse_jsonpath(expression)
    except (JsonPathLexerError, JsonPathParserError, Exception) as exc:  # noqa: BLE001 - lexer raises bare
        raise UsageError(f"invalid JSONPath {expression!r}: {exc}") from None
    out: list[Any] = []
    for data in raw_documents(source):
        if isinstance(data, (dict, list)):
            out.extend(m.value for m in compiled.find(redact_tree(data, show_secrets=show_secrets)))
    return out
