"""Live control of builds through Redis: cancel flags, heartbeats and team slots.

Team slots are a counting semaphore with FIFO order inside a team: a build waits
in the team's ``waiting`` sorted set (scored by submit time) and may take a slot
only when fewer than ``limit`` builds hold one *and* it is among the first waiters
that fit.  A slot belongs to a build only while its ``alive`` key (refreshed by
the worker's heartbeat) exists, so a killed worker never leaks a slot: the next
acquire purges holders whose heartbeat expired.

A build waiting for its slot is a Celery message held by a worker until its
countdown; if that worker is killed, the broker hides the message until its
visibility timeout (hours).  So every hand-over to the broker takes a ``lease``
lasting as long as the message may legitimately stay unseen; a waiting build whose
lease lapsed has no message left and the reaper sends it again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from redis import Redis, RedisError

from pipeline import keys

#: Seconds between heartbeats, and how long one keeps the ``alive`` key.
HEARTBEAT_INTERVAL_S = 2.0
ALIVE_TTL_S = 10
FLAG_TTL_S = 7 * 86400
#: How long past its countdown a waiting build's message may go unrun before the
#: reaper presumes the worker holding it dead (a busy pool delays ETA tasks a little).
WAIT_LEASE_GRACE_S = 30
#: Added to the build timeout for the broker's visibility timeout (celeryconfig).
REDELIVERY_MARGIN_S = 900


def redelivery_after_s(build_timeout_s: int) -> int:
    """When the broker redelivers an unacknowledged message: it must outlast a build."""
    return build_timeout_s + REDELIVERY_MARGIN_S

_ACQUIRE = """
local running, waiting = KEYS[1], KEYS[2]
local build, limit, alive_prefix, alive_ttl = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
if redis.call('SISMEMBER', running, build) == 1 then
  redis.call('SET', alive_prefix .. build .. ':alive', 1, 'EX', alive_ttl)
  return 1
end
for _, holder in ipairs(redis.call('SMEMBERS', running)) do
  if redis.call('EXISTS', alive_prefix .. holder .. ':alive') == 0 then
    redis.call('SREM', running, holder)
  end
