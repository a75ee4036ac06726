"""Archives and directories loaded on every core: one proxy's members per worker process.

:func:`load_collection` is what :func:`meshlens.load` does with a bug-report archive or a directory
when ``jobs`` allows more than one process: the members are read (and gunzipped) here, grouped by
the proxy (or istiod, or ztunnel) folder they belong to, and each group is parsed and loaded in a
worker process; the parts come back pickled and are merged here in a stable order, the order a
serial load produces (captures in member order, then logs), so the result does not depend on which
worker finished first. Small collections (under :data:`PARALLEL_MIN_BYTES`, or a single group) are
loaded in this process: starting workers would cost more than it saves.

Any :class:`concurrent.futures.Executor` may run the groups (``executor=``): the default is a
process pool of ``jobs`` workers; a Dask ``distributed.Client(...).get_executor()`` works the same.
A progress bar (rich) is drawn on stderr when stderr is a terminal and the load has taken over a
second; otherwise nothing is printed.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

from meshlens._gc import gc_held
from meshlens.models.snapshot import Snapshot
from meshlens.sources.bounded import Budget
from meshlens.sources.bugreport import assign_group, detect_layout, is_log, set_collection_kind
from meshlens.sources.bugreport import load_collection as load_members
from meshlens.sources.builder import SnapshotBuilder
from meshlens.sources.read import DEFERRED, Document, parse_member

__all__ = ["PARALLEL_MIN_BYTES", "default_jobs", "jobs_default", "load_collection", "merge_parts"]

PARALLEL_MIN_BYTES = 16 * 1024**2  # below this many member bytes, one process loads the collection
PROGRESS_AFTER = 1.0  # seconds before a progress bar is worth drawing


_default: list[int] = []  # set by jobs_default() (the command line's --jobs)


def default_jobs(jobs: int | None = None) -> int:
    """``jobs``, else :func:`jobs_default`'s, else ``MESHLENS_JOBS``, else every core."""
    if jobs is None and _default:
        jobs = _default[-1]
    if jobs is None:
        env = os.environ.get("MESHLENS_JOBS", "")
        jobs = int(env) if env.isdigit() else 0
    return jobs if jobs and jobs > 0 else (os.cpu_count() or 1)


@contextmanager
def jobs_default(jobs: int) -> Iterator[None]:
    """Within the block, loads that are not given ``jobs`` use this many worker processes."""
    _default.append(jobs)
    try:
        yield
    finally:
        _default.pop()


def _load_group(docs: list[Document], root: tuple[str, ...] | None, origin: str, budget: int,
                load_document: Callable[..., str | None]) -> Snapshot:
    """(In a worker.) Parse and load one group's members into a part snapshot."""
    with gc_held():
        left = Budget(budget)
        parsed = [d for doc in docs for d in parse_member(doc, left)]
        builder = SnapshotBuilder(origin=origin)
        load_members(parsed, builder, load_document, root=root, collection_kind=False)
        return builder.build()


def _groups(docs: list[Document], root: tuple[str, ...] | None) -> list[list[Document]]:
    """Members by the group they load into (a proxy's folder), groups in order of first member."""
    by_group: dict[str, list[Document]] = {}
    for doc in docs:
        assign_group(doc, root)
        by_group.setdefault(doc.group, []).append(doc)
    return list(by_group.values())


def _size(group: list[Document]) -> int:
    return sum(len(d.extra.get("body", b"")) for d in group if d.syntax == DEFERRED)


