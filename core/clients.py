"""Clients built from settings, in one place; callers create them and pass them down."""

from __future__ import annotations

from redis import Redis

from core.config import Settings


def redis_client(settings: Settings, **options: object) -> Redis:
    """A Redis client for ``settings.redis_url`` returning bytes (the log bus needs them).

    No connection is made until the first command.
    """
    return Redis.from_url(settings.redis_url, decode_responses=False, **options)
