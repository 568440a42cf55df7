"""Dedupe: a build identical to one in flight joins it instead of solving twice.

Identity = team + Definition digest + pinned inputs.  The first build of an
identity becomes its leader (``SET NX``); a later one records
``joined_build_id`` and ends with the leader's outcome, which whoever sees the
leader finish first applies (the leader's finalizer, or the follower itself when
the leader had already finished).  Every write is a state-machine transition, so
applying twice is harmless.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from redis import Redis, WatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import states
from core.db import Build, BuildState
from pipeline import keys

S = BuildState
_LEADER_TTL_S = 86400


def identity(team_id: str, definition_digest: str, pinned: Mapping[str, Any]) -> str:
    text = json.dumps([team_id, definition_digest, pinned], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def claim(redis: Redis, ident: str, build_id: str) -> str | None:
    """Become the leader of ``ident``; returns the existing leader's id otherwise."""
    key = keys.dedupe(ident)
    if redis.set(key, build_id, nx=True, ex=_LEADER_TTL_S):
        return None
    leader = redis.get(key)
    leader = leader.decode() if isinstance(leader, bytes) else leader
    return None if leader in (None, build_id) else leader


def replace_leader(redis: Redis, ident: str, old: str, new: str) -> bool:
    """Take over an identity whose leader already ended (compare-and-set)."""
    key = keys.dedupe(ident)
    with redis.pipeline() as pipe:
        pipe.watch(key)
        current = pipe.get(key)
        if (current.decode() if isinstance(current, bytes) else current) != old:
            return False
        pipe.multi()
        pipe.set(key, new, ex=_LEADER_TTL_S)
        try:
            pipe.execute()
            return True
        except WatchError:  # another worker changed the key first: we lost the race
            return False


def release(redis: Redis, ident: str, build_id: str) -> None:
    """Forget the leader once it ended (only if it still is the leader)."""
    key = keys.dedupe(ident)
    current = redis.get(key)
    if (current.decode() if isinstance(current, bytes) else current) == build_id:
        redis.delete(key)


def adopt_outcome(session: Session, follower_id: str, leader: Build) -> bool:
    """End a follower with its leader's terminal outcome; False if not possible yet."""
    if not leader.state.terminal:
        return False
    if leader.state is S.SUCCEEDED:
        if not states.transition(session, follower_id, S.COMPILING, S.BUILDING):
            return False
        states.transition(session, follower_id, S.BUILDING, S.PUSHING)
        return states.transition(session, follower_id, S.PUSHING, S.SUCCEEDED,
                                 image_ref=leader.image_ref, image_digest=leader.image_digest,
                                 cache_ref=leader.cache_ref)
    return states.finish(session, follower_id, leader.state,
                         error_message=f"the joined build {leader.id} ended {leader.state.value}"
                         + (f": {leader.error_message}" if leader.error_message else ""),
                         error_step_id=leader.error_step_id, error_line=leader.error_line)


def live_followers(session: Session, leader_id: str) -> list[str]:
    """Followers of ``leader_id`` that have not ended yet."""
    live = list(states.sources_of(S.FAILED))
    return list(session.scalars(select(Build.id).where(
        Build.joined_build_id == leader_id, Build.state.in_(live))))
