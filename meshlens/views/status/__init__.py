"""``istioctl proxy-status`` (mesh-wide) from a captured syncz, byte for byte, plus typed rows.

Three layouts, as istioctl prints them (Go tabwriter, padding 5, rows sorted by proxy id):

* default (istioctl >= 1.27): ``NAME  CLUSTER  ISTIOD  VERSION  SUBSCRIBED TYPES``, where SUBSCRIBED
  TYPES is ``0`` or ``N (CDS,LDS,EDS,RDS,…)``: the types whose status is not IGNORED, CDS, LDS, EDS,
  RDS first and then the others by type URL;
* ``verbosity >= 1`` (``-v 1``): ``NAME  CLUSTER  <type>…  ISTIOD  VERSION`` with one column per type
  seen in any listed proxy plus CDS, LDS, EDS, RDS, ECDS, sorted by type URL (so ``CDS ECDS EDS LDS
  RDS …``); a type a proxy does not report is ``IGNORED``;
* ``legacy=True`` (istioctl <= 1.26): ``NAME  CLUSTER  CDS  LDS  EDS  RDS  ECDS  ISTIOD  VERSION``.

A status cell is ``IGNORED`` (never subscribed, or ``UNKNOWN``), ``NOT SENT``, or ``SYNCED``/``STALE``/
``ERROR`` followed by `` (<age>)`` when istiod stamped the type (XDS ``lastUpdated``; the HTTP form's
``sentTime`` plays that part). The age is ``now - stamp`` in k8s ``HumanDuration`` form (``45s``,
``3m2s``, ``62m``, ``5h10m``, ``2d3h``), which is what istioctl uses. NAME is the node id as istiod
reports it (``pod.namespace``), ISTIOD the istiod that reported the proxy, VERSION its ``ISTIO_VERSION``.

Both syncz forms give the same table: the HTTP ``/debug/syncz`` rows are statuses derived with
istiod's own rule (a NACK error first, then the nonces). ``Table.raw`` holds what ``-o json|yaml``
print (see ``_response``); :func:`render` writes any of the three outputs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from meshlens.encoding.gojson import jsonpb_indent
from meshlens.encoding.goyaml import go_yaml
from meshlens.errors import UnsupportedDumpError, UsageError
from meshlens.models.istiod import CDS, ECDS, EDS, LDS, RDS, IstiodState, ProxySync, SyncStatus, short_type
from meshlens.sources.syncz import KIND as SYNCZ_KIND
from meshlens.views.base import Table
from meshlens.views.status import _response
from meshlens.views.status._time import human_duration, parse_rfc3339_ns, to_ns

PADDING = 5
LEGACY_TYPES: tuple[str, ...] = (CDS, LDS, EDS, RDS, ECDS)  # also the types -v 1 always shows
OUTPUTS = ("table", "json", "yaml")
_AGED = (SyncStatus.SYNCED, SyncStatus.STALE, SyncStatus.ERROR)


class ProxyStatusRow(BaseModel):
    """One proxy as one istiod reports it (one printed row).

    ``statuses``, ``last_updated`` and ``errors`` are keyed by type URL; ``subscribed`` lists the
    short names of the non-IGNORED types in istioctl's order.
    """

    model_config = ConfigDict(frozen=True)

    name: str
    cluster: str
    istiod: str
    version: str
    namespace: str | None = None
    cds: SyncStatus
    lds: SyncStatus
    eds: SyncStatus
    rds: SyncStatus
    ecds: SyncStatus
    subscribed: list[str]
    statuses: dict[str, SyncStatus]
    last_updated: dict[str, datetime] = {}
    errors: dict[str, str] = {}
    form: str = "xds"


def _istiod_state(source: Any) -> tuple[IstiodState, int | None, str | None]:
    """(istiod state, capture time in epoch ns or None, origin) of a Snapshot, an IstiodState, or
    anything :func:`meshlens.load` takes.
    """
    if isinstance(source, IstiodState):
        return source, None, None
    import os

    from meshlens.sources.coerce import as_snapshot

    if isinstance(source, (str, os.PathLike)) and os.fspath(source) != "-":
        from meshlens.sources import load

        # Only syncz members are parsed: an archive without one is refused before the rest is loaded.
        source = load(source, only=(SYNCZ_KIND,))
    else:
        source = as_snapshot(source)
    state = source.istiod
    origin = source.origin or None
    if state is None or not (state.sync or state.control_planes):
        raise UnsupportedDumpError(
            f"no istiod sync status here (the input is {source.kind}); proxy-status reads "
            "`istioctl proxy-status -o json|yaml` output, istiod's /debug/syncz, or a bug-report archive",
            file=origin)
    stamps = [s.mtime for s in source.sources if s.kind == SYNCZ_KIND and s.mtime is not None]
    if stamps:
        return state, int(round(max(stamps) * 1e9)), origin
    return state, (to_ns(source.captured_at) if source.captured_at else None), origin


def resolve_now(now: datetime | str | None, captured_ns: int | None) -> int:
    """The instant ages are measured at, in epoch ns: ``now`` (datetime or RFC 3339 text), else the
    capture time, else the wall clock.

    Raises:
        UsageError: ``now`` is text that is not an RFC 3339 time.
    """
    if isinstance(now, datetime):
        return to_ns(now)
    if isinstance(now, str):
        parsed = parse_rfc3339_ns(now)
        if parsed is None:
            raise UsageError(f"--now {now!r} is not an RFC 3339 time (e.g. 2026-11-22T13:32:00Z)")
        return parsed
    if captured_ns is not None:
        return captured_ns
    from time import time_ns

    return time_ns()


def status_text(row: ProxySync, type_url: str, now_ns: int) -> str:
    """One status cell, as istioctl's ``formatStatus`` prints it (``IGNORED`` when not reported)."""
    entry = row.types.get(type_url)
    if entry is None or entry.status is SyncStatus.IGNORED:
        return "IGNORED"
    if entry.status is SyncStatus.NOT_SENT:
        return "NOT SENT"
    text = entry.status.value
    if entry.status in _AGED and entry.time is not None:
        text += f" ({human_duration(now_ns - to_ns(entry.time))})"
    return text


