"""``dz admin``: the operator makes teams, users and tokens on the server's database, and
the web app accepts them (a fresh PostgreSQL schema, the real app)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

from tests.app.apikit import *  # noqa: F403

DZ = str(Path(sys.executable).with_name("dz"))


def admin(settings, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, **settings.as_env()}
    return subprocess.run([DZ, "admin", *args], env=env, input=stdin, capture_output=True,
                          text=True, timeout=120)


def me(client, token: str):
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def test_team_user_and_token_made_by_dz_admin_work_in_the_app(app_settings, client):
    slug = f"ops{uuid.uuid4().hex[:8]}"
    created = admin(app_settings, "team", "create", slug)
    assert created.returncode == 0 and f"team {slug} created" in created.stdout, created.stderr
    again = admin(app_settings, "team", "create", slug)
    assert again.returncode == 1 and f"team {slug} exists" in again.stderr
    reserved = admin(app_settings, "team", "create", "library")
    assert reserved.returncode == 1 and "reserved" in reserved.stderr

    owner, member = f"olive{slug}", f"mark{slug}"
    added = admin(app_settings, "user", "add", slug, owner, "--owner", "--password-stdin",
                  stdin="s3cret pass\n")
    assert added.returncode == 0 and f"{owner} added to {slug} as owner" in added.stdout
    assert admin(app_settings, "user", "add", slug, member).returncode == 0
    assert admin(app_settings, "user", "add", slug, member).returncode == 1  # already in

    issued = admin(app_settings, "token", "create", slug, owner)
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    token_id = issued.stderr.split()[1]
    seen = me(client, token)
    assert seen.status_code == 200
    assert seen.get_json()["team"]["slug"] == slug and seen.get_json()["role"] == "owner"
    member_token = admin(app_settings, "token", "create", slug, member).stdout.strip()
    assert me(client, member_token).get_json()["role"] == "member"
    signed_in = client.post("/api/v1/session", json={"username": owner, "password": "s3cret pass",
                                                     "team": slug})
    assert signed_in.status_code == 200 and signed_in.get_json()["role"] == "owner"

    promoted = admin(app_settings, "user", "add", slug, member, "--owner")
    assert promoted.returncode == 0 and "now owner" in promoted.stdout
    assert me(client, member_token).get_json()["role"] == "owner"
    demoted = admin(app_settings, "user", "add", slug, member)
    assert demoted.returncode == 0 and "now member" in demoted.stdout
    # Now the only owner: adding them again without --owner must not demote them.
    last = admin(app_settings, "user", "add", slug, owner)
    assert last.returncode == 1 and "last owner" in last.stderr
    assert me(client, token).get_json()["role"] == "owner"
    assert admin(app_settings, "user", "add", slug, member, "--owner").returncode == 0

    revoked = admin(app_settings, "token", "revoke", token_id)
    assert revoked.returncode == 0 and f"token {token_id} revoked" in revoked.stdout
    assert me(client, token).status_code == 401
    assert admin(app_settings, "token", "revoke", token_id).returncode == 1
    other = f"other{uuid.uuid4().hex[:8]}"
    assert admin(app_settings, "team", "create", other).returncode == 0
    outsider = admin(app_settings, "token", "create", other, owner)
    assert outsider.returncode == 1 and "not a member" in outsider.stderr
