"""Questions the scheduler and API ask about builds: queue position, load, duplicates."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db.builds import Build, BuildState

#: States in which a build holds one of its team's concurrency slots.
ACTIVE_STATES = (BuildState.COMPILING, BuildState.BUILDING, BuildState.PUSHING)
LIVE_STATES = (BuildState.QUEUED, *ACTIVE_STATES)


def active_count(session: Session, team_id: str) -> int:
    """How many of the team's builds are compiling, building or pushing."""
    return session.scalar(select(func.count()).select_from(Build).where(
        Build.team_id == team_id, Build.state.in_(ACTIVE_STATES))) or 0


def queue_position(session: Session, build_id: str) -> int | None:
    """1-based position among its team's queued builds (oldest first); None if not queued."""
    build = session.get(Build, build_id)
    if build is None or build.state is not BuildState.QUEUED:
        return None
    ahead = session.scalar(select(func.count()).select_from(Build).where(
        Build.team_id == build.team_id, Build.state == BuildState.QUEUED,
        (Build.queued_at < build.queued_at)
        | ((Build.queued_at == build.queued_at) & (Build.id < build.id))))
    return (ahead or 0) + 1


def inflight_duplicate(session: Session, build: Build) -> Build | None:
    """An older live build of the same team with the same Definition and pinned inputs.

    Dedupe joins ``build`` to it instead of solving twice.  Needs
    ``definition_digest`` (set by compile); pinned inputs are compared in Python
    because JSON equality is not portable across databases.
    """
    if build.definition_digest is None:
        return None
    candidates = session.scalars(select(Build).where(
        Build.team_id == build.team_id, Build.definition_digest == build.definition_digest,
        Build.state.in_(LIVE_STATES), Build.id != build.id, Build.joined_build_id.is_(None),
        Build.queued_at <= build.queued_at).order_by(Build.queued_at))
    for candidate in candidates:
        if candidate.pinned_inputs == build.pinned_inputs:
            return candidate
    return None
