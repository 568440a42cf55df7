"""/healthz reports the real state of Redis, BuildKit, the registry, the database and
the secret store."""

from __future__ import annotations

from app import create_app
from stack import registry_server


def test_all_services_up(settings, docker_socket, redis_url):
    client = create_app(settings).test_client()
    resp = client.get("/healthz")
    body = resp.get_json()
    assert resp.status_code == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"redis", "buildkit", "registry", "database", "secrets"}
    assert "unsealed" in body["checks"]["secrets"]["detail"]
    assert "BuildKit" in body["checks"]["buildkit"]["detail"]
    assert all(check["ok"] for check in body["checks"].values())


def test_registry_down_gives_503(settings, docker_socket, redis_url, spare_registry):
    layout, url = spare_registry
    client = create_app(settings.with_overrides(registry_url=url)).test_client()
    assert client.get("/healthz").status_code == 200

    registry_server.down(layout, name="spare-registry")

    resp = client.get("/healthz")
    body = resp.get_json()
    assert resp.status_code == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["registry"]["ok"] is False
    assert "refused" in body["checks"]["registry"]["detail"].lower()
    # The other services are still reported as they are.
    assert body["checks"]["redis"]["ok"] and body["checks"]["buildkit"]["ok"]


def test_database_and_redis_down_are_reported(settings, docker_socket, tmp_path):
    broken = settings.with_overrides(
        redis_url="redis://127.0.0.1:1/0",
        database_url="postgresql+psycopg://postgres@127.0.0.1:1/none",
    )
    body = create_app(broken).test_client().get("/healthz").get_json()
    assert body["status"] == "unavailable"
    assert body["checks"]["redis"]["ok"] is False
    assert body["checks"]["database"]["ok"] is False
    assert body["checks"]["buildkit"]["ok"] is True


def test_postgres_database_is_checked(settings, docker_socket):
    pg = settings.with_overrides(database_url=settings.postgres_url)
    body = create_app(pg).test_client().get("/healthz").get_json()
    assert body["checks"]["database"] == {**body["checks"]["database"], "ok": True}
    assert body["checks"]["database"]["detail"] == "postgresql answers"


def test_the_configured_engine_is_probed_not_the_docker_socket(settings, docker_socket,
                                                              tmp_path):
    """With buildkitd down and dockerd up, /healthz used to say BuildKit was up."""
    down = settings.with_overrides(buildkit_addr=f"unix://{tmp_path / 'buildkitd.sock'}")
    body = create_app(down).test_client().get("/healthz").get_json()
    assert body["status"] == "unavailable"
    assert body["checks"]["buildkit"]["ok"] is False
    on_docker = settings.with_overrides(buildkit_addr=f"docker://{docker_socket}")
    body = create_app(on_docker).test_client().get("/healthz").get_json()
    assert body["checks"]["buildkit"]["ok"] is True
    assert "Docker" in body["checks"]["buildkit"]["detail"]


def test_a_secret_store_that_does_not_answer_is_reported(settings, tmp_path, free_port):
    gone = settings.with_overrides(vault_addr=f"http://127.0.0.1:{free_port()}")
    body = create_app(gone).test_client().get("/healthz").get_json()
    assert body["status"] == "unavailable"
    assert body["checks"]["secrets"]["ok"] is False
    assert "not answering" in body["checks"]["secrets"]["detail"]
