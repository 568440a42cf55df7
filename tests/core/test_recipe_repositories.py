"""Where a build's image goes: its recipe's own repository, named as the recipe is;
one-off builds in a repository no recipe can take."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from core.db import Build, Recipe, Team, add_version, make_session_factory
from pipeline.inputs import image_names
from registry.naming import ONE_OFF_RECIPE

WHEN = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _team(session) -> Team:
    team = Team(slug="acme", name="Acme")
    session.add(team)
    session.flush()
    return team


def test_names_differing_only_in_separators_get_their_own_repositories(engine: Engine):
    Session = make_session_factory(engine)
    with Session.begin() as session:
        team = _team(session)
        repositories = {}
        for name in ("my.app", "my_app", "my-app", "my__app"):
            recipe = Recipe(team_id=team.id, name=name)
            session.add(recipe)
            session.flush()
            build = Build(team_id=team.id,
                          recipe_version_id=add_version(session, recipe, "v").id)
            session.add(build)
            session.flush()
            image, latest, cache = image_names(session, build, "registry.test", WHEN)
            assert image.repository == latest.repository == cache.repository
            repositories[name] = image.repository
    # Once they were all 'acme/my-app', sharing :latest and the build cache.
    assert repositories == {name: f"acme/{name}" for name in repositories}


def test_one_off_builds_go_to_the_reserved_repository(engine: Engine):
    Session = make_session_factory(engine)
    with Session.begin() as session:
        team = _team(session)
        build = Build(team_id=team.id, recipe_yaml='version: "3"\n')
        session.add(build)
        session.flush()
        image, _latest, _cache = image_names(session, build, "registry.test", WHEN)
    assert image.repository == f"acme/{ONE_OFF_RECIPE}"
