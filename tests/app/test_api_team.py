"""Team settings through the API: env vars, write-only secrets, registry robot credentials,
limits, tokens, roles and browser sessions."""

from __future__ import annotations

import json

from sqlalchemy import text

from tests.app.apikit import *  # noqa: F403

SECRET_VALUE = "hunter2-value-that-must-never-come-back"


def test_env_vars_crud_and_isolation(client, team_a, team_b):
    h = team_a.headers()
    assert client.put("/api/v1/team/env/GO_VERSION", json={"value": "1.22"},
                      headers=h).status_code == 201
    resp = client.put("/api/v1/team/env/GO_VERSION", json={"value": "1.23"}, headers=h)
    assert resp.status_code == 200 and resp.get_json()["value"] == "1.23"
    env = client.get("/api/v1/team/env", headers=h).get_json()["env"]
    assert [(e["name"], e["value"]) for e in env] == [("GO_VERSION", "1.23")]
    assert client.get("/api/v1/team/env", headers=team_b.headers()).get_json()["env"] == []
    assert client.delete("/api/v1/team/env/GO_VERSION",
                         headers=team_b.headers()).status_code == 404
    assert client.put("/api/v1/team/env/1BAD", json={"value": "x"}, headers=h).status_code == 422
    assert client.put("/api/v1/team/env/DEVZERO_X", json={"value": "x"},
                      headers=h).status_code == 422
    assert client.delete("/api/v1/team/env/GO_VERSION", headers=h).status_code == 204
    assert client.get("/api/v1/team/env", headers=h).get_json()["env"] == []


def test_secrets_are_write_only(app, client, team_a, team_b):
    h = team_a.headers()
    created = client.put("/api/v1/team/secrets/NPM_TOKEN", json={"value": SECRET_VALUE},
                         headers=h)
    assert created.status_code == 201
    assert created.get_json()["version"] == 1
    rotated = client.put("/api/v1/team/secrets/NPM_TOKEN", json={"value": SECRET_VALUE + "2"},
                         headers=h)
    assert rotated.status_code == 200
    assert rotated.get_json()["version"] == 2 and rotated.get_json()["versions"] == [1, 2]
    listing = client.get("/api/v1/team/secrets", headers=h)
    assert [(s["name"], s["version"]) for s in listing.get_json()["secrets"]] == [("NPM_TOKEN", 2)]
    everything = [created, rotated, listing, client.get("/api/v1/me", headers=h),
                  client.get("/api/v1/team", headers=h)]
    for resp in everything:
        assert SECRET_VALUE not in resp.get_data(as_text=True)
    # No route reads a value back.
    assert client.get("/api/v1/team/secrets/NPM_TOKEN", headers=h).status_code == 405
    # The value is in the secret store (for the build), not in the database.
    services = app.extensions["rb.services"]
    assert services.secrets.get(team_a.id, "NPM_TOKEN") == (SECRET_VALUE + "2").encode()
    with services.engine.connect() as conn:
        for table in ("secret_names", "secret_versions", "env_vars"):
            rows = conn.execute(text(f"SELECT * FROM {table}")).all()
            assert SECRET_VALUE not in json.dumps([list(map(str, r)) for r in rows])
    # Other teams neither see nor delete it.
    assert client.get("/api/v1/team/secrets", headers=team_b.headers()).get_json() == {
        "secrets": []}
    assert client.delete("/api/v1/team/secrets/NPM_TOKEN",
                         headers=team_b.headers()).status_code == 404
    assert client.delete("/api/v1/team/secrets/NPM_TOKEN", headers=h).status_code == 204
    assert client.get("/api/v1/team/secrets", headers=h).get_json() == {"secrets": []}
    empty = client.put("/api/v1/team/secrets/EMPTY", json={"value": ""}, headers=h)
    assert empty.status_code == 422


