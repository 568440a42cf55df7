"""Redis key names of the pipeline's control data, in one place.

Everything lives under one prefix so tests can use their own and a scan for a
build's keys is one pattern.  No key holds a secret value.
"""

from __future__ import annotations

PREFIX = "rb"


def cancel_flag(build_id: str, prefix: str = PREFIX) -> str:
    """Set when a cancel was requested: it outlives the announcement, so a worker that
    subscribes after the request still sees it."""
    return f"{prefix}:build:{build_id}:cancel"


def cancel_channel(build_id: str, prefix: str = PREFIX) -> str:
    """Pub/sub channel a cancel request is announced on; the solving worker listens."""
    return f"{prefix}:build:{build_id}:cancel-now"


def alive(build_id: str, prefix: str = PREFIX) -> str:
    """Short-lived key refreshed by the worker holding the build (its heartbeat)."""
    return f"{prefix}:build:{build_id}:alive"


def lease(build_id: str, prefix: str = PREFIX) -> str:
    """Exists while a broker message for the build is known to be on its way to a worker
    (queued, or held by a live worker until its countdown); see ``Control.lease``."""
    return f"{prefix}:build:{build_id}:lease"


def team_running(team_id: str, prefix: str = PREFIX) -> str:
    """Set of build ids holding one of the team's concurrency slots."""
    return f"{prefix}:team:{team_id}:running"


def team_waiting(team_id: str, prefix: str = PREFIX) -> str:
    """Sorted set of the team's builds waiting for a slot, scored by submit time."""
    return f"{prefix}:team:{team_id}:waiting"


def dedupe(identity: str, prefix: str = PREFIX) -> str:
    """Maps a build identity (team, Definition, pinned inputs) to the in-flight leader."""
    return f"{prefix}:dedupe:{identity}"
