"""Bad input gets a 4xx in the API's error shape, never a 500: oversized path
integers, JSON nested past the parser's limit, booleans for integers, methods a
route does not serve; builds of deleted recipes are refused with a reason; and a
deduplicated build says whom it joined."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from app.api import accounts
from core.config import Settings
from core.db import Build, BuildState, make_engine
from core.db.migrate import upgrade
from tests.app.apikit import *  # noqa: F403

RECIPE = 'version: "3"\nbuild:\n  steps:\n    - type: command\n      command: echo hi\n'
NESTED = "[" * 5000 + "]" * 5000


def error_of(resp) -> dict:
    body = resp.get_json()
    assert set(body) == {"error"} and {"code", "message", "details"} <= set(body["error"])
    return body["error"]


def new_recipe(client, team) -> dict:
    resp = client.post("/api/v1/recipes", json={"name": f"r{uuid.uuid4().hex[:8]}",
                                                "yaml": RECIPE}, headers=team.headers())
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


@pytest.fixture
def sqlite_client(tmp_path: Path, settings: Settings):
    """The app on SQLite, whose driver refuses integers beyond 64 bits outright."""
    url = f"sqlite:///{tmp_path / 'records.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    application = make_app(settings.with_overrides(database_url=url,  # noqa: F405
                                                   flask_secret_key=uuid.uuid4().hex))
    with application.extensions["rb.services"].sessions() as session:
        team = accounts.create_team(session, f"t{uuid.uuid4().hex[:8]}")
        token = accounts.team_token(session, team)
        session.commit()
    yield application.test_client(), {"Authorization": f"Bearer {token}"}
    dispose(application)  # noqa: F405


def test_path_integers_the_database_cannot_hold_are_not_found(sqlite_client):
    client, headers = sqlite_client
    created = client.post("/api/v1/recipes", json={"name": "app", "yaml": RECIPE},
                          headers=headers)
    assert created.status_code == 201
    versions = f"/api/v1/recipes/{created.get_json()['id']}/versions"
    assert client.get(f"{versions}/1", headers=headers).status_code == 200
    for number in (2**31, 2**63, 10**40):
        resp = client.get(f"{versions}/{number}", headers=headers)
        assert resp.status_code == 404, number
        assert error_of(resp)["code"] == "not_found"


def test_json_nested_too_deep_is_a_bad_request(client, team_a):
    recipe = new_recipe(client, team_a)
    h = {**team_a.headers(), "Content-Type": "application/json"}
    for method, path in [("post", "/recipes"), ("post", "/builds"),
                         ("post", "/recipes/validate"), ("post", "/session"),
                         ("post", "/team/tokens"), ("patch", "/team"),
                         ("put", "/team/env/NAME"), ("put", f"/recipes/{recipe['id']}"),
                         ("post", f"/recipes/{recipe['id']}/plan")]:
        resp = getattr(client, method)(f"/api/v1{path}", data=NESTED, headers=h)
        assert resp.status_code == 400, (method, path, resp.status_code)
        assert error_of(resp)["code"] == "bad_request"


def test_a_boolean_is_not_an_integer(client, team_a):
    before = client.get("/api/v1/team", headers=team_a.headers()).get_json()
    for field in ("concurrency_limit", "build_timeout_s"):
        resp = client.patch("/api/v1/team", json={field: True}, headers=team_a.headers())
        assert resp.status_code == 422, field
        assert error_of(resp)["details"]["errors"][0]["field"] == field
    assert client.get("/api/v1/team", headers=team_a.headers()).get_json() == before


def test_method_not_allowed_says_what_is(client, team_a):
    resp = client.put("/api/v1/builds", headers=team_a.headers())
    assert resp.status_code == 405
    assert set(resp.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert error_of(resp)["code"] == "method_not_allowed"


def test_unknown_api_urls_get_the_error_shape(client, team_a):
    for path in ("/api", "/api/", "/api/v1/nothing", "/api/v1/recipes/x/versions/abc"):
        resp = client.get(path, headers=team_a.headers())
        assert resp.status_code == 404 and resp.is_json, path
        assert error_of(resp)["code"] == "not_found"


def test_a_version_of_a_deleted_recipe_is_not_built(app, client, team_a):
    recipe = new_recipe(client, team_a)
    assert client.delete(f"/api/v1/recipes/{recipe['id']}",
                         headers=team_a.headers()).status_code == 204
    resp = client.post("/api/v1/builds", json={"recipe_version_id": recipe["version"]["id"]},
                       headers=team_a.headers())
    assert resp.status_code == 409
    assert error_of(resp)["code"] == "recipe_deleted"
    assert client.get("/api/v1/builds", headers=team_a.headers()).get_json()["builds"] == []


def test_a_recipe_deleted_before_compiling_fails_the_build_with_the_reason(
        app, app_settings, client, team_a):
    from pipeline.compiling import compile_build
    from pipeline.services import Services

    recipe = new_recipe(client, team_a)
    sessions = app.extensions["rb.services"].sessions
    with sessions() as session:
        build = Build(team_id=team_a.id, recipe_version_id=recipe["version"]["id"])
        session.add(build)
        session.commit()
        build_id = build.id
    # Deleted between submit and compile.
    assert client.delete(f"/api/v1/recipes/{recipe['id']}",
                         headers=team_a.headers()).status_code == 204
    services = Services.from_settings(app_settings)
    try:
        assert compile_build(services, build_id, "test-worker") is False
    finally:
        services.engine.dispose()
    build = client.get(f"/api/v1/builds/{build_id}", headers=team_a.headers()).get_json()
    assert build["state"] == "failed"
    assert "recipe was deleted" in build["error"]["message"]


def test_a_joined_build_names_the_build_it_joined(app, client, team_a):
    sessions = app.extensions["rb.services"].sessions
    with sessions() as session:
        leader = Build(team_id=team_a.id, recipe_yaml=RECIPE)
        session.add(leader)
        session.flush()
        follower = Build(team_id=team_a.id, recipe_yaml=RECIPE, joined_build_id=leader.id)
        session.add(follower)
        session.commit()
        ids = leader.id, follower.id
    h = team_a.headers()
    assert client.get(f"/api/v1/builds/{ids[1]}", headers=h).get_json()[
        "joined_build_id"] == ids[0]
    assert client.get(f"/api/v1/builds/{ids[0]}", headers=h).get_json()[
        "joined_build_id"] is None
    schema = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["Build"]
    assert "joined_build_id" in schema["properties"]



def stored_build(app, team, state: BuildState) -> str:
    """A one-off build row in ``state`` (no worker ever sees it)."""
    with app.extensions["rb.services"].sessions() as session:
        build = Build(team_id=team.id, recipe_yaml=RECIPE, state=state)
        session.add(build)
        session.commit()
        return build.id

def test_the_text_log_names_its_charset_once(app, client, team_a):
    build_id = stored_build(app, team_a, BuildState.QUEUED)
    resp = client.get(f"/api/v1/builds/{build_id}/logs", headers=team_a.headers())
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_names_and_ids_the_database_cannot_hold_are_not_found(client, team_a):
    # PostgreSQL refuses NUL in text: such a name is no variable, secret or token.
    for path in ("/team/env/A%00B", "/team/secrets/A%00B", "/team/tokens/token-%00"):
        resp = client.delete(f"/api/v1{path}", headers=team_a.headers())
        assert resp.status_code == 404, path
        assert error_of(resp)["code"] == "not_found"


def test_follow_is_one_of_its_documented_values(app, client, team_a):
    build_id = stored_build(app, team_a, BuildState.FAILED)
    logs = f"/api/v1/builds/{build_id}/logs"
    assert client.get(f"{logs}?follow=0", headers=team_a.headers()).status_code == 200
    resp = client.get(f"{logs}?follow=sometimes", headers=team_a.headers())
    assert resp.status_code == 400 and "follow" in error_of(resp)["message"]
