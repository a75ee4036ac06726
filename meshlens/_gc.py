"""Holding Python's cyclic garbage collector during bulk construction of acyclic data.

A capture is a large tree of dicts and lists with no reference cycles. Building it with the
collector running makes every young-generation collection rescan the growing tree (a "GC storm":
half of the time of a typed validation of every resource). :func:`gc_held` turns the collector off
for the duration of one bulk step and restores it afterwards; nothing is frozen
(``gc.freeze()`` moved every object alive into a generation that is never collected, so cyclic
garbage from earlier work was kept for the life of the process), and cyclic garbage made while the
collector was held is collected by the next ordinary collection.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["gc_held"]


@contextmanager
def gc_held() -> Iterator[None]:
    """Disable the cyclic collector inside the block; re-enable it after if it was enabled."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
