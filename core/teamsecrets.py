"""Team secrets as the API and compiler see them: value in the store, version in the DB.

The store is written first: if the database write then fails, the store merely
holds an unreferenced version, whereas the other order could record a version
that holds no value.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.base import utcnow
from core.db.teams import SecretName, SecretVersion
from core.secretstore.base import SecretStore


def set_secret(session: Session, store: SecretStore, team_id: str, name: str,
               value: bytes | str, user_id: str | None = None) -> int:
    """Create or rotate a secret; returns the new version (flushed, caller commits)."""
    version = store.put(team_id, name, value)
    row = _row(session, team_id, name)
    if row is None:
        row = SecretName(team_id=team_id, name=name, current_version=version)
        session.add(row)
    else:
        row.current_version = version
        row.updated_at = utcnow()
    row.versions.append(SecretVersion(version=version, created_by=user_id))
    session.flush()
    return version


def delete_secret(session: Session, store: SecretStore, team_id: str, name: str) -> bool:
    """Delete a secret's record and every stored version; False when it did not exist."""
    row = _row(session, team_id, name)
    store.delete(team_id, name)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def list_secrets(session: Session, team_id: str) -> list[SecretName]:
    """The team's secrets (names and versions, never values), by name."""
    return list(session.scalars(
        select(SecretName).where(SecretName.team_id == team_id).order_by(SecretName.name)))


def current_versions(session: Session, team_id: str,
                     names: Iterable[str] | None = None) -> dict[str, int]:
    """``{name: current version}`` for the team (optionally only ``names``).

    The compiler puts these in step cache keys so rotating a secret rebuilds
    exactly the steps that use it; a requested name that is absent is left out.
    """
    query = select(SecretName.name, SecretName.current_version).where(
        SecretName.team_id == team_id)
    if names is not None:
        query = query.where(SecretName.name.in_(list(names)))
    return {name: version for name, version in session.execute(query)}


def _row(session: Session, team_id: str, name: str) -> SecretName | None:
    return session.scalar(
        select(SecretName).where(SecretName.team_id == team_id, SecretName.name == name))
