"""Reading a build's log straight from its Redis stream (``dz logs --redis-url``)."""

from __future__ import annotations

from collections.abc import Iterator

from core.clients import redis_client
from core.config import Settings
from core.logbus import LogBus
from core.logevents import LogEvent
from core.objectstore import object_store_from_settings


def events(redis_url: str, build_id: str, from_seq: int, follow: bool) -> Iterator[LogEvent]:
    """Replay (and with ``follow`` keep reading) the stream; the archive after expiry."""
    settings = Settings.from_env().with_overrides(redis_url=redis_url)
    bus = LogBus.from_settings(settings, redis_client(settings, socket_timeout=30),
                               object_store_from_settings(settings))
    return bus.follow(build_id, from_seq) if follow else bus.read(build_id, from_seq)
