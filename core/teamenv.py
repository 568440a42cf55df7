"""A team's plain environment variables (for secrets use :mod:`core.teamsecrets`)."""

from __future__ import annotations

import re

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.db.base import utcnow
from core.db.teams import EnvVar

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class InvalidEnvName(ValueError):
    """An environment variable name a shell could not export."""


def set_env(session: Session, team_id: str, name: str, value: str) -> EnvVar:
    """Create or replace a team env var (flushed; the caller commits)."""
    if not _NAME.fullmatch(name):
        raise InvalidEnvName(f"invalid environment variable name {name!r}")
    row = session.scalar(select(EnvVar).where(EnvVar.team_id == team_id, EnvVar.name == name))
    if row is None:
        row = EnvVar(team_id=team_id, name=name, value=value)
        session.add(row)
    else:
        row.value, row.updated_at = value, utcnow()
    session.flush()
    return row


def delete_env(session: Session, team_id: str, name: str) -> bool:
    """Remove a team env var; False when it did not exist."""
    result = session.execute(delete(EnvVar).where(EnvVar.team_id == team_id, EnvVar.name == name))
    return result.rowcount == 1


def env_values(session: Session, team_id: str) -> dict[str, str]:
    """``{name: value}`` of the team, sorted by name (what the compiler gathers)."""
    rows = session.execute(select(EnvVar.name, EnvVar.value).where(EnvVar.team_id == team_id)
                           .order_by(EnvVar.name))
    return {name: value for name, value in rows}
