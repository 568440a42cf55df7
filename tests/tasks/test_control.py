"""Team slots, queue positions, cancel flags and heartbeats on real Redis."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import redis as redis_lib

from pipeline.control import Control


@pytest.fixture
def control(redis_url):
    client = redis_lib.Redis.from_url(redis_url, db=12)
    yield Control(client, prefix=f"test-{uuid.uuid4().hex[:8]}")
    client.close()


def test_slots_are_fifo_within_a_team_and_limited(control):
    team = "team-a"
    for i, build in enumerate(["b1", "b2", "b3"]):
        control.enqueue(team, build, 100.0 + i)
    assert [control.queue_position(team, b) for b in ("b1", "b2", "b3")] == [1, 2, 3]

    # b2 may not jump ahead of b1 while only one slot is free.
    assert not control.try_acquire(team, "b2", limit=1)
    assert control.try_acquire(team, "b1", limit=1)
    assert control.queue_position(team, "b1") is None
    assert not control.try_acquire(team, "b2", limit=1)
    assert control.queue_position(team, "b2") == 1

    control.release(team, "b1")
    assert control.try_acquire(team, "b2", limit=1)
    assert control.running(team) == {"b2"}
    # Acquiring again is idempotent for the holder.
    assert control.try_acquire(team, "b2", limit=1)


def test_a_holder_without_heartbeat_loses_its_slot(control):
    team = "team-b"
    control.enqueue(team, "dead", 1.0)
    control.enqueue(team, "next", 2.0)
    assert control.try_acquire(team, "dead", limit=1)
    assert not control.try_acquire(team, "next", limit=1)

    control.stop_beating("dead")  # what the alive key's expiry does after a SIGKILL

    assert control.try_acquire(team, "next", limit=1)
    assert control.running(team) == {"next"}


def test_other_teams_are_not_held_up(control):
    control.enqueue("busy", "x1", 1.0)
    assert control.try_acquire("busy", "x1", limit=1)
    control.enqueue("idle", "y1", 2.0)
    assert control.try_acquire("idle", "y1", limit=1)


def test_cancel_flag_and_heartbeat(control):
    assert not control.cancel_requested("b9")
    control.request_cancel("b9")
    assert control.cancel_requested("b9")
    assert not control.is_alive("b9")
    control.beat("b9")
    assert control.is_alive("b9")


def test_a_cancel_request_wakes_the_watch_of_its_build_only(control, redis_url):
    fired = {name: threading.Event() for name in ("b1", "b2")}
    with control.watch_cancel("b1", fired["b1"].set) as watch_b1, \
            control.watch_cancel("b2", fired["b2"].set):
        # Another client (the API's) asks for the cancel.
        api = Control(redis_lib.Redis.from_url(redis_url, db=12), prefix=control.prefix)
        # Wait until the watch listens, so this exercises the announcement, not the flag.
        channel = f"{control.prefix}:build:b1:cancel-now"
        deadline = time.monotonic() + 10
        while control.redis.pubsub_numsub(channel)[0][1] == 0:
            assert time.monotonic() < deadline, "the watch never subscribed"
        api.request_cancel("b1")
        assert fired["b1"].wait(10)
        assert watch_b1.fired
        assert not fired["b2"].wait(0.5)


def test_a_cancel_requested_before_the_watch_started_is_not_missed(control):
    control.request_cancel("b1")
    fired = threading.Event()
    with control.watch_cancel("b1", fired.set):
        assert fired.wait(10)