end
local free = limit - redis.call('SCARD', running)
if free <= 0 then return 0 end
local rank = redis.call('ZRANK', waiting, build)
if rank and rank >= free then return 0 end
redis.call('ZREM', waiting, build)
redis.call('SADD', running, build)
redis.call('SET', alive_prefix .. build .. ':alive', 1, 'EX', alive_ttl)
return 1
"""


CANCEL_MESSAGE = "cancel"
#: How often the listener checks that its solve is still running; a cancel request
#: wakes it at once, so this bounds only how late the thread ends, not cancel latency.
LISTEN_WAKE_S = 1.0


class CancelWatch:
    """A thread blocked on the build's cancel channel while a solve runs.

    It subscribes first and then checks the flag, so a request made before it listened
    is not missed; a request arriving later wakes its blocking read at once (no
    polling interval between the API's request and the gRPC cancel).  If Redis fails
    it falls back to reading the flag every half second until Redis is back.
    """

    def __init__(self, control: Control, build_id: str, on_cancel: Callable[[], None]):
        self.control, self.build_id, self.on_cancel = control, build_id, on_cancel
        self.fired = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, daemon=True,
                                        name=f"cancel-{build_id[:12]}")

    def __enter__(self) -> CancelWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        # Not joined: the build's end must not wait for the listener's next wake-up;
        # the thread sees the stop within LISTEN_WAKE_S and closes its connection.
        self._stop.set()

    def _fire(self) -> None:
        if not self.fired:
            self.fired = True
            self.on_cancel()

    def _listen(self) -> None:
        channel = keys.cancel_channel(self.build_id, self.control.prefix)
        while not self._stop.is_set() and not self.fired:
            try:
                with self.control.redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    pubsub.subscribe(channel)
                    if self.control.cancel_requested(self.build_id):
                        self._fire()
                    while not self._stop.is_set() and not self.fired:
                        if pubsub.get_message(timeout=LISTEN_WAKE_S) is not None:
                            self._fire()
            except (RedisError, OSError, ValueError):
                # ValueError: the client was closed under the pubsub (its owner is done).
                if self._stop.is_set():
                    return
                try:
                    if self.control.cancel_requested(self.build_id):
                        self._fire()
                except RedisError:
                    pass
                self._stop.wait(0.5)


class Control:
    """Cancel flags, heartbeats and team slots for builds.

    Args:
        redis: any client (bytes or text responses).
        prefix: key prefix (tests use their own).
    """

    def __init__(self, redis: Redis, prefix: str = keys.PREFIX) -> None:
        self.redis = redis
        self.prefix = prefix
        self._acquire = redis.register_script(_ACQUIRE)

    # Cancel -------------------------------------------------------------------------

    def request_cancel(self, build_id: str) -> None:
        """Record the request, then announce it to the worker solving the build."""
        self.redis.set(keys.cancel_flag(build_id, self.prefix), 1, ex=FLAG_TTL_S)
        self.redis.publish(keys.cancel_channel(build_id, self.prefix), CANCEL_MESSAGE)

    def watch_cancel(self, build_id: str, on_cancel: Callable[[], None]) -> CancelWatch:
        """Call ``on_cancel`` (once, from a thread of its own) when the build's cancel is
        requested; use as a context manager around the solve."""
        return CancelWatch(self, build_id, on_cancel)

    def cancel_requested(self, build_id: str) -> bool:
        return bool(self.redis.exists(keys.cancel_flag(build_id, self.prefix)))

    # Heartbeat ----------------------------------------------------------------------

    def beat(self, build_id: str) -> None:
        self.redis.set(keys.alive(build_id, self.prefix), 1, ex=ALIVE_TTL_S)

    def is_alive(self, build_id: str) -> bool:
        return bool(self.redis.exists(keys.alive(build_id, self.prefix)))

    def stop_beating(self, build_id: str) -> None:
        self.redis.delete(keys.alive(build_id, self.prefix))

    # Broker leases -----------------------------------------------------------------

    def lease(self, build_id: str, ttl_s: float) -> None:
        """Record that a message for the build will reach a worker within ``ttl_s``."""
        self.redis.set(keys.lease(build_id, self.prefix), 1, ex=max(1, int(ttl_s + 0.999)))

    def has_lease(self, build_id: str) -> bool:
        return bool(self.redis.exists(keys.lease(build_id, self.prefix)))

    # Team slots ---------------------------------------------------------------------

    def enqueue(self, team_id: str, build_id: str, submitted: float) -> None:
        """Put a build in its team's waiting line (idempotent, keeps the first score)."""
        self.redis.zadd(keys.team_waiting(team_id, self.prefix), {build_id: submitted}, nx=True)

    def try_acquire(self, team_id: str, build_id: str, limit: int) -> bool:
        """Take one of the team's ``limit`` slots if this build's turn has come."""
        return bool(self._acquire(
            keys=[keys.team_running(team_id, self.prefix), keys.team_waiting(team_id, self.prefix)],
            args=[build_id, max(1, limit), f"{self.prefix}:build:", ALIVE_TTL_S]))

    def release(self, team_id: str, build_id: str) -> None:
        """Leave both the waiting line and the running set (finished or joined)."""
        with self.redis.pipeline() as pipe:
            pipe.srem(keys.team_running(team_id, self.prefix), build_id)
            pipe.zrem(keys.team_waiting(team_id, self.prefix), build_id)
            pipe.delete(keys.alive(build_id, self.prefix), keys.lease(build_id, self.prefix))
            pipe.execute()

    def queue_position(self, team_id: str, build_id: str) -> int | None:
        """1-based place in the team's waiting line; None when not waiting."""
        rank = self.redis.zrank(keys.team_waiting(team_id, self.prefix), build_id)
        return None if rank is None else int(rank) + 1

    def running(self, team_id: str) -> set[str]:
        members = self.redis.smembers(keys.team_running(team_id, self.prefix))
        return {m.decode() if isinstance(m, bytes) else m for m in members}


class Heartbeat:
    """A daemon thread that calls ``beat()`` every interval until stopped."""

    def __init__(self, beat: Callable[[], None], interval_s: float = HEARTBEAT_INTERVAL_S):
        self._beat = beat
        self._interval = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="rb-heartbeat")

    def __enter__(self) -> Heartbeat:
        self._beat()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._beat()
            except Exception:  # a missed beat is survivable; the next one may work
                time.sleep(0)
