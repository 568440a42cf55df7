"""``replace_leader`` treats only a lost WATCH race as "not replaced"."""

from __future__ import annotations

import pytest
import redis

from pipeline.dedupe import replace_leader


class _Pipe:
    """Just the WATCH/MULTI/EXEC calls ``replace_leader`` makes; ``execute`` raises ``error``."""

    def __init__(self, current: str, error: Exception):
        self.current, self.error = current, error

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def watch(self, key):
        pass

    def get(self, key):
        return self.current.encode()

    def multi(self):
        pass

    def set(self, *args, **kwargs):
        pass

    def execute(self):
        raise self.error


class _Redis:
    def __init__(self, pipe: _Pipe):
        self.pipe = pipe

    def pipeline(self):
        return self.pipe


def test_a_lost_race_is_not_a_replacement():
    fake = _Redis(_Pipe("old", redis.WatchError("changed")))
    assert replace_leader(fake, "ident", "old", "new") is False


def test_a_redis_outage_is_not_mistaken_for_a_lost_race():
    fake = _Redis(_Pipe("old", redis.ConnectionError("down")))
    with pytest.raises(redis.ConnectionError):
        replace_leader(fake, "ident", "old", "new")
