"""Teams, users, memberships and API tokens: the one way accounts come to be.

There is no public sign-up: the web tier, the demo, the tests and the operators'
``dz admin`` all make accounts through these functions.  A team slug is its registry
namespace; callers check it with ``registry.naming.validate_team`` (core sits below
the registry layer, so it cannot).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from core.db.base import utcnow
from core.db.teams import ApiToken, Membership, Role, Team, User
from core.db.tokens import issue_token


def create_team(session: Session, slug: str, name: str = "") -> Team:
    """A new team with namespace ``slug`` (already checked by the caller)."""
    team = Team(slug=slug, name=name or slug)
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
    return issue_user_token(session, team, name, user)[1]


def issue_user_token(session: Session, team: Team, name: str = "team token",
                     user: User | None = None) -> tuple[ApiToken, str]:
    """Like :func:`team_token`, with the token's row (its id is what revokes it)."""
    return issue_token(session, team.id, name, user.id if user else None)


def find_team(session: Session, slug: str) -> Team | None:
    return session.scalar(select(Team).where(Team.slug == slug))


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def membership(session: Session, team: Team, user: User) -> Membership | None:
    return session.get(Membership, (team.id, user.id))


class LastOwner(Exception):
    """The change would leave a team without an owner (nobody could manage it then)."""


def members(session: Session, team_id: str) -> list[Membership]:
    """A team's memberships, owners first, then by username."""
    rows = session.scalars(select(Membership).join(User)
                           .where(Membership.team_id == team_id)
                           .order_by(Membership.role != Role.OWNER, User.username))
    return list(rows)


def lock_team(session: Session, team_id: str) -> None:
    """Serialise membership changes of one team until the transaction ends, so two owners
    demoting each other at once cannot both pass the last-owner check."""
    session.execute(select(Team.id).where(Team.id == team_id).with_for_update())


def _other_owners(session: Session, membership: Membership) -> int:
    return len(session.scalars(select(Membership.user_id).where(
        Membership.team_id == membership.team_id, Membership.role == Role.OWNER,
        Membership.user_id != membership.user_id)).all())


def set_role(session: Session, membership: Membership, role: Role) -> None:
    """Change a member's role; the team's last owner stays owner."""
    if membership.role is Role.OWNER and role is not Role.OWNER and not _other_owners(
            session, membership):
        raise LastOwner("the team's last owner cannot stop being owner; make another "
                        "member owner first")
    membership.role = role
    session.flush()


def remove_member(session: Session, membership: Membership) -> int:
    """Take a user out of a team (never its last owner) and revoke the API tokens they
    hold there, so a later re-invitation does not bring old tokens back to life.
    Returns how many tokens were revoked."""
    if membership.role is Role.OWNER and not _other_owners(session, membership):
        raise LastOwner("the team's last owner cannot be removed; make another member "
                        "owner first")
    tokens = session.scalars(select(ApiToken).where(
        ApiToken.team_id == membership.team_id, ApiToken.user_id == membership.user_id,
        ApiToken.revoked_at.is_(None))).all()
    now = utcnow()
    for token in tokens:
        token.revoked_at = now
    session.delete(membership)
    session.flush()
    return len(tokens)
