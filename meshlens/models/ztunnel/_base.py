"""Plumbing shared by the ztunnel records: raw/JSON-path bookkeeping and readable validation errors."""

from __future__ import annotations

import re
import types
import typing
from typing import Annotated, Any, ClassVar, Union

from pydantic import BaseModel, BeforeValidator, ValidationError
from typing_extensions import Self

from meshlens.models.base import Location, MeshModel

_IDENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def json_path_key(key: Any) -> str:
    """The JSONPath step for a member: ``.name`` for plain names, ``['network1/10.0.0.1']`` otherwise."""
    text = str(key)
    if _IDENT_RE.match(text):
        return "." + text
    return "['" + text.replace("\\", "\\\\").replace("'", "\\'") + "']"


def _str_keys(value: Any) -> Any:
    """Port maps: JSON keys are strings already, YAML (LocalConfig) gives ints; normalise to strings."""
    if isinstance(value, dict):
        return {k if isinstance(k, str) else str(k): v for k, v in value.items()}
    return value


# ``"svcPort" -> targetPort`` (``{"80": 8080}``); ports are map keys, so strings as in the JSON.
PortMap = Annotated[dict[str, int], BeforeValidator(_str_keys)]


class ZModel(MeshModel):
    """Base of every ztunnel model.

    Equality compares the modelled fields and the unknown (extra) keys; the raw dict and the JSON
    path of a record are bookkeeping and take no part, so the same content read from two dump
    shapes compares equal. Models are hashable (by class and :meth:`_identity`).
    """

    # Overrides of the "expected ..." text of load errors, by field name ("<field>[]": one item).
    EXPECT: ClassVar[dict[str, str]] = {}
    # What one of these is, in error messages ("a workload object").
    WHAT: ClassVar[str] = "an object"
    # Fields a before-validator fills from another key of the document (field alias -> raw key),
    # so load errors point at the key the user sees.
    RAW_KEYS: ClassVar[dict[str, str]] = {}

    def _identity(self) -> Any:
        return ()

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return bool(self.__dict__ == other.__dict__ and self.__pydantic_extra__ == other.__pydantic_extra__)

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._identity()))


class ZtunnelRecord(ZModel):
    """A top-level record of a dump (a workload, service, policy, certificate, pod state...).

    Keeps the dict it was read from (:attr:`raw`) and where it was (:attr:`json_path`,
    :attr:`location`), e.g. ``$.workloads[3]`` or ``$.services['/10.96.0.10']``.
    """

    # raw / path / source live in pydantic's per-instance private dict, filled by from_raw: not
    # fields (no validation, not in equality or dumps) and, unlike declared PrivateAttrs, free
    # to construct (a dump holds thousands of records).

    @classmethod
    def from_raw(cls, raw: dict[str, Any], *, path: str = "$", source: Location | None = None,
                 **overrides: Any) -> Self:
        """Validate ``raw`` (plus ``overrides``, e.g. a map key) and remember its origin.

        Raises:
            pydantic.ValidationError: a field has the wrong type; see :func:`explain_validation_error`.
        """
        record = cls.model_validate({**raw, **overrides} if overrides else raw)
        object.__setattr__(record, "__pydantic_private__", {"raw": raw, "path": path, "source": source})
        return record

    def _origin(self, key: str, default: Any) -> Any:
        private = self.__pydantic_private__
        return private.get(key, default) if private else default

    @property
    def raw(self) -> dict[str, Any]:
        """The record's dict exactly as it was in the dump (not part of equality)."""
        raw: dict[str, Any] = self._origin("raw", {})
        return raw

    @property
    def json_path(self) -> str:
        return str(self._origin("path", "$"))

    @property
    def location(self) -> Location:
        """File, archive member and JSON path of this record."""
        src = self._origin("source", None)
        if src is None:
            return Location(json_path=self.json_path)
        return Location(file=src.file, member=src.member, json_path=self.json_path)

    @property
    def key(self) -> str:
        """The record's identity inside one ztunnel (uid, ``ns/hostname``, ``ns/name``...)."""
        return ""

    def _identity(self) -> Any:
        return self.key


# ----------------------------------------------------------------------------- load error messages
def _kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"a string ({shown!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def describe_value(value: Any) -> str:
    """How a JSON value reads in an error message: ``a number (5)``, ``a list``, ``null``..."""
    return _kind_of(value)


_SCALARS = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}


def _unwrap(annotation: Any) -> Any:
    while typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (Union, types.UnionType)