def _subscribed(row: ProxySync) -> list[str]:
    return [t.short_name for t in row.subscribed_types()]


def subscribed_text(row: ProxySync) -> str:
    """The SUBSCRIBED TYPES cell: ``0`` or ``N (CDS,LDS,…)``."""
    names = _subscribed(row)
    return f"{len(names)} ({','.join(names)})" if names else "0"


def _typed_row(row: ProxySync) -> ProxyStatusRow:
    return ProxyStatusRow(
        name=row.proxy, cluster=row.cluster_id or "", istiod=row.istiod or "", version=row.istio_version or "",
        namespace=row.namespace, cds=row.cds, lds=row.lds, eds=row.eds, rds=row.rds, ecds=row.ecds,
        subscribed=_subscribed(row), statuses={url: t.status for url, t in row.types.items()},
        last_updated={url: t.time for url, t in row.types.items() if t.time is not None},
        errors={url: t.last_error for url, t in row.types.items() if t.last_error}, form=row.form,
    )


def verbose_types(rows: list[ProxySync]) -> list[str]:
    """``-v 1`` columns: every type any row reports, plus CDS, LDS, EDS, RDS, ECDS, by type URL."""
    return sorted({url for row in rows for url in row.types} | set(LEGACY_TYPES))


def proxy_status(source: Any, *, verbosity: int = 0, legacy: bool = False, namespace: str | None = None,
                 now: datetime | str | None = None) -> Table:
    """istioctl's mesh-wide ``proxy-status`` table of a captured syncz.

    Args:
        source: a :class:`~meshlens.Snapshot`, an :class:`~meshlens.models.istiod.IstiodState`, or
            anything :func:`meshlens.load` takes (path, archive, bytes, dict, ``"-"``).
        verbosity: ``>= 1`` gives the per-type table (``istioctl proxy-status -v 1``).
        legacy: the istioctl <= 1.26 column layout (``NAME CLUSTER CDS LDS EDS RDS ECDS ISTIOD VERSION``).
        namespace: only proxies whose node metadata ``NAMESPACE`` is this (``-n``).
        now: the instant ages are measured at (datetime or RFC 3339); default: the capture time
            (the syncz file's time in an archive or folder) when known, else the wall clock.

    Returns:
        A :class:`~meshlens.views.base.Table`: ``text()`` is istioctl's table, ``rows`` are
        :class:`ProxyStatusRow`, ``raw`` the DiscoveryResponses ``-o json|yaml`` print. With no
        proxy left, ``rows`` is empty and ``notes`` holds istioctl's error text.

    Raises:
        UnsupportedDumpError: the input holds no syncz (e.g. an Envoy config dump).
        UsageError: a bad ``now``, a negative ``verbosity``, or ``legacy`` with ``verbosity``.
    """
    if verbosity < 0:
        raise UsageError(f"verbosity must be 0 or more, not {verbosity}")
    if legacy and verbosity:
        raise UsageError("the istioctl <= 1.26 layout (legacy) has no verbose form")
    state, captured_ns, _ = _istiod_state(source)
    now_ns = resolve_now(now, captured_ns)
    rows = [row for row in state.sync if not namespace or row.namespace == namespace]
    printed = sorted(rows, key=lambda row: (row.proxy, row.istiod or ""))
    if verbosity or legacy:
        types = list(LEGACY_TYPES) if legacy else verbose_types(printed)
        headers = ["NAME", "CLUSTER", *(short_type(url) for url in types), "ISTIOD", "VERSION"]
        cells = [[row.proxy, row.cluster_id or "", *(status_text(row, url, now_ns) for url in types),
                  row.istiod or "", row.istio_version or ""] for row in printed]
    else:
        headers = ["NAME", "CLUSTER", "ISTIOD", "VERSION", "SUBSCRIBED TYPES"]
        cells = [[row.proxy, row.cluster_id or "", row.istiod or "", row.istio_version or "", subscribed_text(row)]
                 for row in printed]
    notes = [] if printed else [f"no proxies found (checked {max(len(state.istiods), 1)} istiods)"]
    return Table(view="proxy-status", headers=headers, rows=[_typed_row(row) for row in printed], cells=cells,
                 padding=PADDING, raw=_response.responses(state, rows), json_indent=4, notes=notes)


