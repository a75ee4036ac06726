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
from datetime import datetime
from typing import Any

from meshlens.analysis.diff import _proxy
from meshlens.encoding.gojson import jsonpb_indent
from meshlens.encoding.proto_order import ProtoOrderer
from meshlens.models.certs import parse_time
from meshlens.models.redaction import redact_tree
from meshlens.models.snapshot import EnvoyProxy

CONTEXT = 7
_DUMP_TYPE = "envoy.admin.v3.{}ConfigDump"


def jsonpb(obj: Any, type_name: str, orderer: ProtoOrderer | None = None) -> str:
    """``obj`` (a JSON tree of message ``type_name``) as Go's jsonpb marshaler with a 4-space indent
    writes it; what ``orderer`` could not place is in its ``notes``."""
    return jsonpb_indent((orderer or ProtoOrderer()).tree(obj, type_name), "    ")


def _clusters(proxy: EnvoyProxy) -> dict[str, Any]:
    active = sorted((c for c in proxy.clusters if c.state == "active"), key=lambda c: c.name)
    entries = []
    for c in active:
        entry: dict[str, Any] = {"cluster": c.raw}
        if c.error is not None:
            entry["error_state"] = {"details": c.error.details}
        entries.append(entry)
    return {"dynamic_active_clusters": entries}


def _listeners(proxy: EnvoyProxy) -> dict[str, Any]:
    active = sorted((r for r in proxy.listeners if r.state == "active"), key=lambda r: r.name)
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
    dynamic = sorted((r for r in proxy.route_configs if r.state == "active"), key=lambda r: r.name)
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


def _section(title: str, istiod: dict[str, Any], envoy: dict[str, Any], suffix: str = "",
             orderer: ProtoOrderer | None = None, show_secrets: bool = False) -> str:
    dump_type = _DUMP_TYPE.format(title)
    orderer = orderer or ProtoOrderer()
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
    if text:
        return f"{title} Don't Match{suffix}\n{text}\n"
    return f"{title} Match{suffix}\n"


def compare_sections(intended: Any, loaded: Any, *, show_secrets: bool = False) -> tuple[str, list[str]]:
    """The text ``istioctl proxy-status <pod>`` prints for these two captures (istiod's, Envoy's), and
    one note per type or field that could not be re-marshalled (kept in the capture's order).

    Private key material is printed as Envoy's ``[redacted]`` (as istiod and Envoy print it) unless
    ``show_secrets``; a difference only in key material is a note.
    """
    istiod, envoy = _proxy(intended, "intended"), _proxy(loaded, "loaded")
    loaded_at = _rds_loaded_at(envoy)
    suffix = f" (RDS last loaded at {loaded_at})" if loaded_at else ""
    orderer = ProtoOrderer()
    text = (_section("Clusters", _clusters(istiod), _clusters(envoy), "", orderer, show_secrets)
            + _section("Listeners", _listeners(istiod), _listeners(envoy), "", orderer, show_secrets)
            + _section("Routes", _routes(istiod), _routes(envoy), suffix, orderer, show_secrets))
    return text, orderer.notes


def istioctl_compare(intended: Any, loaded: Any, *, show_secrets: bool = False) -> str:
    """The text ``istioctl proxy-status <pod>`` prints for these two captures (istiod's, Envoy's)."""
    return compare_sections(intended, loaded, show_secrets=show_secrets)[0]