def test_registry_credentials_shown_once_and_rotated(app, client, team_a):
    h = team_a.headers()
    resp = client.post("/api/v1/team/registry-credentials", headers=h)
    assert resp.status_code == 201
    first = resp.get_json()
    assert first["username"] == f"{team_a.slug}+robot" and len(first["password"]) > 20
    robots = app.extensions["rb.services"].robots
    assert robots.verify(first["username"], first["password"]).team == team_a.slug
    assert client.post("/api/v1/team/registry-credentials", headers=h).status_code == 409
    second = client.post("/api/v1/team/registry-credentials/rotate", headers=h).get_json()
    assert second["password"] != first["password"]
    assert robots.verify(first["username"], first["password"]) is None
    assert robots.verify(second["username"], second["password"]).team == team_a.slug


def test_limits_and_owner_only_actions(client, team_a):
    owner, member = team_a.headers(), team_a.headers(team_a.member_token)
    resp = client.patch("/api/v1/team", json={"build_timeout_s": 600, "concurrency_limit": 3},
                        headers=owner)
    assert resp.status_code == 200
    assert client.get("/api/v1/team", headers=member).get_json()["build_timeout_s"] == 600
    assert client.patch("/api/v1/team", json={"concurrency_limit": 0},
                        headers=owner).status_code == 422
    for method, path in [("patch", "/api/v1/team"), ("post", "/api/v1/team/registry-credentials"),
                         ("get", "/api/v1/team/tokens"), ("post", "/api/v1/team/tokens")]:
        resp = getattr(client, method)(path, json={}, headers=member)
        assert resp.status_code == 403, path
        assert resp.get_json()["error"]["code"] == "forbidden"
    # Members may still manage env vars and secrets.
    assert client.put("/api/v1/team/env/X", json={"value": "1"}, headers=member).status_code == 201


def test_tokens_issue_and_revoke(client, team_a):
    h = team_a.headers()
    made = client.post("/api/v1/team/tokens", json={"name": "ci"}, headers=h).get_json()
    new = {"Authorization": f"Bearer {made['token']}"}
    assert client.get("/api/v1/me", headers=new).get_json()["team"]["slug"] == team_a.slug
    names = [t["name"] for t in client.get("/api/v1/team/tokens", headers=h).get_json()["tokens"]]
    assert "ci" in names
    assert made["token"] not in client.get("/api/v1/team/tokens", headers=h).get_data(as_text=True)
    assert client.delete(f"/api/v1/team/tokens/{made['id']}", headers=h).status_code == 204
    resp = client.get("/api/v1/me", headers=new)
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "unauthorized"


def test_unauthenticated_and_bad_tokens(client, team_a):
    assert client.get("/api/v1/recipes").status_code == 401
    assert client.get("/api/v1/recipes",
                      headers={"Authorization": "Bearer rbt_nope"}).status_code == 401
    assert client.get("/api/v1/openapi.json").status_code == 200


def test_browser_session_roles_and_csrf(client, team_a, team_b):
    from tests.app.apikit import PASSWORD

    bad = client.post("/api/v1/session", json={"username": team_a.member, "password": "wrong"})
    assert bad.status_code == 401
    resp = client.post("/api/v1/session", json={"username": team_a.member, "password": PASSWORD})
    assert resp.status_code == 200
    session = resp.get_json()
    assert session["role"] == "member" and session["team"] == team_a.slug
    me = client.get("/api/v1/me").get_json()
    assert me["via"] == "session" and me["team"]["id"] == team_a.id
    # A state change without the CSRF header is refused; with it, it works.
    body = {"name": "from-browser", "yaml": 'version: "3"\n'}
    assert client.post("/api/v1/recipes", json=body).status_code == 403
    ok = client.post("/api/v1/recipes", json=body,
                     headers={"X-CSRF-Token": session["csrf_token"]})
    assert ok.status_code == 201
    # The member is not an owner, and sees only their team.
    assert client.get("/api/v1/team/tokens").status_code == 403
    assert client.get("/api/v1/recipes").get_json()["recipes"][0]["name"] == "from-browser"
    assert client.delete("/api/v1/session").status_code == 403
    assert client.delete("/api/v1/session",
                         headers={"X-CSRF-Token": session["csrf_token"]}).status_code == 204
    assert client.get("/api/v1/me").status_code == 401
