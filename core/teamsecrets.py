"""Team secrets as the API and compiler see them: value in the store, version in the DB.

The store is written first: if the database write then fails, the store merely
holds an unreferenced version, whereas the other order could record a version
that holds no value.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.base import utcnow
from core.db.teams import SecretName, SecretVersion
from core.secretstore.base import SecretStore

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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


def version_labels(session: Session, team_id: str) -> dict[str, str]:
    """``{name: version label}`` for the team's secrets, the labels compiles put in
    cache keys (see :func:`version_label`)."""
    rows = session.execute(select(SecretName.name, SecretName.current_version,
                                  SecretName.created_at).where(SecretName.team_id == team_id))
    return {name: version_label(version, created) for name, version, created in rows}


def version_label(version: int, created_at: datetime) -> str:
    """``<version>.<generation>``: what a step's cache key holds for a secret it reads.

    The store counts versions from 1 again after a secret is deleted, so the
    version alone would repeat and bring back cache records made with the old
    value. The generation (the record's creation time in microseconds since the
    epoch) differs per incarnation and stays the same across rotations, so the
    label changes exactly when the value may have.
    """
    if created_at.tzinfo is None:  # a driver that drops the zone; stored as UTC
        created_at = created_at.replace(tzinfo=UTC)
    generation = (created_at - _EPOCH) // timedelta(microseconds=1)
    return f"{version}.{generation}"


def store_version(label: str) -> int:
    """The store's version number in a :func:`version_label` (or a bare version)."""
    return int(label.partition(".")[0])


def _row(session: Session, team_id: str, name: str) -> SecretName | None:
    return session.scalar(
        select(SecretName).where(SecretName.team_id == team_id, SecretName.name == name))
