"""What ``istioctl proxy-status <pod>`` prints when comparing istiod's view with Envoy's, offline.

istioctl compares only clusters, listeners and routes, after its own normalisation: dynamic active
clusters sorted by name; dynamic listeners that have an ``active_state`` (draining state removed,
the entry's ``name`` blanked) sorted by name; dynamic route configurations sorted by name with their
virtual hosts sorted by name; every ``version_info`` and ``last_updated`` blanked. Each side is
parsed into Envoy's typed messages and written by Go's legacy jsonpb marshaler with a 4-space indent:
fields in ``.proto`` declaration order whatever order the capture had (istiod's and Envoy's writers
differ), camelCase, default values left out, map keys and Struct contents sorted, an empty message as
``{`` newline newline ``}``, Go's escaping and numbers (:mod:`meshlens.encoding.proto_order`). The two
texts are compared as a unified diff with 7 lines of context, istiod as ``a`` and Envoy as ``b``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from meshlens._gc import gc_held
from meshlens.analysis.diff import _proxy
from meshlens.encoding.gojson import jsonpb_indent
from meshlens.encoding.proto_order import ProtoOrderer
from meshlens.models.certs import parse_time
from meshlens.models.redaction import redact_tree
from meshlens.models.result import Result
from meshlens.models.snapshot import EnvoyProxy

CONTEXT = 7
_DUMP_TYPE = "envoy.admin.v3.{}ConfigDump"


def jsonpb(obj: Any, type_name: str, orderer: ProtoOrderer | None = None) -> str:
    """``obj`` (a JSON tree of message ``type_name``) as Go's jsonpb marshaler with a 4-space indent
    writes it; what ``orderer`` could not place is in its ``notes``.
    """
    return jsonpb_indent((orderer or ProtoOrderer()).tree(obj, type_name), "    ")


def _clusters(proxy: EnvoyProxy) -> dict[str, Any]:
    active = sorted((c for c in proxy.valid_clusters if c.state == "active"), key=lambda c: c.name)
    entries = []
    for c in active:
        entry: dict[str, Any] = {"cluster": c.raw}
        if c.error is not None:
            entry["error_state"] = {"details": c.error.details}
        entries.append(entry)
    return {"dynamic_active_clusters": entries}


def _listeners(proxy: EnvoyProxy) -> dict[str, Any]:
    active = sorted((r for r in proxy.valid_listeners if r.state == "active"), key=lambda r: r.name)
    entries = []
    for r in active:
        entry: dict[str, Any] = {"active_state": {"listener": r.raw}}
        if "warming" in r.other_states:
            warming = dict(r.other_states["warming"])
            entry["warming_state"] = warming
        if r.error is not None:
            entry["error_state"] = {"failed_configuration": r.error.failed_configuration,
                                    "last_update_attempt": r.error.last_update_attempt, "details": r.error.details}
        entries.append(entry)
    return {"dynamic_listeners": entries}


def _routes(proxy: EnvoyProxy) -> dict[str, Any]:
    dynamic = sorted((r for r in proxy.valid_route_configs if r.state == "active"), key=lambda r: r.name)
    entries = []
    for r in dynamic:
        config = dict(r.raw)
        if isinstance(config.get("virtual_hosts"), list):
            config["virtual_hosts"] = sorted(config["virtual_hosts"], key=lambda vh: str(vh.get("name", "")))
        entries.append({"route_config": config})
    return {"dynamic_route_configs": entries}


def _rds_loaded_at(proxy: EnvoyProxy) -> str | None:
    stamps = [t for r in proxy.route_configs if r.state == "active" and (t := parse_time(r.last_updated))]
    if not stamps:
        return None
    latest: datetime = max(stamps).astimezone()  # istioctl prints it in the local time zone
    return latest.strftime("%a, %d %b %Y %H:%M:%S %Z")


@dataclass(frozen=True)
class SectionComparison:
    """One xDS type of istioctl's comparison: ``Clusters``, ``Listeners`` or ``Routes``.

    Attributes:
        type: the title istioctl prints (``Clusters``, ``Listeners``, ``Routes``).
        in_sync: istioctl's ``Match`` (both sides marshal to the same text).
        diff: the unified diff (istiod as ``a``, Envoy as ``b``); empty when in sync.
    """

    type: str
    in_sync: bool
    diff: str = ""

    def to_dict(self) -> dict[str, Any]:
        """``{type, in_sync, diff}``."""
        return {"type": self.type, "in_sync": self.in_sync, "diff": self.diff}


@dataclass(frozen=True)
class IstioctlComparison(Result):
    """What ``istioctl proxy-status <pod>`` compares, as a result: a flag per type, the diffs, notes.

    ``str()`` is istioctl's text (:func:`istioctl_text`); the exit decision reads :attr:`in_sync` or the
    per-type flags, never the text.
    """

    sections: tuple[SectionComparison, ...]
    rds_loaded_at: str | None = None
    notes: tuple[str, ...] = ()

    def section(self, type_: str) -> SectionComparison:
        """The comparison of one type (``Clusters``, ``Listeners``, ``Routes``; any case)."""
        for s in self.sections:
            if s.type.lower() == type_.lower():
                return s
        raise KeyError(type_)

    @property
    def clusters_in_sync(self) -> bool:
        """istioctl's ``Clusters Match``."""
        return self.section("Clusters").in_sync

    @property
    def listeners_in_sync(self) -> bool:
        """istioctl's ``Listeners Match``."""
        return self.section("Listeners").in_sync

    @property
    def routes_in_sync(self) -> bool:
        """istioctl's ``Routes Match``."""
        return self.section("Routes").in_sync

    @property
    def in_sync(self) -> bool:
        """Every type matches."""
        return all(s.in_sync for s in self.sections)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: ``in_sync``, per-type ``{type, in_sync, diff}``, ``rds_loaded_at``, ``notes``."""
        return {"in_sync": self.in_sync, "sections": [s.to_dict() for s in self.sections],
                "rds_loaded_at": self.rds_loaded_at, "notes": list(self.notes)}

    def records(self) -> list[dict[str, Any]]:
        """One row per type."""
        return [s.to_dict() for s in self.sections]

    def columns(self) -> tuple[str, ...]:
        """The frame's columns."""
        return ("type", "in_sync", "diff")

    def __str__(self) -> str:
        return istioctl_text(self)