def describe_type(annotation: Any) -> str:
    """An English description of a field type: ``a list of strings``, ``a map of integers``..."""
    annotation = _unwrap(annotation)
    if annotation in _SCALARS:
        return _SCALARS[annotation]
    if isinstance(annotation, type) and issubclass(annotation, ZModel):
        return annotation.WHAT
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "an object"
    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
    if _is_union(annotation):
        parts = [describe_type(a) for a in args if a is not type(None)]
        text = " or ".join(dict.fromkeys(parts))
        return text + (" or null" if type(None) in args else "")
    if origin in (tuple, list) and args:
        inner = describe_type(args[0])
        for article in ("an ", "a "):
            if inner.startswith(article):
                inner = inner[len(article):]
                break
        if inner.startswith("list"):
            return "a list of " + inner.replace("list", "lists", 1)
        return "a list of " + (inner if inner.endswith("s") else _plural(inner))
    if origin is dict and len(args) == 2:
        return "an object (map) of " + describe_type(args[1])
    return "a valid value"


def _plural(noun: str) -> str:
    head, sep, tail = noun.partition(" ")  # "object (map)" -> "objects (map)"
    if head.endswith("y"):
        head = head[:-1] + "ies"
    elif head.endswith(("s", "x", "ch", "sh")):
        head += "es"
    else:
        head += "s"
    return head + sep + tail


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        found.extend(_models_in(arg))
    return found


def _element_type(annotation: Any) -> Any:
    """The item type of a list/tuple or the value type of a dict annotation (None otherwise)."""
    annotation = _unwrap(annotation)
    if annotation is None:
        return None
    if _is_union(annotation):
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _element_type(inner[0]) if len(inner) == 1 else None
    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
    if origin in (tuple, list) and args:
        return args[0]
    if origin is dict and len(args) == 2:
        return args[1]
    return None


def _member(node: dict[Any, Any], part: Any) -> tuple[Any] | None:
    """The key of ``node`` that the error location step ``part`` names (YAML keys may be ints)."""
    if part in node:
        return (part,)
    text = str(part)
    if text in node:
        return (text,)
    for key in node:
        if str(key) == text:
            return (key,)
    return None


def _field_named(model: type[BaseModel], key: str) -> str | None:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return name
    return None


def explain_validation_error(exc: ValidationError, model: type[ZModel], raw: Any) -> tuple[str, str]:
    """``(json_path_suffix, message)`` for the first problem pydantic found in ``raw``.

    The suffix is relative to the record (``.workloadIps`` or ``.endpoints['uid'].port``); the
    message says what was found and what was expected, in one line, without pydantic's wording.
    """
    error = exc.errors(include_url=False)[0]
    suffix = ""
    node = raw
    current: type[BaseModel] | None = model
    label = ""
    expect = model.WHAT
    annotation: Any = None  # type at the current position, when inside a field's lists and maps
    element_hint: str | None = None  # EXPECT["<field>[]"]: what one item of the field is
    for part in error["loc"]:
        # Walk the raw document along the error location: pydantic adds union/validator tags
        # (``CidrVip``, ``function-before[...]``, ``[key]``) that are not in the document.
        raw_key = getattr(current, "RAW_KEYS", {}).get(part) if current is not None else None
        if isinstance(node, dict) and raw_key in node:  # a field filled from another key
            key, node = part, node[raw_key]
            step = json_path_key(raw_key)
        elif isinstance(node, dict) and (found := _member(node, part)) is not None:
            key = found[0]
            node = node[key]
            step = json_path_key(key)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            step = f"[{part}]"
            key = None
        else:
            continue
        suffix += step
        name = _field_named(current, key) if current is not None and isinstance(key, str) else None
        if name is None:  # a list index or a map key, not a field
            label += step if step.startswith("[") else f"['{key}']"
            annotation = _element_type(annotation)
            if annotation is not None:
                expect = element_hint or describe_type(annotation)
            element_hint = None
            continue
        assert current is not None
        info = current.model_fields[name]
        overrides = getattr(current, "EXPECT", {})
        element_hint = overrides.get(name + "[]")
        annotation = info.annotation
        expect = overrides.get(name) or describe_type(annotation)
        label = raw_key if raw_key is not None else str(key)
        inner = _models_in(annotation)
        current = inner[0] if len(inner) == 1 else None
    if error["type"] == "missing":
        return suffix, f"{label or 'a required key'} is missing: expected {expect}"
    if not suffix and error["loc"]:  # nothing of the location is in the document as written
        where = ".".join(str(p) for p in error["loc"])
        return suffix, f"{where} is invalid ({error['msg'][:1].lower()}{error['msg'][1:]})"
    what = label or "the record"
    return suffix, f"{what} is {_kind_of(node)}: expected {expect}"
