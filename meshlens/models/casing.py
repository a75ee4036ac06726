"""Convert protojson documents between camelCase (istiod, istioctl) and snake_case (Envoy admin).

Proto field names change spelling between the two forms; map keys and ``google.protobuf.Struct``
contents do not (``filter_metadata.istio.default_original_port``, ``tlsMode`` inside a
``transport_socket_matches[].match``, the ``typed_extension_protocol_options`` keys, node metadata
such as ``PROXY_CONFIG.discoveryAddress``). So conversion must know which fields hold data rather
than fields: those are listed here, once.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# Which Envoy API fields hold data rather than fields (by their snake_case name). The one list:
# casing here and istioctl's Go-style JSON (encoding/protojson.py) both read it.
MAP_OF_STRUCTS = frozenset({"filter_metadata", "per_filter_config"})  # map<string, Struct>
MAP_OF_SCALARS = frozenset({"key_values", "labels", "context_extensions", "request_headers_to_add_map"})
MAP_OF_MESSAGES = frozenset({  # map<string, message> (usually Any): keys are data, values messages
    "typed_filter_metadata", "typed_extension_protocol_options", "typed_per_filter_config", "policies",
    "named_endpoints", "providers", "requirement_map", "certificate_provider_instances", "source_codes",
    "dynamic_parameters",
})
STRUCTS = frozenset({"default_subset", "json_format", "static_layer"})  # google.protobuf.Struct fields
STRUCTS_UNDER = {  # a Struct field only under a particular parent (parent field -> field)
    "node": frozenset({"metadata"}),
    "user_agent_build_version": frozenset({"metadata"}),
    "transport_socket_matches": frozenset({"match"}),
}
TYPED_STRUCTS = ("udpa.type.v1.TypedStruct", "xds.type.v3.TypedStruct")

# Fields whose whole value is data: copied verbatim.
_OPAQUE = MAP_OF_STRUCTS | MAP_OF_SCALARS | STRUCTS
_STRUCT_TYPES = (*TYPED_STRUCTS, "google.protobuf.Struct")

_CAMEL_RE = re.compile(r"^[a-z][a-zA-Z0-9]*$")
_UPPER_RE = re.compile(r"([A-Z])")


# protojson drops the underscore before a digit (``consecutive_5xx`` -> ``consecutive5xx``) but
# ``http2_protocol_options`` never had one: a digit run followed by lowercase letters starts a new
# word, one at a word's end belongs to it; the few proto fields that break that rule are listed.
_DIGIT_WORD_RE = re.compile(r"(?<=[a-z])(\d+)(?=[a-z])")
_SNAKE_EXCEPTIONS = {
    "acceptHttp10": "accept_http_10",
    "defaultHostForHttp10": "default_host_for_http_10",
}


@lru_cache(maxsize=4096)
def camel_to_snake(key: str) -> str:
    """``dynamicActiveClusters`` -> ``dynamic_active_clusters``; anything not camelCase is unchanged."""
    if key in _SNAKE_EXCEPTIONS:
        return _SNAKE_EXCEPTIONS[key]
    if not _CAMEL_RE.match(key):
        return key
    key = _DIGIT_WORD_RE.sub(lambda m: "_" + m.group(1), key)
    return _UPPER_RE.sub(lambda m: "_" + m.group(1).lower(), key)


@lru_cache(maxsize=4096)
def snake_to_camel(key: str) -> str:
    """``dynamic_active_clusters`` -> ``dynamicActiveClusters``; keys without ``_`` are unchanged."""
    if "_" not in key or not key[:1].islower() or not key.replace("_", "").isalnum():
        return key
    head, *rest = key.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _convert(obj: Any, conv: Any, to_snake: bool, parent: str | None) -> Any:
    if isinstance(obj, list):
        return [_convert(item, conv, to_snake, parent) for item in obj]
    if not isinstance(obj, dict):
        return obj
    type_url = obj.get("@type")
    if isinstance(type_url, str) and type_url.endswith(_STRUCT_TYPES):
        # TypedStruct: type_url is a field, value is data.
        return {conv(k): v for k, v in obj.items()}
    out = {}
    opaque_here = STRUCTS_UNDER.get(parent or "", frozenset())
    for key, value in obj.items():
        canon = camel_to_snake(key) if to_snake else key  # classify by the snake spelling
        new_key = conv(key)
        if canon in _OPAQUE or canon in opaque_here:
            out[new_key] = value
        elif canon in MAP_OF_MESSAGES and isinstance(value, dict):
            out[new_key] = {k: _convert(v, conv, to_snake, canon) for k, v in value.items()}
        else:
            out[new_key] = _convert(value, conv, to_snake, canon)
    return out


def to_snake_tree(obj: Any) -> Any:
    """A copy of a protojson tree with proto field names in snake_case (Envoy admin's spelling)."""
    return _convert(obj, camel_to_snake, True, None)


def to_camel_tree(obj: Any) -> Any:
    """A copy of a protojson tree with proto field names in camelCase (istiod's and istioctl's)."""
    return _convert(obj, snake_to_camel, False, None)



def looks_camel(sections: list[Any], budget: int = 400) -> bool:
    """True when a protojson tree uses camelCase field names (istiod / istioctl output).

    Looks at up to ``budget`` keys breadth-first and compares camelCase spellings
    (``dynamicActiveClusters``) with snake_case ones (``dynamic_active_clusters``); map keys and
    Struct data are rare near the top, so the majority decides.
    """
    camel = snake = 0
    queue: list[Any] = list(sections)
    seen = 0
    while queue and seen < budget:
        node = queue.pop(0)
        if isinstance(node, list):
            queue.extend(node[:8])
            continue
        if not isinstance(node, dict):
            continue
        for key, value in node.items():
            seen += 1
            if "_" in key and key.islower():
                snake += 1
            elif _CAMEL_RE.match(key) and not key.islower():
                camel += 1
            if isinstance(value, (dict, list)) and key not in _OPAQUE:
                queue.append(value)
    return camel > snake