def render(table: Table, output: str = "table", *, show_secrets: bool = False) -> str:
    """What ``istioctl proxy-status -o <output>`` prints for ``table`` (``table``, ``json``, ``yaml``).

    json: each istiod's DiscoveryResponse as jsonpb with a 4-space indent, each followed by a
    newline; yaml: each converted as ``sigs.k8s.io/yaml`` does, followed by a newline, documents
    separated by ``---`` when there are several. Private key material is printed as ``[redacted]``
    unless ``show_secrets``.
    """
    from meshlens.models.redaction import redact_output, redact_tree

    if output == "table":
        return redact_output(table.text(), show_secrets=show_secrets)
    docs = redact_tree(table.raw or [], show_secrets=show_secrets)
    if output == "json":
        text = "".join(jsonpb_indent(doc, "    ", is_struct=_response.is_struct) + "\n" for doc in docs)
        return redact_output(text, show_secrets=show_secrets)
    if output == "yaml":
        return redact_output("---\n".join(go_yaml(doc) + "\n" for doc in docs), show_secrets=show_secrets)
    raise UsageError(f"unknown output {output!r} (choose from: {', '.join(OUTPUTS)})")


__all__ = ["LEGACY_TYPES", "ProxyStatusRow", "proxy_status", "render", "resolve_now", "status_text",
           "subscribed_text", "verbose_types"]