def istioctl_text(comparison: IstioctlComparison) -> str:
    """THE text of a comparison, as ``istioctl proxy-status <pod>`` prints it."""
    out = []
    for s in comparison.sections:
        suffix = f" (RDS last loaded at {comparison.rds_loaded_at})" if s.type == "Routes" and \
            comparison.rds_loaded_at else ""
        out.append(f"{s.type} Don't Match{suffix}\n{s.diff}\n" if not s.in_sync else f"{s.type} Match{suffix}\n")
    return "".join(out)


def _section(title: str, istiod: dict[str, Any], envoy: dict[str, Any], orderer: ProtoOrderer,
             show_secrets: bool = False) -> SectionComparison:
    dump_type = _DUMP_TYPE.format(title)
    red_a, red_b = redact_tree(istiod, show_secrets=show_secrets), redact_tree(envoy, show_secrets=show_secrets)
    a, b = jsonpb(red_a, dump_type, orderer), jsonpb(red_b, dump_type, orderer)
    if a == b and (red_a is not istiod or red_b is not envoy) and \
            jsonpb(istiod, dump_type) != jsonpb(envoy, dump_type):
        orderer.notes.append(f"{title}: the two sides' private key material differs; it is printed redacted, "
                             "so the text cannot show it (--show-secrets does)")
    lines_a = (a + "\n").splitlines(keepends=True)
    lines_b = (b + "\n").splitlines(keepends=True)
    text = "".join(difflib.unified_diff(lines_a, lines_b, fromfile=f"Istiod {title}", tofile=f"Envoy {title}",
                                        n=CONTEXT))
    return SectionComparison(title, in_sync=not text, diff=text)


def compare_istioctl(intended: Any, loaded: Any, *, show_secrets: bool = False) -> IstioctlComparison:
    """Compare two captures (istiod's, Envoy's) as ``istioctl proxy-status <pod>`` does.

    Args:
        intended: istiod's ``/debug/config_dump?proxyID=`` (anything :func:`meshlens.load` takes, or
            a loaded proxy / snapshot).
        loaded: Envoy's ``/config_dump``, likewise.
        show_secrets: print private key material as captured; by default it is Envoy's
            ``[redacted]`` (as istiod and Envoy print it), and a difference only there is a note.

    Returns:
        an :class:`IstioctlComparison`: per-type in-sync flags and diffs, and one note per type or
        field that could not be re-marshalled (kept in the capture's order).
    """
    # One bulk step (two loads, typed validation, marshalling): the collector settles once at the end.
    with gc_held():
        istiod, envoy = _proxy(intended, "intended"), _proxy(loaded, "loaded")
        orderer = ProtoOrderer()
        sections = (_section("Clusters", _clusters(istiod), _clusters(envoy), orderer, show_secrets),
                    _section("Listeners", _listeners(istiod), _listeners(envoy), orderer, show_secrets),
                    _section("Routes", _routes(istiod), _routes(envoy), orderer, show_secrets))
    return IstioctlComparison(sections=sections, rds_loaded_at=_rds_loaded_at(envoy), notes=tuple(orderer.notes))


def compare_sections(intended: Any, loaded: Any, *, show_secrets: bool = False) -> tuple[str, list[str]]:
    """istioctl's text for these two captures, and the notes (see :func:`compare_istioctl`)."""
    comparison = compare_istioctl(intended, loaded, show_secrets=show_secrets)
    return str(comparison), list(comparison.notes)


def istioctl_compare(intended: Any, loaded: Any, *, show_secrets: bool = False) -> str:
    """The text ``istioctl proxy-status <pod>`` prints for these two captures (istiod's, Envoy's)."""
    return str(compare_istioctl(intended, loaded, show_secrets=show_secrets))
