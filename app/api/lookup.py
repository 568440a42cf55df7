"""Team-scoped lookups: a record of another team is indistinguishable from none."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.auth import Caller
from app.api.errors import not_found
from core.db import Build, Recipe, RecipeVersion, ids


def recipe(db: Session, caller: Caller, recipe_id: str) -> Recipe:
    """The caller's live recipe ``recipe_id``; 404 otherwise."""
    row = db.get(Recipe, recipe_id) if ids.has_prefix(recipe_id, ids.RECIPE) else None
    if row is None or row.team_id != caller.team_id or row.deleted_at is not None:
        raise not_found("recipe")
    return row


def version(db: Session, caller: Caller, version_id: str) -> RecipeVersion:
    """A version of one of the caller's recipes (deleted recipes' versions too)."""
    row = None
    if ids.has_prefix(version_id, ids.RECIPE_VERSION):
        row = db.scalar(select(RecipeVersion).join(Recipe)
                        .where(RecipeVersion.id == version_id,
                               Recipe.team_id == caller.team_id))
    if row is None:
        raise not_found("recipe version")
    return row


def version_by_number(db: Session, recipe_row: Recipe, number: int) -> RecipeVersion:
    row = db.scalar(select(RecipeVersion).where(RecipeVersion.recipe_id == recipe_row.id,
                                                RecipeVersion.number == number))
    if row is None:
        raise not_found("recipe version")
    return row


def build(db: Session, caller: Caller, build_id: str) -> Build:
    """The caller's build ``build_id``; 404 for unknown ids and other teams' builds."""
    row = db.get(Build, build_id) if ids.has_prefix(build_id, ids.BUILD) else None
    if row is None or row.team_id != caller.team_id:
        raise not_found("build")
    return row


def recipe_id_of(db: Session, build_row: Build) -> str | None:
    if build_row.recipe_version_id is None:
        return None
    found = db.get(RecipeVersion, build_row.recipe_version_id)
    return found.recipe_id if found else None
