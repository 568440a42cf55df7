"""Teams, users and memberships for the web tier: :mod:`core.db.accounts`, plus the
registry's check of a new team's slug (core sits below the registry layer)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.db import Team
from core.db import accounts as records
from core.db.accounts import add_member, create_user, team_token
from registry.naming import validate_team

__all__ = ["add_member", "create_team", "create_user", "team_token"]


def create_team(session: Session, slug: str, name: str = "") -> Team:
    """A new team; ``slug`` is its registry namespace, so it follows registry naming."""
    return records.create_team(session, validate_team(slug), name)
