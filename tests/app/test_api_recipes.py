"""Recipes through the API: CRUD with immutable versions, validation with locations,
team scoping (another team's ids are 404) and the one error shape."""

from __future__ import annotations

from tests.app.apikit import *  # noqa: F403

GOOD = """version: "3"
build:
  steps:
    - type: command
      command: echo hello
"""
BROKEN = """version: "3"
build:
  steps:
    - type: command
      comand: echo hello
    - type: file
      path: relative/path
      content: x
"""


def test_create_get_update_versions_delete(client, team_a):
    h = team_a.headers()
    resp = client.post("/api/v1/recipes", json={"name": "web-app", "yaml": GOOD}, headers=h)
    assert resp.status_code == 201, resp.get_json()
    recipe = resp.get_json()
    assert recipe["name"] == "web-app" and recipe["version"]["number"] == 1
    rid = recipe["id"]

    changed = GOOD.replace("hello", "world")
    resp = client.put(f"/api/v1/recipes/{rid}", json={"yaml": changed}, headers=h)
    assert resp.status_code == 201
    assert resp.get_json()["version"]["number"] == 2
    # Saving identical text again adds no version.
    again = client.put(f"/api/v1/recipes/{rid}", json={"yaml": changed}, headers=h)
    assert again.status_code == 200 and again.get_json()["version"]["number"] == 2

    versions = client.get(f"/api/v1/recipes/{rid}/versions", headers=h).get_json()["versions"]
    assert [v["number"] for v in versions] == [2, 1]
    first = client.get(f"/api/v1/recipes/{rid}/versions/1", headers=h).get_json()
    assert first["yaml"] == GOOD  # the old version is unchanged
    assert client.get(f"/api/v1/recipes/{rid}", headers=h).get_json()["version"]["yaml"] == changed
    listed = client.get("/api/v1/recipes", headers=h).get_json()["recipes"]
    assert [(r["id"], r["latest_version"]["number"]) for r in listed] == [(rid, 2)]

    assert client.delete(f"/api/v1/recipes/{rid}", headers=h).status_code == 204
    assert client.get(f"/api/v1/recipes/{rid}", headers=h).status_code == 404
    assert client.get("/api/v1/recipes", headers=h).get_json()["recipes"] == []
    # The name is free again.
    assert client.post("/api/v1/recipes", json={"name": "web-app", "yaml": GOOD},
                       headers=h).status_code == 201


def test_duplicate_name_is_a_conflict(client, team_a, team_b):
    body = {"name": "dup", "yaml": GOOD}
    assert client.post("/api/v1/recipes", json=body, headers=team_a.headers()).status_code == 201
    resp = client.post("/api/v1/recipes", json=body, headers=team_a.headers())
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "conflict"
    # Names are per team.
    assert client.post("/api/v1/recipes", json=body, headers=team_b.headers()).status_code == 201


def test_validate_reports_every_problem_with_line_and_column(client, team_a):
    resp = client.post("/api/v1/recipes/validate", json={"yaml": BROKEN}, headers=team_a.headers())
    assert resp.status_code == 200
    report = resp.get_json()
    assert report["valid"] is False
    located = {(e["line"], e["path"]) for e in report["errors"]}
    assert (5, "build.steps[0].comand") in located
    assert any(e["line"] == 7 and "path" in e["path"] for e in report["errors"])
    assert all(e["col"] >= 1 and e["text"].startswith("recipe.yaml:") for e in report["errors"])
    ok = client.post("/api/v1/recipes/validate", json={"yaml": GOOD}, headers=team_a.headers())
    assert ok.get_json() == {"valid": True, "errors": [], "warnings": []}


def test_validate_knows_the_teams_secret_names(client, team_a):
    text = GOOD.replace("      command: echo hello\n", "      command: echo $KEY\n"
                        "      environment:\n        - name: KEY\n"
                        "          value: '{{secret:team.API_KEY}}'\n")
    h = team_a.headers()
    before = client.post("/api/v1/recipes/validate", json={"yaml": text}, headers=h).get_json()
    assert [e["message"] for e in before["errors"]] == ["unknown secret team.API_KEY"]
    assert client.put("/api/v1/team/secrets/API_KEY", json={"value": "s3cr3t"},
                      headers=h).status_code == 201
    after = client.post("/api/v1/recipes/validate", json={"yaml": text}, headers=h).get_json()
    assert after["valid"] is True


def test_invalid_recipe_is_not_saved(client, team_a):
    h = team_a.headers()
    resp = client.post("/api/v1/recipes", json={"name": "bad", "yaml": BROKEN}, headers=h)
    assert resp.status_code == 422
    error = resp.get_json()["error"]
    assert error["code"] == "invalid_recipe"
    assert {e["line"] for e in error["details"]["errors"]} >= {5, 7}
    assert client.get("/api/v1/recipes", headers=h).get_json()["recipes"] == []


