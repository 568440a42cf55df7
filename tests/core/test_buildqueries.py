"""Queue position, per-team load and in-flight duplicates."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from core.buildqueries import active_count, inflight_duplicate, queue_position
from core.db import Build, BuildState, Team, make_session_factory, utcnow
from core.states import finish, transition


def test_queue_position_and_active_count(engine: Engine) -> None:
    with make_session_factory(engine)() as session:
        team, other = Team(slug="a", name="A"), Team(slug="b", name="B")
        session.add_all([team, other])
        session.flush()
        start = utcnow()
        builds = [Build(team_id=team.id, recipe_yaml="y", queued_at=start + timedelta(seconds=i))
                  for i in range(3)]
        session.add_all([*builds, Build(team_id=other.id, recipe_yaml="y", queued_at=start)])
        session.commit()
        assert [queue_position(session, b.id) for b in builds] == [1, 2, 3]
        assert transition(session, builds[0].id, BuildState.QUEUED, BuildState.COMPILING)
        session.commit()
        assert [queue_position(session, b.id) for b in builds] == [None, 1, 2]
        assert (active_count(session, team.id), active_count(session, other.id)) == (1, 0)
        assert queue_position(session, "build-missing") is None


def test_inflight_duplicate_matches_digest_and_inputs(engine: Engine) -> None:
    with make_session_factory(engine)() as session:
        team = Team(slug="a", name="A")
        session.add(team)
        session.flush()
        pins = {"base": "sha256:1", "secrets": {"K": 2}}
        first = Build(team_id=team.id, recipe_yaml="y", definition_digest="sha256:d",
                      pinned_inputs=pins, queued_at=utcnow() - timedelta(seconds=5))
        rotated = Build(team_id=team.id, recipe_yaml="y", definition_digest="sha256:d",
                        pinned_inputs={**pins, "secrets": {"K": 3}})
        second = Build(team_id=team.id, recipe_yaml="y", definition_digest="sha256:d",
                       pinned_inputs=dict(pins))
        uncompiled = Build(team_id=team.id, recipe_yaml="y")
        session.add_all([first, rotated, second, uncompiled])
        session.commit()
        assert inflight_duplicate(session, second).id == first.id
        assert inflight_duplicate(session, rotated) is None
        assert inflight_duplicate(session, first) is None  # nothing older
        assert inflight_duplicate(session, uncompiled) is None
        assert finish(session, first.id, BuildState.FAILED)
        session.commit()
        assert inflight_duplicate(session, second) is None
