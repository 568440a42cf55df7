"""Fixtures for API, websocket, UI and CLI tests: a fresh PostgreSQL schema, a private
Redis database, a state directory, and two teams with tokens.

Import the fixtures into a test module (``from tests.app.apikit import *``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from app import create_app
from app.api import accounts
from core.config import Settings
from core.db import Role, make_engine, make_session_factory
from core.db.migrate import upgrade
from core.health import database_check
from tests.conftest import need

# A Redis database index only these tests use (the broker of their Celery workers too,
# so no other test's worker can take their tasks).
REDIS_DB = 12
PASSWORD = "correct horse battery staple"


@dataclass
class TeamFixture:
    id: str
    slug: str
    token: str
    owner: str
    member: str
    member_token: str

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}"}


@contextmanager
def isolated_settings(base: Settings, root: Path) -> Iterator[Settings]:
    """Settings on a private, migrated PostgreSQL schema, a Redis DB of these tests and
    an archive under ``root``; the state dir (registry credentials) stays the system's."""
    postgres = base.postgres_url
    need(database_check(postgres).ok, "PostgreSQL is not answering at RB_POSTGRES_URL")
    schema = f"rb_app_{uuid.uuid4().hex[:12]}"
    admin = make_engine(postgres)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{postgres}?options=-csearch_path%3D{schema}"
    configured = base.with_overrides(
        database_url=url, redis_url=base.redis_url.rsplit("/", 1)[0] + f"/{REDIS_DB}",
        archive_dir=root / "archive", secret_store_key=Fernet.generate_key().decode(),
        flask_secret_key=uuid.uuid4().hex)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield configured
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def app_settings(tmp_path: Path, settings: Settings, redis_url: str) -> Iterator[Settings]:
    with isolated_settings(settings, tmp_path) as configured:
        yield configured


def make_app(configured: Settings):
    application = create_app(configured)
    application.config["TESTING"] = True
    return application


def dispose(application) -> None:
    services = application.extensions["rb.services"]
    if "engine" in services.__dict__:
        services.engine.dispose()


@pytest.fixture
def app(app_settings: Settings):
    application = make_app(app_settings)
    yield application
    dispose(application)


@pytest.fixture
def client(app):
    return app.test_client()


def make_team(app, slug: str) -> TeamFixture:
    services = app.extensions["rb.services"]
    with services.sessions() as session:
        team = accounts.create_team(session, slug)
        owner = accounts.create_user(session, f"{slug}-owner", PASSWORD)
        member = accounts.create_user(session, f"{slug}-member", PASSWORD)
        accounts.add_member(session, team, owner, Role.OWNER)
        accounts.add_member(session, team, member, Role.MEMBER)
        token = accounts.team_token(session, team)
        member_token = accounts.team_token(session, team, "member token", member)
        session.commit()
        return TeamFixture(team.id, team.slug, token, owner.username, member.username,
                           member_token)


@pytest.fixture
def team_a(app) -> TeamFixture:
    return make_team(app, f"alpha{uuid.uuid4().hex[:6]}")


@pytest.fixture
def team_b(app) -> TeamFixture:
    return make_team(app, f"bravo{uuid.uuid4().hex[:6]}")


__all__ = ["app", "app_settings", "isolated_settings", "make_app", "dispose", "client", "team_a",
           "team_b", "TeamFixture", "make_team", "make_session_factory", "PASSWORD"]
