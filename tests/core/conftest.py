"""Fixtures for the domain layer: databases on SQLite and PostgreSQL, Redis, moto."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from core.config import Settings
from core.db import Base, make_engine
from tests.conftest import free_tcp_port, need, tcp_open

# The stack's PostgreSQL, as the app's role (RB_POSTGRES_URL; password auth).
POSTGRES_URL = Settings.from_env().postgres_url
# A Redis database index that no other part of the system uses.
REDIS_TEST_DB = 14


def _postgres_reachable() -> bool:
    from sqlalchemy.engine import make_url

    url = make_url(POSTGRES_URL)
    return tcp_open(url.host or "127.0.0.1", url.port or 5432)


@pytest.fixture
def pg_schema_engine() -> Iterator[Engine]:
    """An engine whose connections use a fresh, empty PostgreSQL schema; dropped after."""
    need(_postgres_reachable(), "PostgreSQL is not answering at RB_POSTGRES_URL; "
                                "run scripts/services up")
    schema = f"rb_test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty SQLite file (a file, so threads share it)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'records.db'}")
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request: pytest.FixtureRequest) -> Engine:
    """An empty database of each supported kind."""
    fixture = "sqlite_engine" if request.param == "sqlite" else "pg_schema_engine"
    return request.getfixturevalue(fixture)


@pytest.fixture
def engine(empty_engine: Engine) -> Engine:
    """A database of each kind with every table created from the models."""
    Base.metadata.create_all(empty_engine)
    return empty_engine


@pytest.fixture
def redis_client(redis_url: str):
    """A client on the test DB index; each test's keys are deleted by ``key_prefix``."""
    import redis

    client = redis.Redis.from_url(redis_url, db=REDIS_TEST_DB)
    yield client
    client.close()




@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto S3 server (a real HTTP server in its own process) on a free port."""
    binary = Path(sys.executable).with_name("moto_server")
    need(binary.exists() or shutil.which("moto_server") is not None, "moto_server is absent")
    port = free_tcp_port()
    proc = subprocess.Popen([str(binary), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not tcp_open("127.0.0.1", port):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("moto_server did not start")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def s3_settings(settings, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch):
    """Settings pointing the object store at a fresh bucket name on moto's server."""
    # moto accepts any credentials; boto3 only needs some to sign requests.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    return settings.with_overrides(s3_endpoint=moto_endpoint,
                                   s3_bucket=f"rb-{uuid.uuid4().hex[:12]}")
