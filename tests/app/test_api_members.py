"""A team owner manages members and API tokens through the API: members may look,
only owners change; a team keeps one owner; token secrets are shown once; a revoked
token or a removed member is refused at once; one team's owner cannot reach another's."""

from __future__ import annotations

import json

from sqlalchemy import text

from app.api import accounts
from core.db import Team
from core.db.accounts import find_user
from tests.app.apikit import *  # noqa: F403
from tests.app.apikit import PASSWORD


def user_headers(app, team, username: str) -> dict[str, str]:
    """A bearer token acting as ``username`` in ``team`` (as a token made in the UI does)."""
    with app.extensions["rb.services"].sessions() as session:
        found = session.get(Team, team.id)
        token = accounts.team_token(session, found, f"{username}'s",
                                    find_user(session, username))
        session.commit()
    return team.headers(token)


def members_of(client, headers) -> dict[str, dict]:
    resp = client.get("/api/v1/team/members", headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return {m["username"]: m for m in resp.get_json()["members"]}


def test_every_member_sees_who_is_in_the_team_and_their_roles(client, team_a):
    seen = members_of(client, team_a.headers(team_a.member_token))
    assert {name: m["role"] for name, m in seen.items()} == {team_a.owner: "owner",
                                                               team_a.member: "member"}
    assert all(m["user_id"].startswith("user-") for m in seen.values())
    assert "password" not in json.dumps(seen)


def test_owner_adds_new_and_existing_users_and_changes_roles(app, client, team_a, team_b):
    owner = user_headers(app, team_a, team_a.owner)
    made = client.post("/api/v1/team/members", headers=owner,
                       json={"username": "carol", "password": PASSWORD})
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["role"] == "member" and made.get_json()["username"] == "carol"
    # The new user signs in to the team with the password the owner gave.
    signed = client.post("/api/v1/session", json={"username": "carol", "password": PASSWORD,
                                                  "team": team_a.slug})
    assert signed.status_code == 200 and signed.get_json()["role"] == "member"
    client.delete("/api/v1/session")
    # A user of another team joins as they are; their password is not the owner's to set.
    assert client.post("/api/v1/team/members", headers=owner,
                       json={"username": team_b.member, "password": "x" * 12}).status_code == 409
    joined = client.post("/api/v1/team/members", headers=owner,
                         json={"username": team_b.member, "role": "owner"})
    assert joined.status_code == 201 and joined.get_json()["role"] == "owner"
    assert client.post("/api/v1/team/members", headers=owner,
                       json={"username": team_b.member}).status_code == 409
    unknown = client.post("/api/v1/team/members", headers=owner, json={"username": "nobody"})
    assert unknown.status_code == 422
    assert members_of(client, team_b.headers())[team_b.member]["role"] == "member"

    carol = made.get_json()["user_id"]
    promoted = client.patch(f"/api/v1/team/members/{carol}", headers=owner,
                            json={"role": "owner"})
    assert promoted.status_code == 200 and promoted.get_json()["role"] == "owner"
    assert client.delete(f"/api/v1/team/members/{carol}", headers=owner).status_code == 204
    assert set(members_of(client, owner)) == {team_a.owner, team_a.member, team_b.member}


def test_members_cannot_change_members_or_tokens(client, team_a):
    member = team_a.headers(team_a.member_token)
    ids = {name: m["user_id"] for name, m in members_of(client, member).items()}
    attempts = [("post", "/api/v1/team/members", {"username": "mallory", "password": PASSWORD}),
                ("patch", f"/api/v1/team/members/{ids[team_a.member]}", {"role": "owner"}),
                ("delete", f"/api/v1/team/members/{ids[team_a.owner]}", None),
                ("get", "/api/v1/team/tokens", None), ("post", "/api/v1/team/tokens", {}),
                ("delete", "/api/v1/team/tokens/token-" + "0" * 32, None)]
    for method, path, body in attempts:
        resp = getattr(client, method)(path, json=body, headers=member)
        assert resp.status_code == 403, (method, path)
    assert {n: m["role"] for n, m in members_of(client, member).items()} == {
        team_a.owner: "owner", team_a.member: "member"}


def test_a_team_always_keeps_an_owner(app, client, team_a):
    owner = user_headers(app, team_a, team_a.owner)
    ids = {name: m["user_id"] for name, m in members_of(client, owner).items()}
    demote = client.patch(f"/api/v1/team/members/{ids[team_a.owner]}", headers=owner,
                          json={"role": "member"})
    assert demote.status_code == 409 and "last owner" in demote.get_json()["error"]["message"]
    assert client.delete(f"/api/v1/team/members/{ids[team_a.owner]}",
                         headers=owner).status_code == 409
    # With a second owner the first may go; then the second is the last one.
    assert client.patch(f"/api/v1/team/members/{ids[team_a.member]}", headers=owner,
                        json={"role": "owner"}).status_code == 200
    assert client.delete(f"/api/v1/team/members/{ids[team_a.owner]}",
                         headers=owner).status_code == 204
    new_owner = team_a.headers(team_a.member_token)
    assert client.delete(f"/api/v1/team/members/{ids[team_a.member]}",
                         headers=new_owner).status_code == 409
    assert {n: m["role"] for n, m in members_of(client, new_owner).items()} == {
        team_a.member: "owner"}


def test_a_removed_member_is_refused_at_once_and_stays_so_when_re_added(app, client, team_a):
    owner = user_headers(app, team_a, team_a.owner)
    member = team_a.headers(team_a.member_token)
    assert client.get("/api/v1/recipes", headers=member).status_code == 200
    member_id = members_of(client, owner)[team_a.member]["user_id"]
    assert client.delete(f"/api/v1/team/members/{member_id}", headers=owner).status_code == 204
    assert client.get("/api/v1/recipes", headers=member).status_code == 401
    assert client.post("/api/v1/team/members", headers=owner,
                       json={"username": team_a.member}).status_code == 201
    # Their old token was revoked with the membership, not merely suspended.
    assert client.get("/api/v1/recipes", headers=member).status_code == 401


def test_token_secret_is_shown_once_stored_hashed_and_revoked_at_once(app, client, team_a):
    owner = user_headers(app, team_a, team_a.owner)
    made = client.post("/api/v1/team/tokens", json={"name": "ci"}, headers=owner)
    assert made.status_code == 201
    secret = made.get_json()["token"]
    new = team_a.headers(secret)
    assert client.get("/api/v1/recipes", headers=new).status_code == 200
    listing = client.get("/api/v1/team/tokens", headers=owner)
    assert secret not in listing.get_data(as_text=True)
    (row,) = [t for t in listing.get_json()["tokens"] if t["id"] == made.get_json()["id"]]
    assert row["name"] == "ci" and row["user"] == team_a.owner
    assert secret.startswith(row["prefix"]) and len(row["prefix"]) < len(secret) // 2
    assert row["created_at"] and row["last_used_at"]
    with app.extensions["rb.services"].engine.connect() as conn:
        stored = conn.execute(text("SELECT * FROM api_tokens")).all()
    assert secret not in json.dumps([list(map(str, r)) for r in stored])

    assert client.delete(f"/api/v1/team/tokens/{row['id']}", headers=owner).status_code == 204
    refused = client.get("/api/v1/recipes", headers=new)
    assert refused.status_code == 401
    ids = [t["id"] for t in client.get("/api/v1/team/tokens", headers=owner).get_json()["tokens"]]
    assert row["id"] not in ids
    assert client.delete(f"/api/v1/team/tokens/{row['id']}", headers=owner).status_code == 404


def test_an_owner_cannot_touch_another_teams_members_or_tokens(app, client, team_a, team_b):
    owner_a = user_headers(app, team_a, team_a.owner)
    b_members = members_of(client, team_b.headers())
    b_member = b_members[team_b.member]["user_id"]
    b_owner = b_members[team_b.owner]["user_id"]
    assert client.patch(f"/api/v1/team/members/{b_member}", headers=owner_a,
                        json={"role": "owner"}).status_code == 404
    assert client.delete(f"/api/v1/team/members/{b_owner}", headers=owner_a).status_code == 404
    b_token = client.post("/api/v1/team/tokens", json={"name": "b-ci"},
                          headers=team_b.headers()).get_json()
    assert client.delete(f"/api/v1/team/tokens/{b_token['id']}",
                         headers=owner_a).status_code == 404
    listed_a = client.get("/api/v1/team/tokens", headers=owner_a).get_json()["tokens"]
    assert b_token["id"] not in [t["id"] for t in listed_a]
    assert team_b.member not in members_of(client, owner_a)
    # Team B is as it was, and its token still works.
    assert {n: m["role"] for n, m in members_of(client, team_b.headers()).items()} == {
        team_b.owner: "owner", team_b.member: "member"}
    assert client.get("/api/v1/recipes",
                      headers=team_b.headers(b_token["token"])).status_code == 200
