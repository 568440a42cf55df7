"""``POST /recipes/<id>/plan``: which steps of a version would come from cache, and why not.

The version is compiled now, exactly as the pipeline would (images pinned to their
current digests, the team's current variables and secret versions), and compared
with the Definition of the recipe's last successful build by :mod:`llb.plan`.
"""

from __future__ import annotations

from flask import jsonify
from sqlalchemy.orm import Session

from app.api import bp, lookup, validation
from app.api.auth import current_caller
from app.api.context import db
from app.api.errors import ApiError
from app.api.schemas import PlanRequest, parse
from app.api.services import services
from core.db import Build, BuildState, Team
from core.db.recipes import builds_of, latest_version
from llb import plan as planning


def last_success(session: Session, recipe_id: str) -> Build | None:
    return session.scalar(
        builds_of(recipe_id).where(Build.state == BuildState.SUCCEEDED,
                                   Build.definition.is_not(None))
        .order_by(Build.finished_at.desc()).limit(1))


def compile_now(session: Session, team: Team, text: str) -> bytes:
    """The Definition the pipeline would build for ``text`` right now."""
    from llb import CompileInputs, RecipeError, compile_recipe, load_recipe
    from pipeline.credentials import provider_from_settings, registry_client
    from pipeline.inputs import base_reference, pin, team_names
    from registry.errors import RegistryError

    settings = services().settings
    try:
        recipe = load_recipe(text, validation.FILENAME)
        with registry_client(settings, provider_from_settings(settings), team.slug) as client:
            base = pin(client, base_reference(recipe.image, settings))
            launcher = pin(client, settings.dzlaunch_image)
        inputs = CompileInputs(base_image=base, dzlaunch_image=launcher,
                               network_mode=settings.network_mode,
                               team=team_names(session, team.id), team_namespace=team.slug)
        return compile_recipe(recipe, inputs).definition
    except RecipeError as exc:
        raise ApiError(422, "the recipe does not compile", "invalid_recipe",
                       {"errors": validation.report(exc.diagnostics)["errors"]}) from None
    except RegistryError as exc:
        raise ApiError(503, f"cannot resolve the recipe's images: {exc}") from None


@bp.post("/recipes/<id:recipe_id>/plan")
def plan_recipe(recipe_id: str):
    body = parse(PlanRequest)
    caller = current_caller()
    session = db()
    recipe = lookup.recipe(session, caller, recipe_id)
    version = None
    if body.yaml is not None:
        text = body.yaml
    else:
        version = (lookup.version(session, caller, body.recipe_version_id)
                   if body.recipe_version_id else latest_version(session, recipe.id))
        if version is None or version.recipe_id != recipe.id:
            raise ApiError(404, "recipe version not found")
        text = version.yaml_text
    new = planning.facts(compile_now(session, session.get(Team, caller.team_id), text))
    previous = last_success(session, recipe.id)
    old = planning.facts(previous.definition) if previous is not None else None
    steps = [s.as_dict() for s in planning.plan(new, old)]
    return jsonify({
        "recipe_id": recipe.id,
        "recipe_version_id": version.id if version else None,
        "compared_with": previous.id if previous else None,
        "summary": {"cached": sum(s["action"] == "cached" for s in steps),
                    "run": sum(s["action"] == "run" for s in steps)},
        "steps": steps,
    })
