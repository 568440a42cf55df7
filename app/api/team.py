"""The team itself: who am I, sign in/out, limits, env vars, API tokens, registry robot."""

from __future__ import annotations

import re

from flask import jsonify, session
from sqlalchemy import select

from app.api import bp, serialize
from app.api.auth import csrf_token, current_caller, owner_only, sign_in
from app.api.context import db
from app.api.errors import ApiError, not_found
from app.api.schemas import SignIn, TeamSettingsUpdate, TokenCreate, ValueBody, parse
from app.api.services import services
from core import teamenv
from core.db import ApiToken, EnvVar, Team, User, ids
from core.db.tokens import issue_token, revoke_token

VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
RESERVED_PREFIX = "DEVZERO_"


def checked_var_name(name: str) -> str:
    """Env var and secret names: shell-safe, and not in the reserved namespace."""
    if not is_var_name(name):
        raise ApiError(422, f"invalid name {name!r}: use letters, digits and _, not starting "
                       "with a digit", "invalid")
    if name.upper().startswith(RESERVED_PREFIX):
        raise ApiError(422, f"names starting with {RESERVED_PREFIX} are reserved", "invalid")
    return name


def is_var_name(name: str) -> bool:
    """Whether ``name`` could name a variable or secret (others are simply not found)."""
    return VAR_NAME.fullmatch(name) is not None


def _team() -> Team:
    return db().get(Team, current_caller().team_id)


@bp.post("/session", endpoint="sign_in")
def sign_in_session():
    body = parse(SignIn)
    caller = sign_in(db(), body.username, body.password, body.team)
    return jsonify({"team": caller.team_slug, "role": caller.role.value,
                    "user_id": caller.user_id, "csrf_token": csrf_token()})


@bp.delete("/session")
def sign_out():
    session.clear()
    return "", 204


@bp.get("/me")
def whoami():
    caller = current_caller()
    return jsonify({"team": serialize.team(_team()), "role": caller.role.value,
                    "user_id": caller.user_id, "via": caller.via})


@bp.get("/team")
def get_team():
    return jsonify(serialize.team(_team()))


@bp.patch("/team")
@owner_only
def update_team():
    body = parse(TeamSettingsUpdate)
    team = _team()
    if body.build_timeout_s is not None:
        team.build_timeout_s = body.build_timeout_s
    if body.concurrency_limit is not None:
        team.concurrency_limit = body.concurrency_limit
    db().commit()
    return jsonify(serialize.team(team))


@bp.get("/team/env")
def list_env():
    rows = db().scalars(select(EnvVar).where(EnvVar.team_id == current_caller().team_id)
                        .order_by(EnvVar.name))
    return jsonify({"env": [serialize.env_var(r) for r in rows]})


@bp.put("/team/env/<name>")
def set_env(name: str):
    checked_var_name(name)
    body = parse(ValueBody)
    team_id = current_caller().team_id
    created = name not in teamenv.env_values(db(), team_id)
    row = teamenv.set_env(db(), team_id, name, body.value)
    db().commit()
    return jsonify(serialize.env_var(row)), 201 if created else 200


@bp.delete("/team/env/<name>")
def delete_env(name: str):
    if not is_var_name(name) or not teamenv.delete_env(db(), current_caller().team_id, name):
        raise not_found("variable")
    db().commit()
    return "", 204


@bp.get("/team/tokens")
@owner_only
def list_tokens():
    # Never the secret (only its digest is stored): its first characters tell tokens apart.
    # "user" is whom the token acts as (who made it in the UI); null for a team token.
    rows = db().execute(select(ApiToken, User.username)
                        .outerjoin(User, User.id == ApiToken.user_id)
                        .where(ApiToken.team_id == current_caller().team_id,
                               ApiToken.revoked_at.is_(None))
                        .order_by(ApiToken.created_at))
    return jsonify({"tokens": [{"id": t.id, "name": t.name, "prefix": t.display_prefix,
                                "user": username,
                                "created_at": serialize.iso(t.created_at),
                                "last_used_at": serialize.iso(t.last_used_at)}
                               for t, username in rows]})


@bp.post("/team/tokens")
@owner_only
def create_token():
    body = parse(TokenCreate)
    caller = current_caller()
    row, plaintext = issue_token(db(), caller.team_id, body.name, caller.user_id)
    db().commit()
    return jsonify({"id": row.id, "name": row.name, "token": plaintext}), 201


@bp.delete("/team/tokens/<token_id>")
@owner_only
def delete_token(token_id: str):
    row = db().get(ApiToken, token_id) if ids.has_prefix(token_id, ids.TOKEN) else None
    if row is None or row.team_id != current_caller().team_id or not revoke_token(db(), token_id):
        raise not_found("token")
    db().commit()
    return "", 204


@bp.post("/team/registry-credentials")
@owner_only
def create_registry_credentials():
    from registry.credentials import CredentialExists

    try:
        username, secret = services().robots.create(current_caller().team_slug)
    except CredentialExists as exc:
        raise ApiError(409, f"{exc}; rotate it instead") from None
    return jsonify(_credentials(username, secret)), 201


@bp.post("/team/registry-credentials/rotate")
@owner_only
def rotate_registry_credentials():
    username, secret = services().robots.rotate(current_caller().team_slug)
    return jsonify(_credentials(username, secret))


def _credentials(username: str, secret: str) -> dict:
    settings = services().settings
    return {"registry": settings.registry, "username": username, "password": secret,
            "namespace": f"{settings.registry}/{current_caller().team_slug}",
            "note": "the password is shown once; rotate to get a new one"}
