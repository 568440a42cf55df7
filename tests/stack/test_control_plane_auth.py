"""The control plane asks for passwords even on loopback (defence in depth behind the
build network's fence): Redis has no open default user, PostgreSQL's superuser cannot
log in over TCP and the app's role needs its password."""

from __future__ import annotations

from urllib.parse import urlparse

import psycopg
import pytest
import redis

from core.health import database_check


def test_redis_refuses_clients_without_the_generated_password(redis_url):
    url = urlparse(redis_url)
    anonymous = redis.Redis(host=url.hostname, port=url.port, socket_timeout=3)
    with pytest.raises(redis.AuthenticationError):
        anonymous.get("anything")
    wrong = redis.Redis(host=url.hostname, port=url.port, username=url.username,
                        password="guess", socket_timeout=3)
    with pytest.raises(redis.AuthenticationError):
        wrong.ping()
    assert redis.Redis.from_url(redis_url, socket_timeout=3).ping()


@pytest.fixture
def postgres(settings):
    check = database_check(settings.postgres_url)
    from tests.conftest import need

    need(check.ok, f"PostgreSQL is not answering: {check.detail}")
    return urlparse(settings.postgres_url.replace("+psycopg", ""))


@pytest.mark.parametrize("user,password", [("postgres", None), ("postgres", "postgres"),
                                           ("recipe_builder", None),
                                           ("recipe_builder", "guess")])
def test_postgres_refuses_tcp_logins_without_the_app_password(postgres, user, password):
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(host=postgres.hostname, port=postgres.port, user=user,
                        password=password, dbname="postgres", connect_timeout=3)


def test_postgres_app_role_logs_in_with_its_password_and_is_no_superuser(postgres):
    with psycopg.connect(host=postgres.hostname, port=postgres.port,
                         user=postgres.username, password=postgres.password,
                         dbname=postgres.path.lstrip("/"), connect_timeout=3) as conn:
        superuser = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        assert superuser.fetchone() == (False,)
