"""Follow a build's log until it ends, for the HTTP and websocket relays.

The log bus ends a follow at the END event.  A build that ended without one (a
lost worker, a log that expired unarchived) would be followed forever, so the
relay also watches the build's state and, once it is terminal, drains what is
stored and stops.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from sqlalchemy.orm import Session, sessionmaker

from core.db import Build
from core.logbus import LogBus
from core.logevents import END, LogEvent

STATE_CHECK_S = 2.0
#: How long a follower waits for END once the record says the build is over.
END_GRACE_S = 5.0


def build_ended(sessions: sessionmaker[Session], build_id: str) -> bool:
    with sessions() as session:
        row = session.get(Build, build_id)
        return row is None or row.state.terminal


def follow(bus: LogBus, sessions: sessionmaker[Session], build_id: str, from_seq: int,
           *, block_ms: int = 1000, cancelled: Callable[[], bool] = lambda: False
           ) -> Iterator[LogEvent]:
    """Replay from ``from_seq`` then follow; each sequence number exactly once, in order."""
    next_seq = max(1, from_seq)
    last_check = 0.0
    ended = False

    def should_stop() -> bool:
        nonlocal last_check, ended
        if cancelled():
            return True
        now = time.monotonic()
        if now - last_check >= STATE_CHECK_S:
            last_check = now
            ended = build_ended(sessions, build_id)
        return ended

    for event in bus.follow(build_id, next_seq, block_ms=block_ms, should_stop=should_stop):
        yield event
        next_seq = event.seq + 1
        if event.kind == END:
            return
    if ended and not cancelled():
        # The record turns terminal a moment before the worker appends END (seen under
        # load in tests/load): keep reading for a bounded grace so the tail and END
        # reach the follower; a build that never gets an END stops after the grace.
        grace_ends = time.monotonic() + END_GRACE_S
        for event in bus.follow(build_id, next_seq, block_ms=min(block_ms, 500),
                                should_stop=lambda: cancelled()
                                or time.monotonic() >= grace_ends):
            yield event
            if event.kind == END:
                return
