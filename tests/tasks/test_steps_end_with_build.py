"""A step still recorded as running ends when its build ends, however the build ended."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.db import Base, Build, BuildState, BuildStep, Team, make_engine, make_session_factory
from pipeline.steps import STEP_CANCELLED, end_running_steps

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def session(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'records.db'}")
    Base.metadata.create_all(engine)
    with make_session_factory(engine)() as session:
        yield session
    engine.dispose()


def build_with_steps(session, state: BuildState) -> Build:
    team = Team(slug=f"t{id(session)}{state.value}", name="t")
    session.add(team)
    session.flush()
    build = Build(team_id=team.id, recipe_yaml="version: '3'\n", state=state,
                  finished_at=T0 + timedelta(seconds=30) if state.terminal else None)
    session.add(build)
    session.flush()
    rows = [("done", T0, T0 + timedelta(seconds=1), None, False),
            ("cached", None, None, None, True),
            ("failed", T0, T0 + timedelta(seconds=2), "exit code: 1", False),
            ("running", T0 + timedelta(seconds=10), None, None, False),
            ("waiting", None, None, None, False)]
    for position, (name, started, completed, error, cached) in enumerate(rows):
        session.add(BuildStep(build_id=build.id, position=position, vertex_digest=f"sha256:{name}",
                              name=name, started_at=started, completed_at=completed,
                              error=error, cached=cached))
    session.flush()
    session.refresh(build)
    return build


def by_name(build: Build) -> dict[str, BuildStep]:
    return {step.name: step for step in build.steps}


@pytest.mark.parametrize(("state", "reason"), [
    (BuildState.CANCELLED, STEP_CANCELLED),
    (BuildState.TIMED_OUT, "stopped: the build timed out"),
    (BuildState.FAILED, "stopped: the build failed"),
])
def test_only_the_running_step_ends_with_the_build(session, state, reason):
    build = build_with_steps(session, state)

    closed = end_running_steps(build)

    steps = by_name(build)
    assert [step.name for step in closed] == ["running"]
    assert steps["running"].completed_at == build.finished_at
    assert steps["running"].duration_s == 20.0 and steps["running"].error == reason
    assert steps["done"].error is None and steps["failed"].error == "exit code: 1"
    assert steps["waiting"].completed_at is None and steps["cached"].completed_at is None
    assert end_running_steps(build) == []  # done once, whoever calls it again


def test_a_live_build_keeps_its_running_step(session):
    build = build_with_steps(session, BuildState.BUILDING)
    assert end_running_steps(build) == []
    assert by_name(build)["running"].completed_at is None