def load_collection(docs: list[Document], origin: str, load_document: Callable[..., str | None], *,
                    jobs: int | None = None, executor: Executor | None = None, budget: int,
                    progress: bool | None = None) -> Snapshot:
    """Load the (deferred) members of one archive or directory, in parallel when it pays.

    Args:
        docs: :func:`~meshlens.sources.read.read_source` documents read with ``defer_members``.
        origin: the archive or directory, as given.
        load_document: :func:`meshlens.sources.load_document` (passed in: the registry of loaders
            sits above this module), run in the workers.
        jobs: worker processes (default: ``MESHLENS_JOBS``, else every core); 1 loads here.
        executor: run the groups on this executor instead of a process pool of ``jobs``.
        budget: bytes each group may still inflate while parsing (the load's ``max_bytes`` left).
        progress: draw a progress bar on stderr (default: when stderr is a terminal).
    """
    root = detect_layout(docs)
    groups = _groups(docs, root)
    workers = default_jobs(jobs)
    parallel = executor is not None or (workers > 1 and len(groups) > 1 and
                                        sum(map(_size, groups)) >= PARALLEL_MIN_BYTES)
    if not parallel:
        parts = [_load_group([d for g in groups for d in g], root, origin, budget, load_document)]
    else:
        parts = _run(groups, root, origin, budget, load_document, executor, min(workers, len(groups)), progress)
    merged = merge_parts(parts, docs, origin)
    builder = SnapshotBuilder(origin=origin)
    builder.snapshot = merged
    set_collection_kind(docs, builder, root)
    return merged


def _run(groups: list[list[Document]], root: tuple[str, ...] | None, origin: str, budget: int,
         load_document: Callable[..., str | None], executor: Executor | None, workers: int,
         progress: bool | None) -> list[Snapshot]:
    own = executor is None
    pool: Executor = executor if executor is not None else ProcessPoolExecutor(max_workers=workers)
    try:
        # Largest groups first keeps the workers evenly busy; results are put back in group order.
        order = sorted(range(len(groups)), key=lambda i: -_size(groups[i]))
        futures: dict[Future[Snapshot], int] = {
            pool.submit(_load_group, groups[i], root, origin, budget, load_document): i for i in order}
        results: list[Snapshot | None] = [None] * len(groups)
        for future, index in _completed(futures, len(groups), progress):
            results[index] = future.result()
        return [r for r in results if r is not None]
    finally:
        if own:
            pool.shutdown(wait=True, cancel_futures=True)


def _completed(futures: dict[Future[Snapshot], int], total: int,
               progress: bool | None) -> Iterable[tuple[Future[Snapshot], int]]:
    """The futures as they complete, with a rich progress bar on a terminal after a second."""
    from concurrent.futures import FIRST_COMPLETED, wait

    show = sys.stderr.isatty() if progress is None else progress
    start = time.monotonic()
    bar: Any = None
    task: Any = None
    pending = set(futures)
    done_count = 0
    try:
        while pending:
            done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            for future in done:
                done_count += 1
                yield future, futures[future]
            if show and bar is None and pending and time.monotonic() - start > PROGRESS_AFTER:
                bar, task = _progress_bar(total)
            if bar is not None:
                bar.update(task, completed=done_count)
    finally:
        if bar is not None:
            bar.stop()


def _progress_bar(total: int) -> tuple[Any, Any]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("loading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=Console(stderr=True), transient=True)
    bar.start()
    return bar, bar.add_task("members", total=total)


def _position(docs: list[Document]) -> Callable[[str | None], tuple[int, int]]:
    """Where a member's items fall in a serial load: captures in member order, then logs."""
    rank: dict[str | None, tuple[int, int]] = {}
    for i, doc in enumerate(docs):
        rank.setdefault(doc.location.member, (1 if is_log(doc) else 0, i))

    def position(member: str | None) -> tuple[int, int]:
        return rank.get(member, (2, 0))

    return position


def merge_parts(parts: list[Snapshot], docs: list[Document], origin: str) -> Snapshot:
    """One snapshot of the parts, in the order a serial load of ``docs`` gives."""
    if len(parts) == 1:
        return parts[0]
    where = _position(docs)
    merged = Snapshot(origin=origin)
    for part in parts:
        merged.absorb(part)
    merged.sources.sort(key=lambda s: where(s.location.member))
    merged.findings.sort(key=lambda f: where(f.location.member if f.location else None))
    merged.logs.sort(key=lambda log: where(getattr(getattr(log, "location", None), "member", None)))
    merged.proxies.sort(key=lambda p: where(p.sources[0].location.member) if p.sources else (2, 0))
    merged.ztunnels.sort(key=lambda z: where(z.location.member))
    return merged
