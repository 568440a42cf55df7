"""Records behave as the API and tasks rely on, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from core.db import (
    Build,
    BuildState,
    BuildStep,
    ImmutableRecordError,
    Membership,
    Role,
    SecretName,
    SecretVersion,
    Team,
    User,
    add_version,
    ids,
    make_session_factory,
)
from core.db.recipes import latest_version
from core.db.tokens import issue_token, revoke_token, verify_token
from tests.core.records import add_build, add_recipe, add_team


@pytest.fixture
def sessions(engine: Engine):
    return make_session_factory(engine)


def test_ids_have_the_spec_shape(sessions) -> None:
    with sessions.begin() as session:
        team = add_team(session)
        recipe = add_recipe(session, team)
        version = add_version(session, recipe, "version: '3'\n")
        build = Build(team_id=team.id, recipe_version_id=version.id)
        session.add(build)
        session.flush()
    assert re.fullmatch(r"team-[0-9a-f]{32}", team.id)
    assert re.fullmatch(r"recipe-[0-9a-f]{32}", recipe.id)
    assert re.fullmatch(r"recipe-version-[0-9a-f]{32}", version.id)
    assert re.fullmatch(r"build-[0-9a-f]{32}", build.id)
    assert ids.has_prefix(version.id, ids.RECIPE_VERSION)
    assert not ids.has_prefix(version.id, ids.RECIPE)


def test_recipe_versions_number_up_and_are_immutable(sessions) -> None:
    with sessions.begin() as session:
        team = add_team(session)
        recipe = add_recipe(session, team)
        first = add_version(session, recipe, "one")
        second = add_version(session, recipe, "two")
        assert (first.number, second.number) == (1, 2)
        assert latest_version(session, recipe.id).yaml_text == "two"
    with sessions() as session:
        stored = session.get(type(first), first.id)
        stored.yaml_text = "rewritten"
        with pytest.raises(ImmutableRecordError):
            session.commit()


def test_build_defaults_and_utc_times_round_trip(sessions) -> None:
    with sessions.begin() as session:
        team = add_team(session)
        build = add_build(session, team)
        build.steps.append(BuildStep(position=0, vertex_digest="sha256:" + "a" * 64,
                                     step_id="1-build-step-1", name="echo hi", cached=True,
                                     duration_s=0.25, exit_status=0))
    with sessions() as session:
        stored = session.get(Build, build.id)
        assert stored.state is BuildState.QUEUED
        assert stored.attempt == 0 and stored.cancel_requested is False
        assert stored.queued_at.tzinfo is not None
        assert stored.queued_at.utcoffset() == UTC.utcoffset(None)
        assert [(s.step_id, s.cached, s.exit_status) for s in stored.steps] == [
            ("1-build-step-1", True, 0)
        ]


def test_a_build_needs_a_recipe_version_or_yaml(sessions) -> None:
    with sessions() as session:
        team = add_team(session)
        session.add(Build(team_id=team.id))
        with pytest.raises(IntegrityError):
            session.flush()


def test_memberships_and_unique_slugs(sessions) -> None:
    with sessions.begin() as session:
        team = add_team(session, "acme")
        user = User(username="ada")
        session.add(Membership(team=team, user=user, role=Role.OWNER))
    with sessions() as session:
        member = session.scalars(select(Membership)).one()
        assert member.role is Role.OWNER and member.user.username == "ada"
        session.add(Team(slug="acme", name="again"))
        with pytest.raises(IntegrityError):
            session.flush()


def test_tokens_are_stored_hashed_and_verify_until_revoked(sessions) -> None:
    with sessions.begin() as session:
        team = add_team(session)
        row, plaintext = issue_token(session, team.id, name="ci")
    assert plaintext not in (row.token_hash, row.display_prefix)
    assert plaintext.startswith(row.display_prefix)
    with sessions.begin() as session:
        found = verify_token(session, plaintext)
        assert found is not None and found.team_id == team.id
        assert found.last_used_at is not None
        assert verify_token(session, plaintext + "x") is None
        assert revoke_token(session, row.id)
    with sessions() as session:
        assert verify_token(session, plaintext) is None


def test_secret_rows_hold_versions_not_values(sessions) -> None:
    with sessions.begin() as session:
        team = add_team(session)
        secret = SecretName(team_id=team.id, name="NPM_KEY", current_version=2)
        secret.versions = [SecretVersion(version=1), SecretVersion(version=2)]
        session.add(secret)
    with sessions() as session:
        stored = session.scalars(select(SecretName)).one()
        assert [v.version for v in stored.versions] == [1, 2]
        columns = {c.name for c in SecretName.__table__.c} | {
            c.name for c in SecretVersion.__table__.c
        }
        assert not any("value" in name for name in columns)


def test_deleting_a_team_cascades(sessions) -> None:
    with sessions.begin() as session:
        team = add_team(session)
        session.add(Build(team_id=team.id, recipe_yaml="x"))
    with sessions.begin() as session:
        session.delete(session.get(Team, team.id))
    with sessions() as session:
        assert session.scalars(select(Build)).all() == []
