"""Keep the garbage collector's full passes short in long-running processes.

Now and then CPython's cyclic collector walks every object it tracks (a
generation-2 collection) while holding the GIL, so every thread of the process
stops.  A web or worker process that has imported Flask, SQLAlchemy, Celery and
gRPC tracks 130–160 thousand objects; measured on a busy 2-core machine each such
walk took 45–85 ms, and those stalls *were* the log path's p99 latency (a relay or
a log writer stopped mid-stream).

Objects made during start-up live as long as the process, so once start-up is over
they are collected once and the survivors frozen (``gc.freeze``): later passes walk
only what was made since.  Freezing is done only at quiet points, when nothing
short-lived is in flight (start-up; a worker between two jobs): an object frozen
while still in use by a request could never be collected once it became garbage.
"""

from __future__ import annotations

import gc

#: Unfrozen survivors above which a worker settles again between jobs: a full pass
#: over this many objects costs a few milliseconds.
RESETTLE_ABOVE = 20_000


def settle() -> int:
    """Collect everything, then freeze the survivors; returns how many are frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def settle_if_grown(limit: int = RESETTLE_ABOVE) -> bool:
    """Between two jobs: settle again once long-lived objects have piled up since
    the last time (caches and pools filled by the jobs), so full passes stay short."""
    if len(gc.get_objects(generation=2)) <= limit:
        return False
    settle()
    return True
