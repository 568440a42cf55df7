"""Records for the domain tests: a team, a recipe, a build, flushed so they have ids."""

from __future__ import annotations

import time

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from core.db import Build, Recipe, Team, add_version, make_session_factory

ONE_OFF_YAML = "version: '3'\n"


def add_team(session: Session, slug: str | None = None) -> Team:
    """A team (slug unique per call unless given)."""
    slug = slug or f"t{time.monotonic_ns()}"
    team = Team(slug=slug, name=slug.title())
    session.add(team)
    session.flush()
    return team


def add_recipe(session: Session, team: Team, name: str = "web") -> Recipe:
    recipe = Recipe(team_id=team.id, name=name)
    session.add(recipe)
    session.flush()
    return recipe


def add_build(session: Session, team: Team, recipe: Recipe | None = None,
              yaml_text: str = ONE_OFF_YAML) -> Build:
    """A queued build of a new version of ``recipe``, or of one-off ``yaml_text``."""
    if recipe is not None:
        build = Build(team_id=team.id, recipe_version_id=add_version(session, recipe, yaml_text).id)
    else:
        build = Build(team_id=team.id, recipe_yaml=yaml_text)
    session.add(build)
    session.flush()
    return build


def new_build(engine: Engine) -> str:
    """The id of a committed one-off build of a new team."""
    with make_session_factory(engine).begin() as session:
        return add_build(session, add_team(session)).id
