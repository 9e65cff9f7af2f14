"""Garbage-collector settings for bulk work that allocates many short-lived objects.

Each page of 100 items allocates thousands of container objects (parsed JSON, pydantic models, row
dicts) that die within the page, so with the default thresholds the collector runs many times per
page; profiled (py-spy), collections were a third of the sync's CPU time. Collecting young objects
every 50,000 allocations instead of 700, and freezing the objects alive at the start (imports,
caches) out of the older generations, cut the client's CPU per page by about 30% in a side-by-side
run. Reference cycles are still collected.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

BULK_THRESHOLDS = (50_000, 20, 100)
"""Young-generation collection after 50,000 net allocations (default 700); older ones as before."""


def use_bulk_allocation_gc() -> tuple[int, int, int]:
    """From now on, objects alive now are not traversed and young collections are rarer; returns the
    thresholds it replaced. For a process that does bulk work until it exits (the page writer's)."""
    previous = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*BULK_THRESHOLDS)
    return previous


@contextmanager
def bulk_allocation_gc() -> Iterator[None]:
    """Within the block, objects alive at its start are not traversed and young collections are rarer."""
    previous = use_bulk_allocation_gc()
    try:
        yield
    finally:
        gc.set_threshold(*previous)
        gc.unfreeze()
