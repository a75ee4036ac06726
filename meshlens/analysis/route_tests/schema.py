"""router_check_tool's test files: ``tests: [{test_name, input, validate}]`` (JSON or YAML).

Validated as strictly as the tool's proto schema: an unknown ``input`` or ``validate`` key, a missing
``authority``/``path``/``method`` or a value of the wrong type is a one-line error naming the JSON path,
never a silently ignored expectation. The legacy spellings (``:authority``, ``:path``, ``:method``,
``additional_headers`` with ``field``) are read too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from meshlens.analysis.trace.router import duration_ns, format_duration
from meshlens.models.envoy.route import HeaderMatcher
from meshlens.sources.read import Document

INPUT_KEYS = ("authority", "path", "method", "random_value", "ssl", "internal", "additional_request_headers",
              "additional_response_headers", "runtime", "dynamic_metadata")
LEGACY_INPUT = {":authority": "authority", ":path": "path", ":method": "method",
                "additional_headers": "additional_request_headers"}
STRING_FIELDS = ("cluster_name", "virtual_cluster_name", "virtual_host_name", "host_rewrite", "path_rewrite",
                 "path_redirect")
VALIDATE_KEYS = (*STRING_FIELDS, "code_redirect", "request_header_fields", "response_header_fields",
                 "request_header_matches", "response_header_matches", "timeout", "route_metadata")
LEGACY_VALIDATE = {"header_fields": "request_header_fields", "custom_header_fields": "request_header_fields"}


@dataclass(frozen=True)
class CheckInput:
    """A test's ``input``: the request router_check_tool builds."""

    authority: str
    path: str
    method: str
    random_value: int = 0
    ssl: bool = False
    internal: bool = False
    request_headers: tuple[tuple[str, str], ...] = ()
    response_headers: tuple[tuple[str, str], ...] = ()
    runtime: str | None = None
    dynamic_metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MetadataExpectation:
    """One ``route_metadata`` expectation: ``filter_metadata[namespace][key] == value``."""

    namespace: str
    key: str
    value: Any


@dataclass(frozen=True)
class Validate:
    """A test's ``validate``: only the keys the test sets are checked."""

    strings: dict[str, str] = field(default_factory=dict)  # STRING_FIELDS that are set
    code_redirect: int | None = None
    request_header_fields: tuple[tuple[str, str], ...] = ()
    response_header_fields: tuple[tuple[str, str], ...] = ()
    request_header_matches: tuple[HeaderMatcher, ...] = ()
    response_header_matches: tuple[HeaderMatcher, ...] = ()
    timeout: Any = None  # a Duration spelling ("30s", {seconds: 30}); None: not checked
    timeout_text: str | None = None
    route_metadata: tuple[MetadataExpectation, ...] = ()

    @property
    def empty(self) -> bool:
        """Whether the test validates nothing (router_check_tool requires at least one check)."""
        return not (self.strings or self.code_redirect is not None or self.request_header_fields
                    or self.response_header_fields or self.request_header_matches
                    or self.response_header_matches or self.timeout is not None or self.route_metadata)


@dataclass(frozen=True)
class CheckTest:
    """One router_check_tool test."""

    name: str
    input: CheckInput
    validate: Validate
    json_path: str


def _header_values(doc: Document, value: Any, path: str, legacy: bool = False) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise doc.error("expected a list of {key, value}", path)
    out = []
    for i, item in enumerate(value):
        name_key = "field" if legacy and isinstance(item, dict) and "field" in item else "key"
        if not isinstance(item, dict) or not isinstance(item.get(name_key), str) or not item.get(name_key):
            raise doc.error(f"expected {{{name_key}: NAME, value: VALUE}}", f"{path}[{i}]")
        extra = set(item) - {name_key, "value", "raw_value"}
        if extra:
            raise doc.error(f"unknown field {sorted(extra)[0]!r} in a header value", f"{path}[{i}]")
        out.append((item[name_key].lower(), str(item.get("value", ""))))
    return tuple(out)


