"""Private key material out of everything meshlens prints or writes: Envoy's own ``[redacted]``.

Envoy's admin replaces every field its API marks ``[(udpa.annotations.sensitive) = true]``
(``TlsCertificate.private_key``, ``password``, ``pkcs12``, ``GenericSecret.secret``, session ticket
keys, ...) by ``[redacted]``: every string inside such a field becomes ``"[redacted]"``, and bytes
(``inline_bytes``, base64 in JSON) become base64 of it, ``"W3JlZGFjdGVkXQ=="``. Captures that did
not go through Envoy's admin (an xDS response, a bootstrap file, istiod's output, a hand-made dump)
carry the real keys, and users share what meshlens prints. So every output path runs its JSON trees
through :func:`redact_tree` and its text through :func:`redact_text`, unless the user asked for the
secrets (``--show-secrets``, ``show_secrets=True``).

What is redacted:

* the sensitive fields, found by type where the tree says it (an ``@type``, then the field types of
  Envoy's API from :mod:`meshlens.models.envoy.proto_fields`), else by the field that holds them
  (``tls_certificates[].private_key``, ``generic_secret.secret``), and ``private_key`` anywhere;
* a PEM ``PRIVATE KEY`` block in any string (``inline_string``, a Struct value, a log line), and a
  base64 string whose decoded text holds one (``inline_bytes`` of a key outside a sensitive field).

Certificates (``certificate_chain``, ``trusted_ca``) are public and kept: views and checks read them.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

import orjson

from meshlens.models.envoy.proto_fields import (
    ANY,
    may_hold_sensitive,
    message,
    sensitive_by_parent,
    sensitive_fields,
)

REDACTED = "[redacted]"
REDACTED_BYTES = base64.b64encode(REDACTED.encode()).decode()  # "W3JlZGFjdGVkXQ=="
_BYTES_FIELDS = frozenset({"inline_bytes", "inlineBytes"})
ALWAYS_SENSITIVE = frozenset({"private_key", "privateKey"})

# A PEM private key block, also when JSON-escaped (``\n`` written as two characters) or cut short.
_PEM_KEY = re.compile(r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----.*?(?:-----END \1PRIVATE KEY-----|\Z)", re.S)
# base64 text long enough to hold a key (a PEM key is > 200 bytes)
_B64_TOKEN = re.compile(r"[A-Za-z0-9+/]{120,}={0,2}")
_B64_VALUE = re.compile(r"\A[A-Za-z0-9+/\r\n]{120,}={0,2}\s*\Z")
_KEY_MARKER = b"PRIVATE KEY-----"


def _b64_markers(marker: bytes) -> tuple[str, ...]:
    """The base64 text ``marker`` becomes at each of the three byte alignments (only the characters
    that depend on ``marker`` alone): a base64 string holds ``marker`` only if it holds one of them.
    """
    out = []
    for align in range(3):
        encoded = base64.b64encode(b"\0" * align + marker).decode()
        start = -(-align * 8 // 6) + (1 if align else 0)
        out.append(encoded[start:(8 * (align + len(marker))) // 6])
    return tuple(out)


_B64_KEY_MARKERS = _b64_markers(_KEY_MARKER)


def _b64_holds_key(text: str) -> bool:
    if not any(m in text for m in _B64_KEY_MARKERS):
        return False
    try:
        raw = base64.b64decode(text.replace("\n", "").replace("\r", "") + "=" * (-len(text.strip()) % 4))
    except (binascii.Error, ValueError):
        return False
    return _KEY_MARKER in raw


def redact_string(value: str) -> str:
    """``value`` with PEM private key blocks replaced; a base64 value holding one becomes base64 of
    ``[redacted]`` (as Envoy writes a redacted ``inline_bytes``).
    """
    if "PRIVATE KEY-----" in value:
        value = _PEM_KEY.sub(REDACTED, value)
    if len(value) >= 120 and _B64_VALUE.match(value) and _b64_holds_key(value):
        return REDACTED_BYTES
    return value


def redact_text(text: str) -> str:
    """Printed text (JSON, YAML, a table, HTML) with every PEM private key block and every base64
    token that decodes to one replaced: the last net under every output path.
    """
    if "PRIVATE KEY-----" in text:
        text = _PEM_KEY.sub(REDACTED, text)
    if not any(m in text for m in _B64_KEY_MARKERS):
        return text
    return _B64_TOKEN.sub(lambda m: REDACTED_BYTES if _b64_holds_key(m.group(0)) else m.group(0), text)


def contains_key_material(text: str) -> bool:
    """True when ``text`` still holds a PEM private key or base64 of one (tests, ``meshlens redact``)."""
    return redact_text(text) != text


def _same_kind(original: dict[Any, Any], entries: dict[Any, Any]) -> dict[Any, Any]:
    """``entries`` as the dict class of ``original`` (writers tell maps and Structs apart by class)."""
    return entries if type(original) is dict else type(original)(entries)


def _blank(value: Any, key: str | None = None) -> Any:
    """Everything inside a sensitive field: strings become ``[redacted]``, bytes base64 of it."""
    if isinstance(value, dict):
        return _same_kind(value, {k: _blank(v, k) for k, v in value.items()})
    if isinstance(value, list):
        return [_blank(v, key) for v in value]
    if isinstance(value, str):
        if key == "@type":
            return value
        return REDACTED_BYTES if key in _BYTES_FIELDS else REDACTED
    return value


@dataclass(frozen=True)
class _Plan:
    """How a walk treats one message type: what to blank, where to descend, which keys it knows."""

    hidden: frozenset[str]
    descend: dict[str, tuple[str | None, bool]]  # key -> (child type, is a map)
    interesting: frozenset[str]  # hidden | descend keys | private_key: the only keys to look at
    known: frozenset[str]  # every field name of the type (both spellings)


class _Walker:
    """One copy-on-write pass: a subtree with nothing to redact is returned as it is (no copy)."""

    def __init__(self, pem: bool) -> None:
        self.pem = pem  # whether PEM / base64 PEM key text may be anywhere (else strings are skipped)
        self.by_parent = sensitive_by_parent()
        self.plans: dict[str, _Plan | None] = {}

    def _plan(self, name: str) -> _Plan | None:
        if name in self.plans:
            return self.plans[name]
        msg = message(name)
        plan = None
        if msg is not None:
            hidden = sensitive_fields(name)
            descend: dict[str, tuple[str | None, bool]] = {}
            for f in msg.fields:
                if f.kind in ("m", "map") and (self.pem or (f.value and may_hold_sensitive(f.value))):
                    for key in (f.name, f.json_name):
                        descend[key] = (f.value or None, f.kind == "map")
            if self.pem:  # strings anywhere may hold PEM text
                for f in msg.fields:
                    descend.setdefault(f.name, (None, False))
                    descend.setdefault(f.json_name, (None, False))
            plan = _Plan(hidden, descend, hidden | ALWAYS_SENSITIVE | frozenset(descend), frozenset(msg.by_name))
        self.plans[name] = plan
        return plan

    def _string(self, value: str) -> str:
        if not self.pem:
            return value
        return redact_string(value) if len(value) >= 120 or "PRIVATE KEY-----" in value else value

    def walk(self, obj: Any, type_name: str | None, parent: str | None) -> Any:
        """``obj`` (of message ``type_name`` when known, held by field ``parent``) redacted."""
        if isinstance(obj, str):
            return self._string(obj)
        if isinstance(obj, list):
            items = [self.walk(v, type_name, parent) for v in obj]
            return obj if all(a is b for a, b in zip(items, obj, strict=True)) else items
        if not isinstance(obj, dict):
            return obj
        type_url = obj.get("@type")
        if isinstance(type_url, str):
            type_name = type_url.rpartition("/")[2]
        elif type_name == ANY:
            type_name = None
        plan = self._plan(type_name) if type_name else None
        changed = self._untyped(obj, parent) if plan is None else self._typed(obj, plan)
        if not changed:
            return obj
        return _same_kind(obj, {k: changed.get(k, v) for k, v in obj.items()})

    def _untyped(self, obj: dict[str, Any], parent: str | None) -> dict[str, Any]:
        """A dict of unknown type: every key, sensitive by the field that holds it."""
        hidden = self.by_parent.get(parent or "", frozenset())
        changed: dict[str, Any] = {}
        for key, value in obj.items():
            if key in hidden or key in ALWAYS_SENSITIVE:
                new = _blank(value, key)
            elif isinstance(value, (dict, list, str)):
                new = self.walk(value, None, key)
            else:
                continue
            if new is not value and new != value:
                changed[key] = new
        return changed

    def _typed(self, obj: dict[str, Any], plan: _Plan) -> dict[str, Any]:
        """A message of a known type: only the keys that can hold something to redact."""
        changed: dict[str, Any] = {}
        keys = obj.keys()
        for key in (keys & plan.interesting) | (keys - plan.known):
            value = obj[key]
            if key in plan.hidden or key in ALWAYS_SENSITIVE:
                new = _blank(value, key)
            elif key in plan.descend:
                new = self._field(value, key, *plan.descend[key])
            elif isinstance(value, (dict, list, str)):  # a key the type does not have
                new = self.walk(value, None, key)
            else:
                continue
            if new is not value and new != value:
                changed[key] = new
        return changed

    def _field(self, value: Any, key: str, child: str | None, is_map: bool) -> Any:
        if not (is_map and isinstance(value, dict)):
            return self.walk(value, child, key)
        entries = {k: self.walk(v, child, key) for k, v in value.items()}
        return value if all(entries[k] is v for k, v in value.items()) else _same_kind(value, entries)


_PATH_KEY = re.compile(r"\.([A-Za-z_@][\w@]*)|\[['\"]([^'\"]+)['\"]\]")


def redact_at(path: str, value: Any, *, show_secrets: bool = False) -> Any:
    """``value`` found at JSONPath ``path`` (``$.generic_secret.secret``) of a resource, redacted:
    wholly when the path runs through a sensitive field, else as a tree held by the path's last field.
    """
    if show_secrets:
        return value
    keys = [a or b for a, b in _PATH_KEY.findall(path)]
    by_parent = sensitive_by_parent()
    for i, key in enumerate(keys):
        if key in ALWAYS_SENSITIVE or (i and key in by_parent.get(keys[i - 1], frozenset())):
            return _blank(value, keys[-1] if isinstance(value, str) else None)
    return redact_tree(value, parent=keys[-1] if keys else None)


def redact_tree(tree: Any, *, show_secrets: bool = False, parent: str | None = None) -> Any:
    """The JSON ``tree`` with private key material redacted: ``tree`` itself when there is none
    (never modified), else a copy sharing the unchanged parts; ``show_secrets`` returns ``tree``.
    ``parent`` names the field that holds ``tree`` when it is part of a larger document.
    """
    if show_secrets:
        return tree
    try:  # one C-speed pass tells whether key text may be anywhere; most trees hold none
        blob = orjson.dumps(tree, default=str, option=orjson.OPT_NON_STR_KEYS)
        pem = _KEY_MARKER in blob or any(m.encode() in blob for m in _B64_KEY_MARKERS)
    except (TypeError, orjson.JSONEncodeError):
        pem = True
    return _Walker(pem).walk(tree, None, parent)


def redact_output(text: str, *, show_secrets: bool = False) -> str:
    """Printed ``text`` through :func:`redact_text`, unless ``show_secrets``."""
    return text if show_secrets else redact_text(text)
