"""Diff two captures of one proxy by resource identity: istiod-intended vs proxy-loaded, or before vs after.

Resources are matched by xDS type and name, never by position. Before comparing, both sides are
brought to one canonical form: Envoy's snake_case spelling (camelCase dumps are converted on load),
lists whose order Envoy ignores sorted (domains, endpoints, prefix ranges...), virtual hosts keyed
by name, fields Envoy adds or rewrites by itself dropped (see :data:`ENVOY_ADDED`). Lists whose order
matters (filter chains, routes, HTTP filters) stay ordered; a pure reordering is reported as one
``reordered`` change. deepdiff (used here and nowhere else) finds the field changes.

Most resources of two captures are equal: the diff's own comparison runs first, at C speed — pairs
matched by identity whose raw dicts are ``==`` are done before any canonical form is built — so
only the pairs that differ are canonicalised, depth-checked and handed to deepdiff (which is
imported on the first such pair, never when nothing changed).

The loaded side's dynamic state comes first: a resource Envoy holds in ``error_state`` is
``rejected`` (with Envoy's text), one in ``warming_state`` is ``warming``, one the intended side has
and Envoy does not hold at all is ``missing``. Endpoint health that differs is runtime state, not
drift: ``?include_eds`` shows Envoy's effective health (ejected hosts UNHEALTHY, DRAINING shown as
UNHEALTHY), so it is reported apart, in ``runtime_health``.
"""

from __future__ import annotations

import copy
import re
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import orjson

from meshlens._gc import gc_held
from meshlens.analysis.drift_model import STATUS_ORDER, Change, Drift, ResourceDrift
from meshlens.errors import UsageError
from meshlens.models.base import MAX_DEPTH, too_deep
from meshlens.models.envoy.resources import Resource
from meshlens.models.redaction import redact_at, redact_text
from meshlens.models.snapshot import EnvoyProxy, Snapshot

if TYPE_CHECKING:
    from meshlens.models.ztunnel import Ztunnel

TYPES = {"CDS": ("clusters", "clusters"), "LDS": ("listeners", "listeners"), "RDS": ("route_configs", "routes"),
         "EDS": ("endpoints", "endpoints"), "SDS": ("secrets", "secrets"), "ECDS": ("ecds", "ecds")}
# Lists whose order Envoy does not use: compared as sets.
ORDER_INSENSITIVE = frozenset({
    "domains", "lb_endpoints", "prefix_ranges", "source_prefix_ranges", "direct_source_prefix_ranges",
    "server_names", "application_protocols", "source_ports", "subset_selectors", "keys", "services",
    "match_subject_alt_names", "health_checks", "retry_on", "endpoints",
})
# Lists of named items whose order Envoy does not use: keyed by name.
KEYED = {"virtual_hosts": "name", "clusters": "name"}
# Lists whose order Envoy uses: a permutation is reported as "reordered".
ORDERED = frozenset({"filter_chains", "routes", "http_filters", "listener_filters", "transport_socket_matches",
                     "filters", "alpn_protocols"})
# Fields a private key hides, and fields Envoy fills in or rewrites on its side of an EDS dump.
REDACTED = frozenset({"private_key"})
ENVOY_ADDED: dict[str, Any] = {"health_check_config": {}, "locality": {}}
_IDENT = re.compile(r"^[A-Za-z_@][\w@]*$")


def _proxy(value: Any, side: str) -> EnvoyProxy:
    if isinstance(value, EnvoyProxy):
        return value
    from meshlens.sources.coerce import as_snapshot

    value = as_snapshot(value)
    if len(value.proxies) != 1:
        raise UsageError(f"the {side} capture holds {len(value.proxies)} Envoy proxies; diff takes one proxy each side")
    return value.proxies[0]


