"""``POST /api/v1/recipes/migrate``: a legacy recipe in, the version 3 recipe and the
report out; authenticated like every recipe endpoint; the result saves as a recipe."""

from __future__ import annotations

import uuid

from tests.app.apikit import *  # noqa: F403

LEGACY = """\
# the team's old workspace
dev:
  codeCloneRoot: /home/devzero/src
  repos:
  - https://github.com/example-org/api
  commands:
  - command: make deps
    dir: api
    name: deps
  - command: make serve
    name: run_at_startup_serve
  packages:
  - nixpkgs.curl
  - nixpkgs.go
env:
- key: MODE
  value: dev
"""


def test_migrate_returns_v3_yaml_changes_and_untranslated(client, team_a):
    resp = client.post("/api/v1/recipes/migrate", json={"yaml": LEGACY}, headers=team_a.headers())
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert set(body) == {"yaml", "changes", "untranslated"}
    assert body["yaml"].startswith('# the team\'s old workspace\n\nversion: "3"\n')
    assert {"line": 8, "message": "dev.commands[0].dir: dir -> directory"} in body["changes"]
    assert any(c["line"] == 10 and "launch.steps" in c["message"] for c in body["changes"])
    assert [u["line"] for u in body["untranslated"]] == [14]
    assert "nixpkgs.go" in body["untranslated"][0]["reason"]
    # the editor can save what it got back: it validates as a version 3 recipe
    check = client.post(
        "/api/v1/recipes/validate", json={"yaml": body["yaml"]}, headers=team_a.headers()
    ).get_json()
    assert check["valid"] is True, check["errors"]
    name = f"migrated-{uuid.uuid4().hex[:8]}"
    saved = client.post(
        "/api/v1/recipes", json={"name": name, "yaml": body["yaml"]}, headers=team_a.headers()
    )
    assert saved.status_code == 201, saved.get_json()


def test_validating_the_legacy_file_points_at_migrate(client, team_a):
    report = client.post(
        "/api/v1/recipes/validate", json={"yaml": LEGACY}, headers=team_a.headers()
    ).get_json()
    assert report["valid"] is False
    assert "POST /api/v1/recipes/migrate" in report["errors"][0]["message"]


def test_migrate_needs_a_token(client):
    resp = client.post("/api/v1/recipes/migrate", json={"yaml": LEGACY})
    assert resp.status_code == 401


def test_unreadable_yaml_is_422_with_located_errors(client, team_a):
    resp = client.post(
        "/api/v1/recipes/migrate", json={"yaml": "dev: [\n"}, headers=team_a.headers()
    )
    assert resp.status_code == 422
    error = resp.get_json()["error"]
    assert error["code"] == "invalid_recipe"
    assert error["details"]["errors"][0]["line"] >= 1
