"""Team env vars: set, replace, delete, gathered sorted for the compiler."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from core.db import Team, make_session_factory
from core.teamenv import InvalidEnvName, delete_env, env_values, set_env


def test_set_replace_delete(engine: Engine) -> None:
    with make_session_factory(engine)() as session:
        team, other = Team(slug="a", name="A"), Team(slug="b", name="B")
        session.add_all([team, other])
        session.flush()
        set_env(session, team.id, "ZED", "1")
        set_env(session, team.id, "ALPHA", "x")
        set_env(session, team.id, "ZED", "2")
        set_env(session, other.id, "ALPHA", "other team")
        session.commit()
        assert list(env_values(session, team.id).items()) == [("ALPHA", "x"), ("ZED", "2")]
        assert delete_env(session, team.id, "ZED")
        assert not delete_env(session, team.id, "ZED")
        session.commit()
        assert env_values(session, team.id) == {"ALPHA": "x"}
        assert env_values(session, other.id) == {"ALPHA": "other team"}


@pytest.mark.parametrize("name", ["", "1A", "A-B", "A B"])
def test_names_must_be_exportable(engine: Engine, name: str) -> None:
    with make_session_factory(engine)() as session, pytest.raises(InvalidEnvName):
        set_env(session, "team-x", name, "v")
