"""Analyse ztunnel access logs: flows, load-balancing goodness of fit, failovers, errors, outliers.

Definitions are those of ``meshlens logs -o json`` in ``interfaces.md``:

* a flow is (source workload, destination service) over ``direction="outbound"`` lines (the source
  ztunnel's); inbound lines are the other side of the same connections and are only counted as a
  cross-check (``inbound`` per backend), never added;
* ``connections`` counts ``connection complete`` events, ``failed`` the events carrying an error;
* ``expected``: with a ztunnel dump, the service's eligible endpoints weighted by capacity (see
  :mod:`meshlens.analysis.logs.expected`); without one, every backend seen with weight 1;
* ``p_value``: Pearson χ² goodness of fit of the successful connections to the expected backends
  (k − 1 degrees of freedom; null with fewer than 2 backends or an expected count below 5);
  ``balanced`` = ``p_value >= 0.01``;
* a failover is a backend with failures while another backend of its service served successful
  connections between its first failure and its recovery (or the end of the log);
  ``others_served`` counts those strictly between its first and last failure.

The columns of each :class:`~meshlens.models.logs.AccessTable` are grouped with C-level counting
(``Counter`` over ``zip``) so that a million events take about a second; per-row Python work is
done only for the rows of services that failed.
"""

from __future__ import annotations

import bisect
import operator
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from itertools import compress, repeat
from typing import Any

from meshlens.analysis.logs.expected import DumpIndex, index_dumps
from meshlens.analysis.logs.model import (
    Backend,
    ErrorCount,
    Failover,
    Flow,
    LogAnalysis,
    OutlierTimeline,
)
from meshlens.errors import LoadError, UsageError
from meshlens.models.logs import ERROR_CLASSES, ZtunnelLog, classify_error
from meshlens.models.logs.table import AccessTable, format_time, parse_time
from meshlens.models.snapshot import Snapshot
from meshlens.models.ztunnel import Ztunnel

BALANCED_P = 0.01
MIN_EXPECTED = 5
_COMPLETE = "connection complete"


def _logs_of(source: Any) -> list[ZtunnelLog]:
    if isinstance(source, ZtunnelLog):
        return [source]
    if isinstance(source, Snapshot):
        return [log for log in source.logs if isinstance(log, ZtunnelLog)]
    if isinstance(source, (list, tuple)):
        return [log for item in source for log in _logs_of(item)]
    from meshlens.sources import load  # a path, bytes, ...: load it (sources sit below analysis)

    found = _logs_of(load(source))
    if not found:
        raise LoadError("holds no ztunnel log (expected plain or JSON ztunnel log lines, kubectl logs "
                        "output, or an archive with a ztunnel pod's log)", file=str(source))
    return found


def _ztunnels_of(dump: Any) -> list[Ztunnel]:
    if dump is None:
        return []
    if isinstance(dump, Ztunnel):
        return [dump]
    if isinstance(dump, Snapshot):
        return list(dump.ztunnels)
    if isinstance(dump, (list, tuple)):
        return [z for item in dump for z in _ztunnels_of(item)]
    from meshlens.sources import load

    return _ztunnels_of(load(dump))


def _micros(value: str | None, what: str) -> int | None:
    if value is None:
        return None
    try:
        return parse_time(value)[0]
    except ValueError:
        raise UsageError(f"{what} {value!r} is not an RFC 3339 time (e.g. 2026-11-22T13:00:00Z)") from None


def _service_matches(service: str | None, wanted: str) -> bool:
    return service is not None and (service == wanted or service.startswith(wanted + "."))


