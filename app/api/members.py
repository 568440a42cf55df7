"""A team's members: who they are and their roles; owners add, promote, demote and remove.

Every member may list the team's members (knowing who else can build and who to ask
for a token is part of working in a team); only owners change them.  An owner adds a
user by username: an existing user (of another team) joins as they are, and an
unknown username becomes a new user with the password the owner gives (there is no
public sign-up and no mail, so the owner hands that password over).  A team always
keeps one owner.
"""

from __future__ import annotations

from typing import Literal

from flask import jsonify
from pydantic import Field

from app.api import bp
from app.api.auth import current_caller, owner_only
from app.api.context import db
from app.api.errors import ApiError, not_found
from app.api.schemas import Body, parse
from core.db import Membership, Role, Team, ids
from core.db import accounts as records

# Usernames are typed at sign-in and shown in lists: plain printable names.
USERNAME = r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$"
MIN_PASSWORD = 8
# A Literal (not the Role enum) keeps the request schema inline in the OpenAPI document.
RoleName = Literal["owner", "member"]


class MemberAdd(Body):
    username: str = Field(min_length=1, max_length=64, pattern=USERNAME)
    role: RoleName = "member"
    password: str | None = Field(
        default=None, min_length=MIN_PASSWORD, max_length=1024,
        description="only for a new user (their web UI password); leave it out to add an "
                    "existing user")


class MemberUpdate(Body):
    role: RoleName


def member(row: Membership) -> dict:
    return {"user_id": row.user_id, "username": row.user.username,
            "display_name": row.user.display_name, "role": row.role.value}


def _membership(user_id: str) -> Membership:
    """The caller's team's membership of ``user_id``; another team's member is not found."""
    row = (db().get(Membership, (current_caller().team_id, user_id))
           if ids.has_prefix(user_id, ids.USER) else None)
    if row is None:
        raise not_found("member")
    return row


def _locked_team() -> Team:
    team_id = current_caller().team_id
    records.lock_team(db(), team_id)
    return db().get(Team, team_id)


@bp.get("/team/members")
def list_members():
    rows = records.members(db(), current_caller().team_id)
    return jsonify({"members": [member(r) for r in rows]})


@bp.post("/team/members")
@owner_only
def add_member():
    body = parse(MemberAdd)
    team = _locked_team()
    user = records.find_user(db(), body.username)
    if user is None:
        if body.password is None:
            raise ApiError(422, f"no user {body.username}: give a password to create them",
                           "invalid")
        user = records.create_user(db(), body.username, body.password)
    elif body.password is not None:
        raise ApiError(409, f"user {body.username} exists: leave the password out to add "
                       "them (their password stays theirs)")
    elif records.membership(db(), team, user) is not None:
        raise ApiError(409, f"{body.username} is already a member")
    row = records.add_member(db(), team, user, Role(body.role))
    db().commit()
    return jsonify(member(row)), 201


@bp.patch("/team/members/<user_id>")
@owner_only
def change_role(user_id: str):
    body = parse(MemberUpdate)
    _locked_team()
    row = _membership(user_id)
    try:
        records.set_role(db(), row, Role(body.role))
    except records.LastOwner as exc:
        raise ApiError(409, str(exc)) from None
    db().commit()
    return jsonify(member(row))


@bp.delete("/team/members/<user_id>")
@owner_only
def remove_member(user_id: str):
    _locked_team()
    row = _membership(user_id)
    try:
        records.remove_member(db(), row)
    except records.LastOwner as exc:
        raise ApiError(409, str(exc)) from None
    db().commit()
    return "", 204
