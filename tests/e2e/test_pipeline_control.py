"""Cancel, timeout, dedupe and the per-team limit, through real workers and BuildKit."""

from __future__ import annotations

import time
import uuid

from core.db import BuildState
from pipeline.submit import cancel_build, queue_position
from tests.tasks.harness import busybox_recipe


def test_cancel_stops_the_running_step_and_ends_cancelled(pipeline):
    token = uuid.uuid4().hex[:8]
    build_id = pipeline.submit(pipeline.team(), busybox_recipe(
        pipeline.settings,
        f"echo started-$((40+2))-{token}; sleep 60; echo finished-$((40+2))-{token}"))
    pipeline.wait_for_log(build_id, f"started-42-{token}")

    with pipeline.services.sessions() as session:
        cancel_build(session, pipeline.services.redis, pipeline.dispatch, build_id)
    build = pipeline.wait(build_id, timeout=60)

    assert build.state is BuildState.CANCELLED
    assert build.cancel_requested
    text = pipeline.log_text(build_id)
    assert f"finished-42-{token}" not in text
    assert text.rstrip().endswith("Build cancelled.")
    assert pipeline.archived(build_id)


def test_cancel_of_a_queued_build_ends_it_before_any_worker_runs_it(pipeline):
    team = pipeline.team()
    with pipeline.services.sessions() as session:
        from core.db import Build

        build = Build(team_id=team.id, recipe_yaml="version: '3'\n")
        session.add(build)
        session.commit()
        cancelled = cancel_build(session, pipeline.services.redis, pipeline.dispatch, build.id)
    assert cancelled.state is BuildState.CANCELLED
    events = list(pipeline.services.bus.read(build.id))
    assert events[-1].kind == "end" and events[-1].text == "cancelled"


def test_timeout_ends_the_build_timed_out(pipeline):
    team = pipeline.team(timeout_s=3)
    token = uuid.uuid4().hex[:8]
    build_id = pipeline.submit(team, busybox_recipe(pipeline.settings,
                                                    f"sleep 60; echo late-{token}"))
    build = pipeline.wait(build_id, timeout=90)
    assert build.state is BuildState.TIMED_OUT
    assert "3s" in build.error_message
    assert "Build timed out after 3 seconds." in pipeline.log_text(build_id)


def test_identical_builds_in_flight_are_solved_once(pipeline):
    team = pipeline.team()
    recipe = busybox_recipe(pipeline.settings, f"sleep 3; echo once-{uuid.uuid4().hex[:8]}")
    ids = [pipeline.submit(team, recipe) for _ in range(2)]
    builds = [pipeline.wait(i) for i in ids]

    assert all(b.state is BuildState.SUCCEEDED for b in builds), [b.error_message for b in builds]
    leaders = [b for b in builds if b.joined_build_id is None]
    followers = [b for b in builds if b.joined_build_id is not None]
    assert len(leaders) == 1 and len(followers) == 1
    assert followers[0].joined_build_id == leaders[0].id
    assert followers[0].image_digest == leaders[0].image_digest
    assert pipeline.steps(followers[0].id) == []  # nothing was solved for it
    assert f"({leaders[0].id}) is already in flight" in pipeline.log_text(followers[0].id)


def test_team_limit_runs_one_build_at_a_time_and_shows_queue_position(pipeline):
    team = pipeline.team(limit=1)
    other_team = pipeline.team(limit=1)
    ids = [pipeline.submit(team, busybox_recipe(pipeline.settings,
                                                f"sleep 3; echo {i}-{uuid.uuid4().hex[:8]}"))
           for i in range(2)]
    other = pipeline.submit(other_team, busybox_recipe(pipeline.settings,
                                                       f"echo other-{uuid.uuid4().hex[:8]}"))
    positions = set()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not pipeline.build(ids[1]).state.terminal:
        positions.add(queue_position(pipeline.services.redis, pipeline.build(ids[1])))
        time.sleep(0.1)
    first, second = (pipeline.wait(i) for i in ids)

    assert first.state is second.state is BuildState.SUCCEEDED
    assert 1 in positions and None in positions
    # The second one started building only after the first had finished.
    assert second.building_at >= first.finished_at
    assert "Waiting for a free build slot of the team (position 1 in queue)" in \
        pipeline.log_text(second.id)
    # Another team was not held up behind them.
    assert pipeline.wait(other).finished_at < second.finished_at