class _Rows:
    """The (filtered) columns of one access table, as plain sequences."""

    def __init__(self, table: AccessTable, lo: int | None, hi: int | None) -> None:
        cols: dict[str, Sequence[Any]] = {
            name: getattr(table, name)
            for name in ("message", "direction", "src_namespace", "src_workload", "src_ip", "src_identity",
                         "dst_service", "dst_workload", "dst_hbone_addr", "dst_addr", "error", "time_us")
        }
        self.table = table
        if lo is not None or hi is not None:
            low = lo if lo is not None else -(2**62)
            high = hi if hi is not None else 2**62
            keep = [low <= t <= high for t in table.time_us]
            self.index: Sequence[int] = list(compress(range(len(table)), keep))
            cols = {k: list(compress(v, keep)) for k, v in cols.items()}
        else:
            self.index = range(len(table))
        self.cols = cols

    def time_text(self, k: int) -> str:
        return self.table.time(self.index[k])


def _src_key(namespace: str | None, workload: str | None, ip: str | None) -> str:
    if workload:
        return f"{namespace or ''}/{workload}"
    return ip or "unknown"


def analyze_logs(source: Any, dump: Any = None, *, service: str | None = None, since: str | None = None,
                 until: str | None = None) -> LogAnalysis:
    """Analyse ztunnel logs.

    Args:
        source: a :class:`Snapshot` (``meshlens.load(log)``), a :class:`ZtunnelLog`, a path, or a
            list of these.
        dump: ztunnel ``/config_dump`` captures (a path, an archive, a Snapshot or a Ztunnel, or a
            list): expected shares, protocols and endpoint health come from it.
        service: only flows to this service (its host, or a prefix such as ``reviews``).
        since: only events at or after this RFC 3339 time.
        until: only events at or before this RFC 3339 time.

    Returns:
        a :class:`LogAnalysis` (``to_dict()`` is the ``meshlens logs -o json`` document).
    """
    logs = _logs_of(source)
    ztunnels = _ztunnels_of(dump)
    index = index_dumps(ztunnels) if ztunnels else None
    lo, hi = _micros(since, "--since"), _micros(until, "--until")
    result = LogAnalysis()
    result.inputs = [log.file for log in logs] + [z.location.file or "" for z in ztunnels]
    for log in logs:
        result.lines += log.lines
        result.events += len(log.access) + len(log.events)
        result.unparsed += log.unparsed
        for u in log.unparsed_examples:
            if len(result.unparsed_examples) < 5:
                result.unparsed_examples.append(u.to_dict())
    if dump is not None and not ztunnels:
        result.notes.append("the --dump input holds no ztunnel config dump: expected shares are the backends seen")
    rows = [_Rows(log.access, lo, hi) for log in logs]
    _flows(result, rows, index, service)
    _plaintext_inbound(result, rows, index)
    _errors(result, rows)
    _failovers(result, rows, service)
    _outliers(result, logs, lo, hi)
    return result


# ----------------------------------------------------------------------------------------- flows
def _flows(result: LogAnalysis, tables: list[_Rows], index: DumpIndex | None, wanted: str | None) -> None:
    combos: Counter[tuple[Any, ...]] = Counter()
    inbound: Counter[tuple[Any, ...]] = Counter()
    for rows in tables:
        c = rows.cols
        failed = map(operator.is_not, c["error"], repeat(None))
        combos.update(zip(c["direction"], c["message"], c["src_namespace"], c["src_workload"], c["src_ip"],
                          c["dst_service"], c["dst_workload"], c["dst_hbone_addr"], c["dst_addr"], failed,
                          strict=False))
    flows: dict[tuple[str, str], Flow] = {}
    backends: dict[tuple[str, str], dict[tuple[str | None, str | None], Backend]] = defaultdict(dict)
    for (direction, message, src_ns, src_wl, src_ip, dst_svc, dst_wl, hbone, dst_addr, failed), n in combos.items():
        target = hbone or dst_addr
        if direction == "inbound":
            inbound[(_src_key(src_ns, src_wl, src_ip), dst_wl or target)] += n
            continue
        if direction != "outbound":
            continue
        svc = dst_svc or target or "unknown"
        if wanted is not None and not _service_matches(dst_svc, wanted) and svc != wanted:
            continue
        key = (_src_key(src_ns, src_wl, src_ip), svc)
        flow = flows.get(key)
        if flow is None:
            flow = flows[key] = Flow(source=key[0], service=svc)
        bkey = (dst_wl, target)
        backend = backends[key].get(bkey)
        if backend is None:
            backend = backends[key][bkey] = Backend(workload=dst_wl, address=target)
        _count(flow, backend, n, complete=message == _COMPLETE, failed=failed,
               protocol="HBONE" if hbone or (dst_addr or "").endswith(":15008") else "TCP")
    for key in sorted(flows):
        flow = flows[key]
        merged = _merge_backends(list(backends[key].values()))
        flow.backends = sorted(merged, key=lambda b: (b.workload or "", b.address or ""))
        for b in flow.backends:
            b.inbound = inbound.get((flow.source, b.workload or b.address), 0)
        flow.inbound_seen = sum(b.inbound for b in flow.backends)
        _expect(flow, index)
        result.flows.append(flow)


