"""HTTP header maps and the header mutations routes declare, applied in Envoy's order.

A :class:`HeaderMap` keeps every entry in order (a repeated header is several entries); reading a
header that appears several times gives its values joined by ``,``, as Envoy's header matchers see
them. :func:`apply_mutations` applies ``*_headers_to_remove`` then ``*_headers_to_add`` of one level
(``HeaderParser``): ``APPEND_IF_EXISTS_OR_ADD`` (the default, and ``append: true``) adds an entry,
``ADD_IF_ABSENT`` adds only when absent, ``OVERWRITE_IF_EXISTS_OR_ADD`` (``append: false``) replaces,
``OVERWRITE_IF_EXISTS`` replaces only when present; an empty value is skipped unless
``keep_empty_value``. :func:`mutation_levels` gives the levels in Envoy's order: weighted cluster,
route, virtual host, route configuration (most specific first), reversed when the route
configuration sets ``most_specific_header_mutations_wins``.

Values may hold ``%COMMAND%`` formatters. Those meshlens can resolve offline (``%REQ(h)%``,
``%PROTOCOL%``, the downstream addresses when known, ``%%``) are resolved; any other leaves the
header's value *unknown*: :meth:`HeaderMap.unknown` names such headers so that an expectation on them
is reported as not evaluable instead of being compared with a guess.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from meshlens.models.envoy.route import HeaderMutations, HeaderValueOption, RouteConfiguration

_FORMATTER = re.compile(r"%([A-Z0-9_]+)(?:\(([^)]*)\))?(?::[0-9]+)?%")


@dataclass
class HeaderMap:
    """Ordered header entries with lowercase names; ``unknown`` names headers whose value meshlens
    could not compute (an unresolvable ``%...%`` formatter).
    """

    entries: list[tuple[str, str]] = field(default_factory=list)
    unknown_names: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, headers: Mapping[str, str] | Iterable[tuple[str, str]] | None) -> HeaderMap:
        """A map from a mapping or (name, value) pairs (names lowercased, order kept)."""
        items = headers.items() if isinstance(headers, Mapping) else (headers or ())
        return cls([(str(k).lower(), str(v)) for k, v in items])

    def copy(self) -> HeaderMap:
        """An independent copy."""
        return HeaderMap(list(self.entries), set(self.unknown_names))

    def get(self, name: str) -> str | None:
        """The header's values joined by ``,`` (how Envoy's matchers read a repeated header), or None."""
        values = self.values(name)
        return ",".join(values) if values else None

    def values(self, name: str) -> list[str]:
        """Every value of ``name``, in order."""
        key = name.lower()
        return [v for k, v in self.entries if k == key]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and any(k == name.lower() for k, _ in self.entries)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.entries)

    def remove(self, name: str) -> None:
        """Drop every entry of ``name``."""
        key = name.lower()
        self.entries = [(k, v) for k, v in self.entries if k != key]
        self.unknown_names.discard(key)

    def add(self, name: str, value: str, unknown: bool = False) -> None:
        """Append an entry."""
        self.entries.append((name.lower(), value))
        if unknown:
            self.unknown_names.add(name.lower())

    def set(self, name: str, value: str, unknown: bool = False) -> None:
        """Replace every entry of ``name`` with one (kept at the first entry's place, else appended)."""
        key = name.lower()
        at = next((i for i, (k, _) in enumerate(self.entries) if k == key), None)
        self.entries = [(k, v) for k, v in self.entries if k != key]
        self.unknown_names.discard(key)
        self.entries.insert(len(self.entries) if at is None else at, (key, value))
        if unknown:
            self.unknown_names.add(key)

    def unknown(self, name: str) -> bool:
        """Whether ``name``'s value could not be computed offline."""
        return name.lower() in self.unknown_names

    def as_dict(self) -> dict[str, str]:
        """Name -> joined value (repeated headers joined by ``,``), in first-seen order."""
        out: dict[str, str] = {}
        for k, _ in self.entries:
            if k not in out:
                out[k] = self.get(k) or ""
        return out


@dataclass(frozen=True)
class FormatContext:
    """What header formatters may refer to: the request (for ``%REQ(...)%``) and the connection."""

    request: HeaderMap | None = None
    protocol: str | None = "HTTP/1.1"
    downstream_remote: str | None = None  # ip:port
    downstream_local: str | None = None  # ip:port
    response: HeaderMap | None = None


def _without_port(address: str | None) -> str | None:
    if address is None:
        return None
    if address.startswith("["):
        return address[1:address.find("]")]
    return address.rsplit(":", 1)[0] if address.count(":") == 1 else address


def _command(name: str, arg: str | None, ctx: FormatContext) -> str | None:
    """One formatter command's value; None when meshlens cannot resolve it offline."""
    if name in ("REQ", "RESP") and arg:
        source = ctx.request if name == "REQ" else ctx.response
        if source is None:
            return None
        header, _, alternative = arg.partition("?")
        value = source.get(header.strip())
        if value is None and alternative:
            value = source.get(alternative.strip())
        return value or ""  # a missing header formats as empty (so the header is not added)
    simple = {
        "PROTOCOL": ctx.protocol,
        "DOWNSTREAM_REMOTE_ADDRESS": ctx.downstream_remote,
        "DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT": _without_port(ctx.downstream_remote),
        "DOWNSTREAM_DIRECT_REMOTE_ADDRESS": ctx.downstream_remote,
        "DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT": _without_port(ctx.downstream_remote),
        "DOWNSTREAM_LOCAL_ADDRESS": ctx.downstream_local,
        "DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT": _without_port(ctx.downstream_local),
    }
    return simple.get(name)


def format_value(template: str, ctx: FormatContext) -> tuple[str, bool]:
    """``template`` with its ``%...%`` formatters resolved; the flag says whether all could be."""
    known = True

    def sub(m: re.Match[str]) -> str:
        nonlocal known
        value = _command(m.group(1), m.group(2), ctx)
        if value is None:
            known = False
            return m.group(0)
        return value

    out: list[str] = []
    for i, part in enumerate(template.split("%%")):  # "%%" is a literal percent sign
        if i:
            out.append("%")
        out.append(_FORMATTER.sub(sub, part))
    return "".join(out), known


def _option_value(option: HeaderValueOption) -> str:
    if option.header.raw_value is not None and not option.header.value:
        try:
            return base64.b64decode(option.header.raw_value).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            return option.header.raw_value
    return option.header.value


def apply_mutations(headers: HeaderMap, to_add: Iterable[HeaderValueOption], to_remove: Iterable[str],
                    ctx: FormatContext) -> list[str]:
    """Apply one level's removals then additions to ``headers`` in place; returns what was done."""
    done: list[str] = []
    for name in to_remove:
        if name.lower() in headers:
            headers.remove(name)
            done.append(f"removed {name.lower()}")
    for option in to_add:
        name = option.header.key.lower()
        if not name:
            continue
        value, known = format_value(_option_value(option), ctx)
        if not value and known and not option.keep_empty_value:
            continue
        action = option.action
        present = name in headers
        if action == "ADD_IF_ABSENT" and present:
            continue
        if action == "OVERWRITE_IF_EXISTS" and not present:
            continue
        if action in ("OVERWRITE_IF_EXISTS_OR_ADD", "OVERWRITE_IF_EXISTS"):
            headers.set(name, value, unknown=not known)
        else:
            headers.add(name, value, unknown=not known)
        done.append(f"{name}: {value}" + ("" if known else " (value not computable offline)"))
    return done


def mutation_levels(config: RouteConfiguration | None, *levels: HeaderMutations | None) -> list[HeaderMutations]:
    """The levels whose mutations apply, in Envoy's order: ``levels`` (most specific first: weighted
    cluster, route, virtual host) then the route configuration; reversed under
    ``most_specific_header_mutations_wins``.
    """
    out = [lv for lv in (*levels, config) if lv is not None]
    if config is not None and config.most_specific_header_mutations_wins:
        out.reverse()
    return out
