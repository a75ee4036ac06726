"""Holding Python's cyclic garbage collector during bulk construction of acyclic data.

A capture is a large tree of dicts and lists with no reference cycles. Building it with the
collector running makes every young-generation collection rescan the growing tree (a "GC storm":
half of the time of a typed validation of every resource). :func:`gc_held` turns the collector off
for the duration of one bulk step and restores it afterwards; nothing is frozen
(``gc.freeze()`` moved every object alive into a generation that is never collected, so cyclic
garbage from earlier work was kept for the life of the process), and cyclic garbage made while the
collector was held is collected by the next ordinary collection.

Settling: everything built while the collector was held sits in the youngest generation, so the first
allocation after re-enabling it traverses the whole build anyway, a later middle-generation collection
traverses it again, and a full one a third time (CPython runs a full collection once the objects
promoted since the last one exceed a quarter of the old generation, which is small in a fresh process).
When the block built more than :data:`SETTLE_AFTER` objects, :func:`gc_held` runs one full collection
on the way out instead: one traversal in place of three, at a known point (the end of a load), and
afterwards the capture counts in the old generation, so that later work (traces, checks) only sees
young-generation collections of its own objects.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["SETTLE_AFTER", "gc_held"]

SETTLE_AFTER = 100_000  # container objects built under the held collector before settling pays off


@contextmanager
def gc_held(*, settle: bool = True) -> Iterator[None]:
    """Disable the cyclic collector inside the block; re-enable it after if it was enabled.

    Args:
        settle: when the block built more than :data:`SETTLE_AFTER` objects, run one full collection
            before re-enabling (see the module docstring). Nested blocks leave it to the outermost.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if settle and gc.get_count()[0] > SETTLE_AFTER:
                gc.collect()
            gc.enable()