def _count(flow: Flow, backend: Backend, n: int, *, complete: bool, failed: bool, protocol: str) -> None:
    """Add ``n`` outbound events of one kind to a flow and its backend."""
    if complete:
        flow.connections += n
        backend.connections += n
        if not failed:
            backend.succeeded += n
        flow.protocols[protocol] = flow.protocols.get(protocol, 0) + n
    if failed:
        flow.failed += n
        backend.failed += n


def _plaintext_inbound(result: LogAnalysis, tables: list[_Rows], index: DumpIndex | None) -> None:
    """Inbound connections without ``src.identity`` (a plaintext, non-mesh caller), per destination."""
    seen: Counter[tuple[Any, ...]] = Counter()
    for rows in tables:
        c = rows.cols
        no_identity = map(operator.is_, c["src_identity"], repeat(None))
        seen.update(zip(c["direction"], c["message"], no_identity, c["dst_workload"], c["dst_hbone_addr"],
                        c["dst_addr"], strict=False))
    per: dict[tuple[str | None, str | None], int] = defaultdict(int)
    for (direction, message, plaintext, workload, hbone, addr), n in seen.items():
        if direction == "inbound" and message == _COMPLETE and plaintext:
            per[(workload, hbone or addr)] += n
    for (workload, address), n in sorted(per.items(), key=lambda kv: (kv[0][0] or "", kv[0][1] or "")):
        w = index.workload(workload, address) if index is not None else None
        result.plaintext_inbound.append({"workload": workload, "address": address, "connections": n,
                                         "expected_protocol": w.protocol if w is not None else None})


def _merge_backends(items: list[Backend]) -> list[Backend]:
    """One backend per workload (a workload reached on two target ports stays one backend)."""
    by_name: dict[str, Backend] = {}
    out: list[Backend] = []
    for b in items:
        if b.workload is None:
            out.append(b)
            continue
        seen = by_name.get(b.workload)
        if seen is None:
            by_name[b.workload] = b
            out.append(b)
        else:
            seen.connections += b.connections
            seen.failed += b.failed
            seen.succeeded += b.succeeded
            if b.address and b.address != seen.address:
                seen.address = min(seen.address or b.address, b.address)
    return out


