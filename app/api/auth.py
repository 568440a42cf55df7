"""Who is calling: a team API token (Bearer) or a signed-in browser session.

Every API call resolves to a :class:`Caller` holding exactly one team; handlers
scope every query by ``caller.team_id``, so another team's ids are simply "not
found".  Session callers must echo their CSRF token on state-changing requests
(tokens are not sent by browsers on their own, so bearer calls need none).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import g, request, session
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.errors import ApiError
from core.db import Membership, Role, Team, User
from core.db.tokens import verify_token

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True)
class Caller:
    """The authenticated caller of one request."""

    team_id: str
    team_slug: str
    role: Role
    user_id: str | None
    via: str  # "token" or "session"

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER


def caller_from_token(db: Session, plaintext: str) -> Caller | None:
    """The caller a bearer token stands for; None when the token is unknown or revoked.

    A token issued for a user carries that user's current role in the team (and
    dies with the membership); a team token without a user acts as an owner.
    """
    token = verify_token(db, plaintext)
    if token is None:
        return None
    team = db.get(Team, token.team_id)
    if team is None:
        return None
    role = Role.OWNER
    if token.user_id is not None:
        membership = db.get(Membership, (token.team_id, token.user_id))
        if membership is None:
            return None
        role = membership.role
    db.commit()  # keeps last_used_at
    return Caller(team.id, team.slug, role, token.user_id, "token")


def caller_from_session(db: Session, data: Any) -> Caller | None:
    """The caller of a browser session, re-checked against the membership each time."""
    user_id, team_id = data.get("user_id"), data.get("team_id")
    if not user_id or not team_id:
        return None
    membership = db.get(Membership, (team_id, user_id))
    if membership is None:
        return None
    return Caller(team_id, membership.team.slug, membership.role, user_id, "session")


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def authenticate(db: Session) -> Caller:
    """Resolve the caller of the current request or raise 401."""
    token = bearer_token()
    if token is not None:
        caller = caller_from_token(db, token)
        if caller is None:
            raise ApiError(401, "invalid or revoked API token")
        return caller
    caller = caller_from_session(db, session)
    if caller is None:
        raise ApiError(401, "authentication required: send 'Authorization: Bearer <token>'")
    if request.method not in SAFE_METHODS and not _csrf_ok():
        raise ApiError(403, f"missing or wrong {CSRF_HEADER} header", "csrf")
    return caller


def csrf_token() -> str:
    """This session's CSRF token (created on first use)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


def _csrf_ok() -> bool:
    sent = request.headers.get(CSRF_HEADER, "")
    return bool(sent) and hmac.compare_digest(sent, session.get("csrf", ""))


def sign_in(db: Session, username: str, password: str, team_slug: str | None) -> Caller:
    """Check a user's password and start a browser session for one of their teams."""
    from werkzeug.security import check_password_hash

    user = db.scalar(select(User).where(User.username == username))
    if user is None or not user.password_hash or not check_password_hash(
        user.password_hash, password
    ):
        raise ApiError(401, "wrong username or password")
    memberships = sorted(user.memberships, key=lambda m: m.team.slug)
    if team_slug:
        memberships = [m for m in memberships if m.team.slug == team_slug]
    if not memberships:
        raise ApiError(403, "the user belongs to no such team")
    chosen = memberships[0]
    session.clear()
    session.update(user_id=user.id, team_id=chosen.team_id)
    csrf_token()
    return Caller(chosen.team_id, chosen.team.slug, chosen.role, user.id, "session")


def current_caller() -> Caller:
    return g.rb_caller


def owner_only(view: Callable) -> Callable:
    """Refuse members: only owners manage credentials, tokens and team limits."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any):
        if not current_caller().is_owner:
            raise ApiError(403, "only team owners may do this")
        return view(*args, **kwargs)

    return wrapper
