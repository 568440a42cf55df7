"""Recipes: create, list, get, update (a new immutable version), versions, delete, validate."""

from __future__ import annotations

import uuid

from flask import jsonify
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.api import bp, lookup, serialize, validation
from app.api.auth import current_caller
from app.api.context import db
from app.api.errors import ApiError
from app.api.schemas import RecipeCreate, RecipeUpdate, ValidateRequest, parse
from core.db import Recipe, RecipeVersion, add_version, utcnow
from core.db.recipes import last_build, latest_version


def check_valid(text: str) -> None:
    """Refuse to store a recipe with errors; the details locate every problem."""
    names = validation.team_names(db(), current_caller().team_id)
    result = validation.report(validation.diagnose(text, names))
    if not result["valid"]:
        raise ApiError(422, f"the recipe has {len(result['errors'])} error(s)", "invalid_recipe",
                       {"errors": result["errors"], "warnings": result["warnings"]})


@bp.post("/recipes/validate")
def validate_recipe():
    body = parse(ValidateRequest)
    names = validation.team_names(db(), current_caller().team_id)
    return jsonify(validation.report(validation.diagnose(body.yaml, names)))


@bp.get("/recipes")
def list_recipes():
    rows = db().scalars(select(Recipe).where(Recipe.team_id == current_caller().team_id,
                                             Recipe.deleted_at.is_(None)).order_by(Recipe.name))
    return jsonify({"recipes": [
        {**serialize.recipe(r, latest_version(db(), r.id)),
         "last_build": serialize.build_summary(last_build(db(), r.id))} for r in rows]})


@bp.post("/recipes")
def create_recipe():
    body = parse(RecipeCreate)
    caller = current_caller()
    check_valid(body.yaml)
    session = db()
    row = Recipe(team_id=caller.team_id, name=body.name)
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise ApiError(409, f"a recipe named {body.name!r} already exists") from None
    first = add_version(session, row, body.yaml, author_id=caller.user_id)
    session.commit()
    return jsonify({**serialize.recipe(row, first), "version": serialize.version(first)}), 201


@bp.get("/recipes/<id:recipe_id>")
def get_recipe(recipe_id: str):
    row = lookup.recipe(db(), current_caller(), recipe_id)
    latest = latest_version(db(), row.id)
    return jsonify({**serialize.recipe(row, latest),
                    "version": serialize.version(latest) if latest else None})


@bp.put("/recipes/<id:recipe_id>")
def update_recipe(recipe_id: str):
    body = parse(RecipeUpdate)
    caller = current_caller()
    session = db()
    row = lookup.recipe(session, caller, recipe_id)
    check_valid(body.yaml)
    latest = latest_version(session, row.id)
    if latest is not None and latest.yaml_text == body.yaml:
        # Saving unchanged text is not a new version (no rebuild, no new number).
        return jsonify({**serialize.recipe(row, latest), "version": serialize.version(latest)})
    try:
        new = add_version(session, row, body.yaml, author_id=caller.user_id)
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ApiError(409, "another version was saved at the same time; retry") from None
    return jsonify({**serialize.recipe(row, new), "version": serialize.version(new)}), 201


@bp.delete("/recipes/<id:recipe_id>")
def delete_recipe(recipe_id: str):
    session = db()
    row = lookup.recipe(session, current_caller(), recipe_id)
    # Soft delete keeps the versions builds point at; the name is freed for reuse.
    row.deleted_at = utcnow()
    row.name = f"{row.name}~deleted~{uuid.uuid4().hex[:12]}"
    session.commit()
    return "", 204


@bp.get("/recipes/<id:recipe_id>/versions")
def list_versions(recipe_id: str):
    row = lookup.recipe(db(), current_caller(), recipe_id)
    rows = db().scalars(select(RecipeVersion).where(RecipeVersion.recipe_id == row.id)
                        .order_by(RecipeVersion.number.desc()))
    return jsonify({"versions": [serialize.version(v, with_yaml=False) for v in rows]})


@bp.get("/recipes/<id:recipe_id>/versions/<int:number>")
def get_version(recipe_id: str, number: int):
    row = lookup.recipe(db(), current_caller(), recipe_id)
    return jsonify(serialize.version(lookup.version_by_number(db(), row, number)))