def _expect(flow: Flow, index: DumpIndex | None) -> None:
    view = index.service(flow.service) if index is not None else None
    if view is None:
        flow.expected = [{"workload": b.workload or b.address, "weight": 1} for b in flow.backends]
        observed = [b.succeeded for b in flow.backends]
        if index is not None:
            for b in flow.backends:
                if index.workload(b.workload, b.address) is None:
                    flow.unknown_selected.append(b.workload or b.address or "")
    else:
        assert index is not None
        flow.expected_protocol = view.protocol
        flow.expected = [{"workload": w.name, "weight": weight} for w, weight in view.expected]
        eligible = {w.name for w, _ in view.expected}
        unhealthy = {w.name for w in view.unhealthy}
        by_workload: dict[str, int] = {}
        for b in flow.backends:
            w = index.workload(b.workload, b.address) if index is not None else None
            name = w.name if w is not None else None
            b.eligible = name in eligible
            if name is None:
                b.status = "unknown"
                flow.unknown_selected.append(b.workload or b.address or "")
            elif name in unhealthy or w is None or w.status != "Healthy":
                b.status = "Unhealthy"
                flow.unhealthy_selected.append(name)
            else:
                b.status = "Healthy"
            if name in eligible:
                by_workload[name] = by_workload.get(name, 0) + b.succeeded
        observed = [by_workload.get(w.name, 0) for w, _ in view.expected]
        selected = {b.workload for b in flow.backends if b.eligible and (b.connections or b.failed)}
        selected |= {w.name for b in flow.backends if b.eligible and (b.connections or b.failed)
                     for w in [index.workload(b.workload, b.address)] if w is not None}
        flow.never_selected = [w.name for w, _ in view.expected if w.name not in selected]
    flow.observed = observed
    flow.p_value = chi_square_p([e["weight"] for e in flow.expected], observed)
    flow.balanced = None if flow.p_value is None else flow.p_value >= BALANCED_P


def chi_square_p(weights: Sequence[float], observed: Sequence[int]) -> float | None:
    """Pearson χ² goodness-of-fit p-value of ``observed`` against shares ``weights`` (k − 1 dof).

    None when there are fewer than 2 categories, no observations, or an expected count below 5.
    """
    if len(weights) < 2 or len(weights) != len(observed):
        return None
    n = sum(observed)
    total = float(sum(weights))
    if n <= 0 or total <= 0:
        return None
    expected = [n * w / total for w in weights]
    if min(expected) < MIN_EXPECTED:
        return None
    from scipy.stats import chisquare  # scipy is heavy to import: only when a test is due

    return float(chisquare(list(observed), expected).pvalue)


# ---------------------------------------------------------------------------------------- errors
def _errors(result: LogAnalysis, tables: list[_Rows]) -> None:
    counts: Counter[str] = Counter()
    examples: dict[str, str] = {}
    for rows in tables:
        texts = Counter(e for e in rows.cols["error"] if e is not None)
        for text, n in texts.items():
            cls = classify_error(text)
            counts[cls] += n
            examples.setdefault(cls, text)
    result.errors = [ErrorCount(cls, counts[cls], examples[cls]) for cls in ERROR_CLASSES if counts[cls]]


# ------------------------------------------------------------------------------------- failovers
def _failing_services(tables: list[_Rows], wanted: str | None) -> set[str]:
    failing: set[str] = set()
    for rows in tables:
        c = rows.cols
        for k in [k for k, e in enumerate(c["error"]) if e is not None]:
            if c["direction"][k] == "outbound":
                failing.add(c["dst_service"][k] or (c["dst_hbone_addr"][k] or c["dst_addr"][k]) or "unknown")
    if wanted is not None:
        failing = {s for s in failing if _service_matches(s, wanted) or s == wanted}
    return failing


_Failure = tuple[int, str, int, int]  # time (µs), error text, table, row


def _collect(tables: list[_Rows], failing: set[str]) -> tuple[dict[str, dict[str, array[int]]],
                                                            dict[str, dict[str, list[_Failure]]]]:
    """Per service and backend: the success times (packed) and the failures (few) of outbound lines."""
    ok: dict[str, dict[str, array[int]]] = defaultdict(lambda: defaultdict(lambda: array("q")))
    bad: dict[str, dict[str, list[_Failure]]] = defaultdict(lambda: defaultdict(list))
    for t, rows in enumerate(tables):
        c = rows.cols
        for k, (direction, svc, wl, hbone, addr, err, ts, msg) in enumerate(zip(
                c["direction"], c["dst_service"], c["dst_workload"], c["dst_hbone_addr"], c["dst_addr"],
                c["error"], c["time_us"], c["message"], strict=True)):
            if direction != "outbound":
                continue
            service = svc or (hbone or addr) or "unknown"
            if service not in failing:
                continue
            backend = wl or hbone or addr or "unknown"
            if err is not None:
                bad[service][backend].append((ts, err, t, k))
            elif msg == _COMPLETE:
                ok[service][backend].append(ts)
    return ok, bad