def test_other_teams_recipes_are_not_found(client, team_a, team_b):
    rid = client.post("/api/v1/recipes", json={"name": "mine", "yaml": GOOD},
                      headers=team_a.headers()).get_json()["id"]
    hb = team_b.headers()
    for method, path, body in [
        ("get", f"/api/v1/recipes/{rid}", None),
        ("put", f"/api/v1/recipes/{rid}", {"yaml": GOOD + "\n"}),
        ("delete", f"/api/v1/recipes/{rid}", None),
        ("get", f"/api/v1/recipes/{rid}/versions", None),
        ("get", f"/api/v1/recipes/{rid}/versions/1", None),
        ("post", f"/api/v1/recipes/{rid}/plan", {}),
        ("get", f"/api/v1/builds?recipe_id={rid}", None),
        ("post", "/api/v1/builds", {"recipe_id": rid}),
    ]:
        resp = getattr(client, method)(path, json=body, headers=hb)
        assert resp.status_code == 404, (method, path, resp.get_json())
        assert resp.get_json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/recipes", headers=hb).get_json()["recipes"] == []
    # Still intact for its owner.
    assert client.get(f"/api/v1/recipes/{rid}/versions/1",
                      headers=team_a.headers()).get_json()["yaml"] == GOOD


def test_bad_bodies_get_the_error_shape(client, team_a):
    h = team_a.headers()
    cases = [
        (client.post("/api/v1/recipes", data="not json", headers=h), 415),
        (client.post("/api/v1/recipes", json=[1, 2], headers=h), 422),
        (client.post("/api/v1/recipes", json={"name": "Bad Name", "yaml": GOOD}, headers=h), 422),
        (client.post("/api/v1/recipes", json={"name": "x", "yaml": GOOD, "extra": 1},
                     headers=h), 422),
        (client.get("/api/v1/recipes/recipe-nope", headers=h), 404),
        (client.get("/api/v1/nowhere", headers=h), 404),
        (client.patch("/api/v1/recipes", headers=h), 405),
    ]
    for resp, status in cases:
        assert resp.status_code == status, resp.get_data(as_text=True)
        body = resp.get_json()
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
        assert "Traceback" not in resp.get_data(as_text=True)
    fields = cases[2][0].get_json()["error"]["details"]["errors"]
    assert fields[0]["field"] == "name"


def test_request_size_limit(client, team_a):
    big = "x" * (2 * 1024 * 1024)
    resp = client.post("/api/v1/recipes/validate", json={"yaml": big}, headers=team_a.headers())
    assert resp.status_code == 413
    assert resp.get_json()["error"]["code"] == "payload_too_large"


def test_the_one_off_repository_name_is_not_a_recipe_name(client, team_a):
    resp = client.post("/api/v1/recipes", json={"name": "adhoc", "yaml": GOOD},
                       headers=team_a.headers())
    assert resp.status_code == 422
    assert "one-off builds" in resp.get_data(as_text=True)


def test_the_list_shows_each_recipes_last_build(app, client, team_a):
    from datetime import timedelta

    from core import states
    from core.db import Build, BuildState, utcnow

    h = team_a.headers()
    created = client.post("/api/v1/recipes", json={"name": "listed", "yaml": GOOD},
                          headers=h).get_json()
    listed = client.get("/api/v1/recipes", headers=h).get_json()["recipes"]
    assert listed[0]["last_build"] is None  # never built

    sessions = app.extensions["rb.services"].sessions
    earlier = utcnow() - timedelta(minutes=5)
    with sessions() as session:
        done = Build(team_id=team_a.id, recipe_version_id=created["version"]["id"],
                     queued_at=earlier)
        session.add(done)
        session.commit()
        done_id = done.id
        for source, target in ((BuildState.QUEUED, BuildState.COMPILING),
                               (BuildState.COMPILING, BuildState.BUILDING),
                               (BuildState.BUILDING, BuildState.PUSHING)):
            states.transition(session, done_id, source, target)
        states.transition(session, done_id, BuildState.PUSHING, BuildState.SUCCEEDED,
                          image_ref="127.0.0.1:5000/a/listed:1")
        session.commit()
    listed = client.get("/api/v1/recipes", headers=h).get_json()["recipes"]
    assert listed[0]["last_build"]["id"] == done_id
    assert listed[0]["last_build"]["state"] == "succeeded"
    assert listed[0]["last_build"]["image_ref"] == "127.0.0.1:5000/a/listed:1"

    with sessions() as session:  # a newer one, still waiting, is the last build now
        newer = Build(team_id=team_a.id, recipe_version_id=created["version"]["id"])
        session.add(newer)
        session.commit()
        newer_id = newer.id
    last = client.get("/api/v1/recipes", headers=h).get_json()["recipes"][0]["last_build"]
    assert (last["id"], last["state"], last["image_ref"]) == (newer_id, "queued", None)