def _sort_key(item: Any) -> bytes:
    return orjson.dumps(item, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


def canonical(obj: Any, key: str | None = None) -> Any:
    """The canonical form of a resource (or part of one) for comparison."""
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if k in REDACTED:
                continue
            if k in ENVOY_ADDED and v == ENVOY_ADDED[k]:
                continue
            out[k] = canonical(v, k)
        return out
    if isinstance(obj, list):
        items = [canonical(v, key) for v in obj]
        if key in KEYED and items and all(isinstance(i, dict) and i.get(KEYED[key]) for i in items):
            names = [i[KEYED[key]] for i in items]
            if len(set(names)) == len(names):
                return {"<by name>": {i[KEYED[key]]: i for i in items}}
        if key in ORDER_INSENSITIVE:
            return sorted(items, key=_sort_key)
        return items
    return obj


def _keyed(items: list[Any], key: str | None) -> dict[str, Any] | None:
    """``{name: item}`` when ``key`` names a KEYED list whose items all carry unique names, else None."""
    if key not in KEYED or not items or not all(isinstance(i, dict) and i.get(KEYED[key]) for i in items):
        return None
    by_name = {i[KEYED[key]]: i for i in items}
    return by_name if len(by_name) == len(items) else None


def _fields(obj: dict[Any, Any]) -> dict[Any, Any]:
    """The fields of ``obj`` :func:`canonical` keeps (no private keys, no empty fields Envoy adds itself)."""
    return {k: v for k, v in obj.items() if k not in REDACTED and not (k in ENVOY_ADDED and v == ENVOY_ADDED[k])}


def canonical_pair(a: Any, b: Any, key: str | None = None) -> tuple[Any, Any]:
    """The canonical forms of two values, without the parts whose captured (raw) values are equal.

    Raw-equal subtrees have equal canonical forms, so they are dropped with a C-speed ``==`` before
    any canonical form is built: what remains is what :func:`compare` would keep after pruning
    (parts that differ raw but agree once canonical, e.g. reordered domains, remain here and are
    pruned by :func:`compare`), while an unchanged virtual host of a large route configuration is
    never walked.
    """
    if isinstance(a, dict) and isinstance(b, dict):
        return _pair_maps(_fields(a), _fields(b), None)
    if isinstance(a, list) and isinstance(b, list):
        ka, kb = _keyed(a, key), _keyed(b, key)
        if ka is not None and kb is not None:
            na, nb = _pair_maps(ka, kb, key)
            return {"<by name>": na}, {"<by name>": nb}
    return canonical(a, key), canonical(b, key)


def _pair_maps(a: dict[Any, Any], b: dict[Any, Any], key: str | None) -> tuple[dict[Any, Any], dict[Any, Any]]:
    """:func:`canonical_pair` over the entries of two maps (fields, or named items of a list ``key``)."""
    pa: dict[Any, Any] = {}
    pb: dict[Any, Any] = {}
    for k in [*a, *(k for k in b if k not in a)]:
        child = k if key is None else key  # a field's own name, or the list the named items sit in
        if k in a and k in b:
            if a[k] != b[k]:
                pa[k], pb[k] = canonical_pair(a[k], b[k], child)
        elif k in a:
            pa[k] = canonical(a[k], child)
        else:
            pb[k] = canonical(b[k], child)
    return pa, pb


def _eds_canonical(raw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """An assignment without health statuses (returned apart) and without Envoy's own additions."""
    data = copy.deepcopy(raw)
    health: dict[str, str] = {}
    policy = data.get("policy")
    if isinstance(policy, dict) and policy.get("overprovisioning_factor") == 140:  # Envoy's default, always shown
        policy.pop("overprovisioning_factor")
        if not policy:
            data.pop("policy")
    for locality in data.get("endpoints") or ():
        locality.pop("load_balancing_weight", None)  # Envoy reports its own effective locality weight
        for lb in locality.get("lb_endpoints") or ():
            sa = ((lb.get("endpoint") or {}).get("address") or {}).get("socket_address") or {}
            health[f"{sa.get('address', '')}:{sa.get('port_value', '')}"] = str(lb.pop("health_status", "UNKNOWN"))
    return canonical(data), health


def _format_path(parts: list[Any]) -> str:
    out = "$"
    keyed = False
    for part in parts:
        if part == "<by name>":
            keyed = True  # the next part is an item's name, not a field
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and _IDENT.match(part) and not keyed:
            out += f".{part}"
        else:
            out += f"[{part!r}]"
        keyed = False
    return out


def _label(item: Any, index: int) -> str:
    if isinstance(item, dict):
        return str(item.get("name") or (item.get("match") or {}).get("prefix") or index)
    return str(index)


def _reorders(a: Any, b: Any, path: list[Any], key: str | None, out: list[Change]) -> Any:
    """Find permuted ORDERED lists; returns ``b`` with them put back in ``a``'s order."""
    if isinstance(a, dict) and isinstance(b, dict):
        return {k: (_reorders(a[k], v, [*path, k], k, out) if k in a else v) for k, v in b.items()}
    if isinstance(a, list) and isinstance(b, list):
        if key in ORDERED and len(a) == len(b) and a != b:
            ka, kb = [_sort_key(x) for x in a], [_sort_key(x) for x in b]
            if sorted(ka) == sorted(kb):
                out.append(Change(path=_format_path(path), kind="reordered",
                                  intended=[_label(x, i) for i, x in enumerate(a)],
                                  loaded=[_label(x, i) for i, x in enumerate(b)]))
                return a
        if len(a) == len(b):
            return [_reorders(x, y, [*path, i], key, out) for i, (x, y) in enumerate(zip(a, b, strict=True))]
    return b


def _prune(a: Any, b: Any) -> tuple[Any, Any]:
    """Drop equal subtrees of two dicts (keeping paths intact) so deepdiff only walks what differs."""
    if isinstance(a, dict) and isinstance(b, dict):
        pa, pb = {}, {}
        for k in a.keys() | b.keys():
            if k in a and k in b:
                if a[k] == b[k]:
                    continue
                pa[k], pb[k] = _prune(a[k], b[k])
            elif k in a:
                pa[k] = a[k]
            else:
                pb[k] = b[k]
        return pa, pb
    return a, b


def _same_item(x: Any, y: Any, level: Any = None) -> bool:
    """Items of ordered lists are the same item when their names are equal (an inserted route is an
    insertion, not a cascade of changes to every route after it).
    """
    if isinstance(x, dict) and isinstance(y, dict) and x.get("name") and y.get("name"):
        return bool(x["name"] == y["name"])
    from deepdiff.helper import CannotCompare

    raise CannotCompare() from None


def compare(intended: Any, loaded: Any) -> list[Change]:
    """Field-level changes between two canonical resources (deepdiff walks only what is not ``==``)."""
    changes: list[Change] = []
    loaded = _reorders(intended, loaded, [], None, changes)
    if intended == loaded:
        return changes
    intended, loaded = _prune(intended, loaded)
    return sorted([*changes, *_field_changes(intended, loaded)], key=lambda c: c.path)


def _field_changes(intended: Any, loaded: Any) -> list[Change]:
    """deepdiff's field changes between two (pruned, canonical) values that differ."""
    from deepdiff import DeepDiff  # 0.5 s of imports: paid only when some resource changed

    changes: list[Change] = []
    tree = DeepDiff(intended, loaded, view="tree", verbose_level=2, iterable_compare_func=_same_item)
    kinds = {"values_changed": "changed", "type_changes": "changed", "dictionary_item_added": "added",
             "dictionary_item_removed": "removed", "iterable_item_added": "added",
             "iterable_item_removed": "removed"}
    for report, kind in kinds.items():
        for level in tree.get(report, []):
            path = _format_path(level.path(output_format="list"))
            t1 = None if kind == "added" else level.t1
            t2 = None if kind == "removed" else level.t2
            changes.append(Change(path=path, intended=t1, loaded=t2, kind=kind))
    return changes


def _by_name(resources: list[Resource[Any]], dynamic_only: bool) -> dict[str, Resource[Any]]:
    out: dict[str, Resource[Any]] = {}
    for res in resources:
        if dynamic_only and res.state == "static":
            continue
        if res.name:
            out.setdefault(res.name, res)
    return out


def _pending_update(serving: Resource[Any], warming: Resource[Any] | None) -> dict[str, Any] | None:
    """The new version of a resource Envoy is still warming while the old one serves, if any."""
    if serving.state == "warming":
        return None
    if warming is not None and warming is not serving:
        return warming.raw
    pending = serving.other_states.get("warming")  # a listener's warming_state beside its active_state
    if isinstance(pending, dict) and isinstance(pending.get("listener"), dict):
        return pending["listener"]
    return None


def _eds_names(proxy: EnvoyProxy) -> set[str]:
    """Assignment names that come from EDS (Envoy lists an empty one for every other cluster too).

    Read from each cluster's raw dict, as the diff compares raw dicts: typed validation of every
    cluster would cost as much as the load, and a cluster the typed boundary refuses must not make
    its assignment silently drop out of the comparison.
    """
    names = set()
    for res in proxy.clusters:
        raw = res.raw
        if not isinstance(raw, dict) or raw.get("type") not in ("EDS", 3):  # by name or proto enum number
            continue
        eds = raw.get("eds_cluster_config")
        service = eds.get("service_name") if isinstance(eds, dict) else None
        name = service or res.name
        if isinstance(name, str) and name:
            names.add(name)
    return names


def _compare_type(xds: str, a: EnvoyProxy, b: EnvoyProxy, drift: list[ResourceDrift],
                  health: list[ResourceDrift]) -> None:
    attr, _ = TYPES[xds]
    left = _by_name(getattr(a, attr), dynamic_only=True)
    right = _by_name(getattr(b, attr), dynamic_only=True)
    warming = {r.name: r for r in getattr(b, attr) if r.state == "warming" and r.name}
    if xds == "EDS":
        eds = _eds_names(a) | _eds_names(b)
        left = {k: v for k, v in left.items() if k in eds}
        right = {k: v for k, v in right.items() if k in eds}
    for name in sorted(set(left) | set(right)):
        ra, rb = left.get(name), right.get(name)
        if rb is None:
            drift.append(ResourceDrift(type=xds, name=name, status="missing"))
            continue
        if ra is None:
            status = {"rejected": "rejected", "warming": "warming"}.get(rb.state, "added")
            drift.append(ResourceDrift(type=xds, name=name, status=status,
                                       details=rb.error.details if rb.error else None))
            continue
        pending = _pending_update(rb, warming.get(name))
        if pending is None and _unchanged(ra, rb):
            continue  # equal as captured: nothing to canonicalise, walk or hand to deepdiff
        refusal = _uncomparable(ra, rb)
        if refusal is not None:  # reported, never taken as a match
            drift.append(ResourceDrift(type=xds, name=name, status="changed", details=f"not compared: {refusal}"))
            continue
        if pending is not None and canonical(pending) == canonical(ra.raw):
            # Envoy holds the intended version but has not finished warming it; the old one serves.
            drift.append(ResourceDrift(type=xds, name=name, status="warming",
                                       details="the intended version is warming; the previous one still serves"))
            continue
        try:
            _compare_pair(xds, name, ra, rb, drift, health)
        except (AttributeError, TypeError, ValueError, KeyError, IndexError) as exc:
            drift.append(ResourceDrift(type=xds, name=name, status="changed",
                                       details=f"not compared: malformed resource ({type(exc).__name__}: {exc})"))


def _unchanged(ra: Resource[Any], rb: Resource[Any]) -> bool:
    """The pair is equal as captured, within the depth bound, and Envoy serves it (the common case).

    One C-speed ``==`` under :func:`_depth_bounded`: two equal trees nested beyond the bound are
    not "unchanged" (they are refused, as every walk refuses them: :func:`_uncomparable` says why).
    """
    if rb.state != "active" or rb.error is not None:
        return False
    if not _DEPTH_BOUNDED_EQ:  # this Python does not bound ``==`` by the recursion limit: walk first
        if too_deep(rb.raw) is not None:
            return False
        return bool(ra.raw == rb.raw)
    try:
        with _depth_bounded():
            return bool(ra.raw == rb.raw)
    except RecursionError:  # nested near or beyond MAX_DEPTH: the exact walk decides
        return False


def _frames() -> int:
    frame, count = sys._getframe(), 0
    while frame is not None:
        frame, count = frame.f_back, count + 1  # type: ignore[assignment]
    return count


@contextmanager
def _depth_bounded() -> Iterator[None]:
    """Inside: comparing containers nested deeper than ``MAX_DEPTH - 10`` levels raises RecursionError.

    CPython (up to 3.11) counts each nested container ``==`` enters against the recursion limit,
    together with the Python frames already on the stack (at least :func:`_frames`): a limit of
    frames + ``MAX_DEPTH - 10`` makes ``==`` itself the depth check, never a looser one.
    """
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(_frames() + MAX_DEPTH - 10)
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def _bounds_eq() -> bool:
    """Whether :func:`_depth_bounded` really bounds ``==`` on this Python (checked once, at import)."""
    one: list[Any] = []
    other: list[Any] = []
    for _ in range(MAX_DEPTH + 1):
        one, other = [one], [other]
    try:
        with _depth_bounded():
            equal = one == other
    except RecursionError:
        return True
    return not equal  # reaching the end (equal) means ``==`` is not bounded here


_DEPTH_BOUNDED_EQ = _bounds_eq()


def _uncomparable(ra: Resource[Any], rb: Resource[Any]) -> str | None:
    """Why a pair cannot be compared (nesting beyond what the walks below may recurse into), if so."""
    for side, res in (("intended", ra), ("loaded", rb)):
        deep = too_deep(res.raw)
        if deep is not None:
            return f"the {side} resource is nested deeper than {MAX_DEPTH} levels (at {res.json_path}{deep})"
    return None


def _compare_pair(xds: str, name: str, ra: Resource[Any], rb: Resource[Any], drift: list[ResourceDrift],
                  health: list[ResourceDrift]) -> None:
    if xds == "EDS":
        ca, ha = _eds_canonical(ra.raw)
        cb, hb = _eds_canonical(rb.raw)
        moved = [Change(path=f"$.lb_endpoints[{addr!r}].health_status", intended=ha.get(addr),
                        loaded=hb.get(addr), kind="health")
                 for addr in sorted(set(ha) & set(hb)) if ha[addr] != hb[addr]]
        if moved:
            health.append(ResourceDrift(type=xds, name=name, status="changed", changes=moved, runtime_only=True))
    else:
        ca, cb = canonical_pair(ra.raw, rb.raw)
    changes = compare(ca, cb)
    if rb.state == "rejected" or rb.error is not None:
        drift.append(ResourceDrift(type=xds, name=name, status="rejected", changes=changes,
                                   details=rb.error.details if rb.error else None))
    elif rb.state == "warming":
        drift.append(ResourceDrift(type=xds, name=name, status="warming", changes=changes))
    elif changes:
        drift.append(ResourceDrift(type=xds, name=name, status="changed", changes=changes))


_DIGITS = re.compile(r"\d+")


def _pair_renames(xds: str, a: EnvoyProxy, b: EnvoyProxy, found: list[ResourceDrift]) -> list[ResourceDrift]:
    """A resource missing on one side and one added on the other whose names differ only in numbers
    (``…|9080|…`` → ``…|9999|…``) are most likely one resource renamed: compare their contents too.
    """
    def unique(status: str) -> dict[str, ResourceDrift]:
        keyed = [(_DIGITS.sub("#", r.name), r) for r in found if r.status == status]
        counts = Counter(key for key, _ in keyed)
        return {key: r for key, r in keyed if counts[key] == 1}

    missing, added = unique("missing"), unique("added")
    pairs = {key: (missing[key], added[key]) for key in set(missing) & set(added)}
    if not pairs:
        return found
    attr = TYPES[xds][0]
    left, right = _by_name(getattr(a, attr), True), _by_name(getattr(b, attr), True)
    out = []
    for r in found:
        key = _DIGITS.sub("#", r.name)
        if key not in pairs or r.status not in ("missing", "added"):
            out.append(r)
            continue
        old, new = pairs[key]
        if r is old:
            out.append(r.model_copy(update={"counterpart": new.name}))
        elif r is new:
            changes = compare(canonical(left[old.name].raw), canonical(right[new.name].raw))
            out.append(r.model_copy(update={"counterpart": old.name, "changes": changes}))
        else:
            out.append(r)
    return out


def _redacted(resources: list[ResourceDrift], show_secrets: bool) -> list[ResourceDrift]:
    """The drift with private key material in its changed values shown as Envoy's ``[redacted]``."""
    if show_secrets:
        return resources
    out = []
    for r in resources:
        changes = [c.model_copy(update={"intended": redact_at(c.path, c.intended),
                                        "loaded": redact_at(c.path, c.loaded)}) for c in r.changes]
        details = redact_text(r.details) if r.details else r.details
        out.append(r.model_copy(update={"changes": changes, "details": details}))
    return out


def _as_ztunnel(snap: Snapshot) -> Ztunnel | None:
    """The one ztunnel of a capture that holds no Envoy proxy (istiod's ztunnel view, a ztunnel dump)."""
    if snap.proxies or not snap.ztunnels:
        return None
    if len(snap.ztunnels) != 1:
        raise UsageError(f"a capture holds {len(snap.ztunnels)} ztunnels; diff takes one ztunnel each side")
    return snap.ztunnels[0]


def pick_proxy(source: Any, proxy: str | None) -> Any:
    """``source`` itself, or with ``proxy`` given and several proxies in it, the one named so (node id,
    ``pod.namespace`` or pod), so that one proxy of an archive can be compared.
    """
    if proxy is None or isinstance(source, EnvoyProxy):
        return source
    from meshlens.sources.coerce import as_snapshot

    snapshot = as_snapshot(source)
    return snapshot.proxy(proxy) if len(snapshot.proxies) > 1 else snapshot


def diff(intended: Any, loaded: Any, *, show_secrets: bool = False, proxy: str | None = None) -> Drift:
    """Compare two captures of one proxy by resource identity.

    Args:
        intended: what should be there (istiod's ``/debug/config_dump?proxyID=``), or the earlier
            capture; an EnvoyProxy, a one-proxy Snapshot, or anything :func:`meshlens.load` takes.
            istiod's view of a ztunnel (or a ztunnel dump) with a ztunnel dump as ``loaded`` is
            compared by :func:`meshlens.analysis.ztunnel_diff.ztunnel_diff` (types WDS, WADS).
        loaded: what Envoy holds (its ``/config_dump``), or the later capture.
        show_secrets: keep private key material in the changed values (default: ``[redacted]``).
        proxy: which proxy of a capture holding several (an archive), on either side.
    """
    # One bulk step of acyclic data (two loads, typed validation, the comparison): the cyclic
    # collector is held throughout and settles once, not after each load and each validation.
    with gc_held():
        return _diff(intended, loaded, show_secrets=show_secrets, proxy=proxy)


def _diff(intended: Any, loaded: Any, *, show_secrets: bool, proxy: str | None) -> Drift:
    from meshlens.sources.coerce import as_snapshot

    intended, loaded = pick_proxy(intended, proxy), pick_proxy(loaded, proxy)

    sides = [v if isinstance(v, EnvoyProxy) else as_snapshot(v) for v in (intended, loaded)]
    zs = [_as_ztunnel(v) if isinstance(v, Snapshot) else None for v in sides]
    if zs[0] is not None and zs[1] is not None:
        from meshlens.analysis.ztunnel_diff import ztunnel_diff

        drift = ztunnel_diff(zs[0], zs[1])
        return drift.model_copy(update={"resources": _redacted(drift.resources, show_secrets)})
    return _diff_proxies(_proxy(sides[0], "intended"), _proxy(sides[1], "loaded"), show_secrets)


def _diff_proxies(a: EnvoyProxy, b: EnvoyProxy, show_secrets: bool) -> Drift:
    """The drift of two proxies, per xDS type."""
    summary: dict[str, str] = {}
    notes: dict[str, str] = {}
    resources: list[ResourceDrift] = []
    health: list[ResourceDrift] = []
    for xds, (attr, section) in TYPES.items():
        has_a, has_b = section in a.sections, section in b.sections
        if not (has_a and has_b):
            summary[xds] = "NOT_COMPARED"
            if not (has_a or has_b):
                notes[xds] = f"neither capture has {'an' if section[:1] in 'aeiou' else 'a'} {section} section"
            else:
                notes[xds] = f"the {'intended' if not has_a else 'loaded'} capture has no {section} section"
            continue
        count_a = sum(1 for r in getattr(a, attr) if r.state != "static")
        count_b = sum(1 for r in getattr(b, attr) if r.state != "static")
        if xds in ("SDS", "ECDS") and count_a == 0 and count_b > 0:
            summary[xds] = "NOT_COMPARED"
            notes[xds] = (f"the intended capture lists no {xds} resources while the proxy holds {count_b} "
                          f"(istiod serves no {'workload certificates: istio-agent does' if xds == 'SDS' else 'ECDS'}"
                          " here)")
            continue
        found: list[ResourceDrift] = []
        _compare_type(xds, a, b, found, health)
        found = _pair_renames(xds, a, b, found)
        summary[xds] = "DRIFTED" if found else "SYNCED"
        resources.extend(found)
    resources.sort(key=lambda r: (STATUS_ORDER.index(r.status), list(TYPES).index(r.type), r.name))
    resources = _redacted(resources, show_secrets)
    return Drift(summary=summary, resources=resources, runtime_health=health, notes=notes,
                 intended=a.config_dump_location.file or "" if a.config_dump_location else "",
                 loaded=b.config_dump_location.file or "" if b.config_dump_location else "")
