"""Teams, users and memberships: made by the demo, tests and administrators.

The API has no public sign-up; these functions are the one way accounts come to be.
"""

from __future__ import annotations

from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from core.db import Membership, Role, Team, User
from core.db.tokens import issue_token
from registry.naming import validate_team


def create_team(session: Session, slug: str, name: str = "") -> Team:
    """A new team; ``slug`` is its registry namespace, so it follows registry naming."""
    team = Team(slug=validate_team(slug), name=name or slug)
    session.add(team)
    session.flush()
    return team


def create_user(session: Session, username: str, password: str | None = None,
                display_name: str = "") -> User:
    user = User(username=username, display_name=display_name or username,
                password_hash=generate_password_hash(password) if password else None)
    session.add(user)
    session.flush()
    return user


def add_member(session: Session, team: Team, user: User, role: Role = Role.MEMBER) -> Membership:
    membership = Membership(team_id=team.id, user_id=user.id, role=role)
    session.add(membership)
    session.flush()
    return membership


def team_token(session: Session, team: Team, name: str = "team token",
               user: User | None = None) -> str:
    """Issue an API token (plain text, shown once); without a user it acts as an owner."""
    _row, plaintext = issue_token(session, team.id, name, user.id if user else None)
    return plaintext
