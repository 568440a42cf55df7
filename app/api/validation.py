"""Recipe validation for the API and the editor: every problem, with line and column."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from llb.recipe import RecipeError, TeamNames, load_recipe
from llb.recipe.diagnostics import Diagnostic

FILENAME = "recipe.yaml"


def team_names(db: Session, team_id: str) -> TeamNames:
    """The team's plain variables and secret versions, as the compiler sees them."""
    from pipeline.inputs import team_names as pipeline_team_names

    return pipeline_team_names(db, team_id)


def diagnose(text: str, names: TeamNames | None) -> list[Diagnostic]:
    """All diagnostics (errors and warnings) of ``text``, sorted by position."""
    try:
        recipe = load_recipe(text, FILENAME)
    except RecipeError as exc:
        return list(exc.diagnostics)
    diags = list(recipe.warnings)
    if names is not None and recipe.source is not None:
        from llb.recipe.semantic import check_team

        diags += check_team(recipe.model_dump(), recipe.source, names)
    return sorted(diags, key=lambda d: (d.line, d.col, d.path, d.message))


def report(diags: list[Diagnostic]) -> dict[str, Any]:
    errors = [d for d in diags if d.severity == "error"]
    return {"valid": not errors,
            "errors": [_entry(d) for d in errors],
            "warnings": [_entry(d) for d in diags if d.severity != "error"]}


def _entry(diag: Diagnostic) -> dict[str, Any]:
    return {**diag.as_dict(), "text": diag.headline()}