def _bool(doc: Document, value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise doc.error("expected true or false", path)
    return value


def _int(doc: Document, value: Any, path: str) -> int:
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise doc.error("expected a non-negative integer", path)
    return value


def _string(doc: Document, value: Any, path: str) -> str:
    if isinstance(value, dict) and set(value) <= {"value"}:  # a StringValue written as a message
        value = value.get("value", "")
    if not isinstance(value, str):
        raise doc.error("expected a string (\"\" expects none)", path)
    return value


def parse_input(doc: Document, raw: Any, path: str) -> CheckInput:
    """A test's ``input``, validated."""
    if not isinstance(raw, dict):
        raise doc.error("expected the test's input (a mapping)", path)
    given = {str(LEGACY_INPUT.get(k, k)): v for k, v in raw.items()}
    legacy_headers = "additional_headers" in raw
    unknown = sorted(set(given) - set(INPUT_KEYS))
    if unknown:
        raise doc.error(f"unknown input field {unknown[0]!r} (known: {', '.join(INPUT_KEYS)})", f"{path}.{unknown[0]}")
    values: dict[str, str] = {}
    for key, minimum in (("authority", 1), ("path", 1), ("method", 3)):
        value = given.get(key)
        if not isinstance(value, str) or len(value) < minimum:
            raise doc.error(f"input needs {key} (a string of at least {minimum} character"
                            f"{'s' if minimum > 1 else ''})", f"{path}.{key}")
        values[key] = value
    metadata: dict[str, Any] = {}
    for i, item in enumerate(given.get("dynamic_metadata") or ()):
        where = f"{path}.dynamic_metadata[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("metadata_namespace"), str):
            raise doc.error("expected {metadata_namespace, value, allow_overwrite}", where)
        namespace, value = item["metadata_namespace"], item.get("value") or {}
        if not isinstance(value, dict):
            raise doc.error("expected a Struct (a mapping) as value", where + ".value")
        if namespace in metadata and not item.get("allow_overwrite"):
            continue  # Envoy keeps the first value unless allow_overwrite
        metadata[namespace] = {**metadata.get(namespace, {}), **value}
    runtime = given.get("runtime")
    if runtime is not None and not isinstance(runtime, str):
        raise doc.error("expected a runtime key (a string)", f"{path}.runtime")
    return CheckInput(
        authority=values["authority"], path=values["path"], method=values["method"],
        random_value=_int(doc, given.get("random_value", 0), f"{path}.random_value"),
        ssl=_bool(doc, given.get("ssl", False), f"{path}.ssl"),
        internal=_bool(doc, given.get("internal", False), f"{path}.internal"),
        request_headers=_header_values(doc, given.get("additional_request_headers"),
                                       f"{path}.additional_request_headers", legacy=legacy_headers),
        response_headers=_header_values(doc, given.get("additional_response_headers"),
                                        f"{path}.additional_response_headers"),
        runtime=runtime or None, dynamic_metadata=metadata)


def _matchers(doc: Document, value: Any, path: str) -> tuple[HeaderMatcher, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise doc.error("expected a list of HeaderMatchers", path)
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or not item.get("name"):
            raise doc.error("expected a HeaderMatcher with a name", f"{path}[{i}]")
        try:
            out.append(HeaderMatcher.model_validate(item))
        except ValidationError as exc:
            raise doc.error(f"not a HeaderMatcher: {exc.errors()[0]['msg']}", f"{path}[{i}]") from exc
        known = set(HeaderMatcher.model_fields)
        extra = sorted(set(item) - known - {"stringMatch", "exactMatch", "presentMatch", "invertMatch"})
        if extra:
            raise doc.error(f"unknown HeaderMatcher field {extra[0]!r}", f"{path}[{i}]")
    return tuple(out)


def parse_validate(doc: Document, raw: Any, path: str) -> Validate:
    """A test's ``validate``, validated."""
    if not isinstance(raw, dict):
        raise doc.error("expected the test's validate (a mapping)", path)
    given = {str(LEGACY_VALIDATE.get(k, k)): v for k, v in raw.items()}
    legacy_fields = any(k in raw for k in LEGACY_VALIDATE)
    unknown = sorted(set(given) - set(VALIDATE_KEYS))
    if unknown:
        raise doc.error(f"unknown validate field {unknown[0]!r} (known: {', '.join(VALIDATE_KEYS)})",
                        f"{path}.{unknown[0]}")
    strings = {k: _string(doc, given[k], f"{path}.{k}") for k in STRING_FIELDS if k in given}
    code = given.get("code_redirect")
    if code is not None:
        code = _int(doc, code.get("value", 0) if isinstance(code, dict) else code, f"{path}.code_redirect")
    timeout = given.get("timeout")
    timeout_text = None
    if timeout is not None:
        try:
            timeout_text = format_duration(duration_ns(timeout))
        except ValueError as exc:
            raise doc.error(f"expected a duration (\"30s\" or {{seconds: 30}}): {exc}", f"{path}.timeout") from exc
    metadata = []
    for i, item in enumerate(given.get("route_metadata") or ()):
        where = f"{path}.route_metadata[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("namespace"), str) or \
                not isinstance(item.get("key"), str) or "value" not in item:
            raise doc.error("expected {namespace, key, value}", where)
        metadata.append(MetadataExpectation(item["namespace"], item["key"], item["value"]))
    out = Validate(
        strings=strings, code_redirect=code,
        request_header_fields=_header_values(doc, given.get("request_header_fields"),
                                             f"{path}.request_header_fields", legacy=legacy_fields),
        response_header_fields=_header_values(doc, given.get("response_header_fields"),
                                              f"{path}.response_header_fields"),
        request_header_matches=_matchers(doc, given.get("request_header_matches"), f"{path}.request_header_matches"),
        response_header_matches=_matchers(doc, given.get("response_header_matches"),
                                          f"{path}.response_header_matches"),
        timeout=timeout, timeout_text=timeout_text, route_metadata=tuple(metadata))
    if out.empty:
        raise doc.error("the test validates nothing (router_check_tool needs at least one field)", path)
    return out


def parse_check_item(doc: Document, item: Any, path: str) -> CheckTest:
    """One ``tests[]`` entry in router_check_tool's form."""
    if not isinstance(item, dict):
        raise doc.error("expected a test (a mapping)", path)
    unknown = sorted(set(item) - {"test_name", "input", "validate"})
    if unknown:
        raise doc.error(f"unknown test field {unknown[0]!r} (known: test_name, input, validate)",
                        f"{path}.{unknown[0]}")
    name = item.get("test_name")
    if not isinstance(name, str) or not name:
        raise doc.error("the test needs a test_name", f"{path}.test_name")
    return CheckTest(name=name, input=parse_input(doc, item.get("input"), f"{path}.input"),
                     validate=parse_validate(doc, item.get("validate"), f"{path}.validate"), json_path=path)


def parse_check_document(doc: Document) -> list[CheckTest]:
    """Every test of a router_check_tool test file."""
    data = doc.data
    items = data.get("tests") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise doc.error("expected router_check_tool tests: {tests: [{test_name, input, validate}, ...]}", "$.tests")
    if isinstance(data, dict) and set(data) - {"tests"}:
        extra = sorted(set(data) - {"tests"})[0]
        raise doc.error(f"unknown top-level field {extra!r} (a tests file holds only tests)", f"$.{extra}")
    return [parse_check_item(doc, item, f"$.tests[{i}]") for i, item in enumerate(items)]


__all__ = ["CheckInput", "CheckTest", "MetadataExpectation", "Validate", "parse_check_document", "parse_check_item"]
