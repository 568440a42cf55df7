"""Teams and who may act for them: users, memberships, API tokens, env vars, secrets.

Secret *values* never live here: only names and the versions the secret store gave
out, so the compiler can put a secret's version (not its value) in a step's cache key.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import ids
from core.db.base import Base, utcnow

DEFAULT_BUILD_TIMEOUT_S = 3600
DEFAULT_CONCURRENCY_LIMIT = 2


class Role(enum.StrEnum):
    """What a member may do in a team; owners also manage members and credentials."""

    OWNER = "owner"
    MEMBER = "member"


class Team(Base):
    """The isolation unit: owns recipes, builds, tokens, env vars and secrets."""

    __tablename__ = "teams"

    id: Mapped[str] = mapped_column(String(48), primary_key=True,
                                    default=lambda: ids.new_id(ids.TEAM))
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    build_timeout_s: Mapped[int] = mapped_column(default=DEFAULT_BUILD_TIMEOUT_S)
    concurrency_limit: Mapped[int] = mapped_column(default=DEFAULT_CONCURRENCY_LIMIT)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(back_populates="team",
                                                         cascade="all, delete-orphan")


class User(Base):
    """A person who signs in to the web UI; belongs to teams through memberships."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(48), primary_key=True,
                                    default=lambda: ids.new_id(ids.USER))
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    # A werkzeug/hashlib password hash; NULL for users who only use API tokens.
    password_hash: Mapped[str | None] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(back_populates="user",
                                                         cascade="all, delete-orphan")


class Membership(Base):
    """A user's role in one team."""

    __tablename__ = "memberships"

    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"),
                                         primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]),
        default=Role.MEMBER,
    )

    team: Mapped[Team] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(back_populates="memberships")


class ApiToken(Base):
    """A team's bearer token; only the SHA-256 of the token is stored (see tokens.py)."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(48), primary_key=True,
                                    default=lambda: ids.new_id(ids.TOKEN))
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the token, shown in listings so a user can tell tokens apart.
    display_prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class EnvVar(Base):
    """A team environment variable; plain values (use a secret for anything sensitive)."""

    __tablename__ = "env_vars"
    __table_args__ = (UniqueConstraint("team_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SecretName(Base):
    """A team secret known by name; its value lives in the secret store."""

    __tablename__ = "secret_names"
    __table_args__ = (UniqueConstraint("team_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    current_version: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    versions: Mapped[list[SecretVersion]] = relationship(
        back_populates="secret", cascade="all, delete-orphan", order_by="SecretVersion.version"
    )


class SecretVersion(Base):
    """One version the secret store returned for a put; never the value."""

    __tablename__ = "secret_versions"

    secret_id: Mapped[int] = mapped_column(ForeignKey("secret_names.id", ondelete="CASCADE"),
                                           primary_key=True)
    version: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    secret: Mapped[SecretName] = relationship(back_populates="versions")