def _failover(tables: list[_Rows], service: str, backend: str, failures: list[_Failure],
              successes: dict[str, list[int]]) -> Failover | None:
    """The failover of one backend, or None when no other backend served during its outage."""
    first, last = failures[0], failures[-1]
    mine = successes.get(backend, [])
    after = bisect.bisect_right(mine, last[0])
    recovered_us = mine[after] if after < len(mine) else None
    end = recovered_us if recovered_us is not None else 2**62
    others_served = served_in_window = 0
    for other, times in successes.items():
        if other != backend:
            others_served += max(0, bisect.bisect_left(times, last[0]) - bisect.bisect_right(times, first[0]))
            served_in_window += bisect.bisect_left(times, end) - bisect.bisect_left(times, first[0])
    if not served_in_window:
        return None  # nothing failed over: the whole service was down
    recovered = _time_text_at(tables, service, backend, recovered_us) if recovered_us is not None else None
    classes = sorted({classify_error(e[1]) for e in failures}, key=ERROR_CLASSES.index)
    return Failover(service=service, backend=backend, first_failure=tables[first[2]].time_text(first[3]),
                    last_failure=tables[last[2]].time_text(last[3]), failures=len(failures), errors=classes,
                    recovered=recovered, others_served=others_served)


def _failovers(result: LogAnalysis, tables: list[_Rows], wanted: str | None) -> None:
    """Per service with failures: each backend's failure window, recovery, and what others served."""
    failing = _failing_services(tables, wanted)
    if not failing:
        return
    ok, bad = _collect(tables, failing)
    for service in sorted(bad):
        successes = {b: sorted(times) for b, times in ok[service].items()}
        for backend in sorted(bad[service]):
            failover = _failover(tables, service, backend, sorted(bad[service][backend]), successes)
            if failover is not None:
                result.failovers.append(failover)
        for backend in set(ok[service]) | set(bad[service]):
            result.timeline[(service, backend)] = (
                array("q", sorted(ok[service].get(backend, ()))), sorted(f[0] for f in bad[service].get(backend, ())))


def _time_text_at(tables: list[_Rows], service: str, backend: str, micros: int) -> str:
    """The time text, as written, of the successful outbound connection to ``backend`` at ``micros``."""
    for rows in tables:
        c = rows.cols
        for k in [k for k, ts in enumerate(c["time_us"]) if ts == micros]:
            target = c["dst_hbone_addr"][k] or c["dst_addr"][k]
            if (c["direction"][k] == "outbound" and c["error"][k] is None
                    and (c["dst_service"][k] or target or "unknown") == service
                    and (c["dst_workload"][k] or target or "unknown") == backend):
                return rows.time_text(k)
    return format_time(micros)


# -------------------------------------------------------------------------------------- outliers
def _outliers(result: LogAnalysis, logs: Iterable[ZtunnelLog], lo: int | None, hi: int | None) -> None:
    by_backend: dict[str | None, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    for log in logs:
        for event in log.events:
            if event.kind != "outlier":
                continue
            try:
                micros = parse_time(event.time)[0]
            except ValueError:
                continue
            if (lo is not None and micros < lo) or (hi is not None and micros > hi):
                continue
            fields = dict(event.fields)
            if event.message:
                fields.setdefault("message", event.message)
            by_backend[event.backend].append((micros, {"time": event.time, "kind": event.outlier_kind or "other",
                                                       "fields": fields}))
    for backend in sorted(by_backend, key=lambda b: (b is None, b or "")):
        items = sorted(by_backend[backend], key=lambda x: x[0])
        result.outlier.append(OutlierTimeline(backend=backend, events=[e for _, e in items]))


__all__ = ["analyze_logs", "chi_square_p", "format_time"]
