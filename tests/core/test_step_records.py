"""Step rows of a build whose first attempt ran the steps and then failed transiently."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from buildkit.progress import VertexCached, VertexCompleted, VertexStarted
from core.db import BuildStep, make_session_factory
from pipeline.steps import StepRecorder
from tests.core.records import new_build

STEP_IDS = {"sha256:a": "1-build-step-0", "sha256:b": "1-build-step-1"}


def _record(engine: Engine, build_id: str, events) -> list[BuildStep]:
    recorder = StepRecorder(STEP_IDS)
    for event in events:
        recorder.feed(event)
    Session = make_session_factory(engine)
    with Session() as session:
        recorder.write(session, build_id)
        session.commit()
        return list(session.scalars(select(BuildStep).where(BuildStep.build_id == build_id)
                                    .order_by(BuildStep.position)))


def test_steps_run_by_an_earlier_attempt_stay_run_when_the_retry_finds_them_cached(
        engine: Engine) -> None:
    build_id = new_build(engine)
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    t1 = t0 + timedelta(seconds=2)
    # Attempt 1 ran step 0, then the push failed (a transient fault: retried).
    _record(engine, build_id, [VertexStarted("sha256:a", "one", t0),
                               VertexCompleted("sha256:a", "one", t0, t1)])

    # Attempt 2: the daemon answers step 0 from the cache; step 1 is new.
    rows = _record(engine, build_id, [VertexCached("sha256:a", "one"),
                                      VertexCached("sha256:b", "two")])

    by_step = {row.step_id: row for row in rows}
    assert not by_step["1-build-step-0"].cached
    assert by_step["1-build-step-0"].duration_s == 2.0
    assert by_step["1-build-step-0"].exit_status == 0
    assert by_step["1-build-step-1"].cached
    assert [r.step_id for r in rows if not r.cached] == ["1-build-step-0"]


def test_a_rebuild_as_a_new_build_is_still_all_cached(engine: Engine) -> None:
    first, second = new_build(engine), new_build(engine)
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    _record(engine, first, [VertexStarted("sha256:a", "one", t0),
                            VertexCompleted("sha256:a", "one", t0, t0)])

    rows = _record(engine, second, [VertexCached("sha256:a", "one")])

    assert [(r.step_id, r.cached) for r in rows] == [("1-build-step-0", True)]
