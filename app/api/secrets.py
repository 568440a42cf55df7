"""Team secrets, write-only: set (or rotate), delete, list names and versions.

Values go straight to the secret store; the database keeps only the name and the
versions the store handed out.  No response ever carries a value.
"""

from __future__ import annotations

from flask import jsonify

from app.api import bp, serialize
from app.api.auth import current_caller
from app.api.context import db
from app.api.errors import ApiError, not_found
from app.api.schemas import SecretValue, parse
from app.api.services import services
from app.api.team import checked_var_name, is_var_name
from core import teamsecrets


def _store_failure(exc: Exception) -> ApiError:
    """503 for the store's failures; an outage (down, sealed) says exactly that."""
    from core.secretstore import SecretStoreUnavailable

    if isinstance(exc, SecretStoreUnavailable):
        return ApiError(503, SecretStoreUnavailable.MESSAGE, details={"reason": str(exc)})
    return ApiError(503, f"the secret store failed: {exc}")


@bp.get("/team/secrets")
def list_secrets():
    rows = teamsecrets.list_secrets(db(), current_caller().team_id)
    return jsonify({"secrets": [serialize.secret(r) for r in rows]})


@bp.put("/team/secrets/<name>")
def set_secret(name: str):
    """Store a new value; the first call creates the secret, later ones rotate it."""
    from core.secretstore import SecretStoreError

    checked_var_name(name)
    body = parse(SecretValue)
    caller = current_caller()
    session = db()
    existed = teamsecrets.current_versions(session, caller.team_id, [name])
    try:
        teamsecrets.set_secret(session, services().secrets, caller.team_id, name, body.value,
                               caller.user_id)
    except SecretStoreError as exc:
        raise _store_failure(exc) from None
    session.commit()
    row = next(r for r in teamsecrets.list_secrets(session, caller.team_id) if r.name == name)
    return jsonify(serialize.secret(row)), 200 if existed else 201


@bp.delete("/team/secrets/<name>")
def delete_secret(name: str):
    from core.secretstore import SecretStoreError

    caller = current_caller()
    if not is_var_name(name) or name not in teamsecrets.current_versions(
            db(), caller.team_id, [name]):
        raise not_found("secret")
    try:
        teamsecrets.delete_secret(db(), services().secrets, caller.team_id, name)
    except SecretStoreError as exc:
        raise _store_failure(exc) from None
    db().commit()
    return "", 204
