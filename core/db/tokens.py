"""API tokens: issued once in plain text, stored only as a SHA-256 digest.

Tokens are 256 random bits, so a fast hash is enough (no password stretching):
guessing is hopeless and a lookup by digest stays an indexed equality match.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.base import utcnow
from core.db.teams import ApiToken

TOKEN_PREFIX = "rbt_"
_DISPLAY_CHARS = 8


def hash_token(plaintext: str) -> str:
    """The hex SHA-256 stored for a token."""
    return hashlib.sha256(plaintext.encode()).hexdigest()


def issue_token(session: Session, team_id: str, name: str = "",
                user_id: str | None = None) -> tuple[ApiToken, str]:
    """Create a token for a team; returns the row and the plain token (shown once)."""
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(team_id=team_id, user_id=user_id, name=name,
                   token_hash=hash_token(plaintext),
                   display_prefix=plaintext[: len(TOKEN_PREFIX) + _DISPLAY_CHARS])
    session.add(row)
    session.flush()
    return row, plaintext


def verify_token(session: Session, plaintext: str) -> ApiToken | None:
    """The live token row matching ``plaintext`` (and stamp its last use), else None."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(plaintext)))
    if row is None or row.revoked_at is not None:
        return None
    row.last_used_at = utcnow()
    return row


def revoke_token(session: Session, token_id: str) -> bool:
    """Revoke a token by id; False when there is no live token with that id."""
    row = session.get(ApiToken, token_id)
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    return True
