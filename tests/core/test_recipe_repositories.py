"""Where a build's image goes: its recipe's own repository, named as the recipe is;
one-off builds in a repository no recipe can take."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from core.db import make_session_factory
from pipeline.inputs import image_names
from registry.naming import ONE_OFF_RECIPE
from tests.core.records import add_build, add_recipe, add_team

WHEN = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_names_differing_only_in_separators_get_their_own_repositories(engine: Engine):
    Session = make_session_factory(engine)
    with Session.begin() as session:
        team = add_team(session, "acme")
        repositories = {}
        for name in ("my.app", "my_app", "my-app", "my__app"):
            build = add_build(session, team, add_recipe(session, team, name), "v")
            image, latest, cache = image_names(session, build, "registry.test", WHEN)
            assert image.repository == latest.repository == cache.repository
            repositories[name] = image.repository
    # Once they were all 'acme/my-app', sharing :latest and the build cache.
    assert repositories == {name: f"acme/{name}" for name in repositories}


def test_one_off_builds_go_to_the_reserved_repository(engine: Engine):
    Session = make_session_factory(engine)
    with Session.begin() as session:
        team = add_team(session, "acme")
        build = add_build(session, team)
        image, _latest, _cache = image_names(session, build, "registry.test", WHEN)
    assert image.repository == f"acme/{ONE_OFF_RECIPE}"
