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
traverses it again, and a full one a third time. When the block built more than :data:`SETTLE_AFTER`
objects, :func:`gc_held` settles them on the way out with one explicit pass instead, choosing it the
way CPython chooses its own: a full collection when the build grew the long-lived heap by more than a
quarter (as after loading a capture into a fresh process: later traces and checks then find it old and
run no full pass), else a middle-generation one (it traverses only the new objects; CPython runs its
full pass when enough of them have accumulated). Full passes thus happen after geometric growth only:
validating the 20 proxies of an archive one by one costs a few, not one per proxy over the whole heap.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["SETTLE_AFTER", "gc_held"]

SETTLE_AFTER = 100_000  # container objects built under the held collector before settling pays off
_long_lived = 0  # the old generation's size after our last full pass, plus what was settled since


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
            built = gc.get_count()[0]
            if settle and built > SETTLE_AFTER:
                _settle(built)
            gc.enable()


def _settle(built: int) -> None:
    global _long_lived
    if built > _long_lived // 4:
        gc.collect()
        _long_lived += built  # an estimate: counting the old generation would cost a pass of its own
    else:
        gc.collect(1)
        _long_lived += built
