"""``POST /recipes/migrate``: a legacy recipe rewritten as version "3", for the editor.

Stateless: nothing is stored; the caller saves the returned YAML like any other.
"""

from __future__ import annotations

from flask import jsonify
from pydantic import Field

from app.api import bp, validation
from app.api.errors import ApiError
from app.api.schemas import MAX_YAML_CHARS, Body, parse
from llb.recipe import RecipeError
from llb.recipe.legacy import migrate


class MigrateRequest(Body):
    yaml: str = Field(max_length=MAX_YAML_CHARS, description="the legacy recipe's YAML")


@bp.post("/recipes/migrate")
def migrate_recipe():
    body = parse(MigrateRequest)
    try:
        result = migrate(body.yaml, validation.FILENAME)
    except RecipeError as exc:
        raise ApiError(
            422,
            "the recipe cannot be migrated",
            "invalid_recipe",
            {"errors": validation.report(exc.diagnostics)["errors"]},
        ) from None
    return jsonify(result.as_dict())
