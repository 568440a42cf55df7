"""The reaper and the build service against real Redis and a real database (no workers)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.db import Build, BuildState, utcnow
from core.logevents import HEADER, Entry
from pipeline.reaper import reap
from pipeline.submit import submit_build
from tasks.dispatch import queue_for, stage_task_name
from tests.tasks.harness import make_pipeline


@pytest.fixture
def idle_pipeline(settings, redis_url, tmp_path):
    return make_pipeline(settings, tmp_path)


def _running_build(pipe, team, heartbeat_age_s: float) -> str:
    with pipe.services.sessions() as session:
        build = Build(team_id=team.id, recipe_yaml="version: '3'\n", state=BuildState.BUILDING,
                      building_at=utcnow(), worker="gone@host/1", timeout_s=3600,
                      heartbeat_at=utcnow() - timedelta(seconds=heartbeat_age_s))
        session.add(build)
        session.commit()
        pipe.services.bus.append(build.id, [Entry(HEADER, "Build started")])
        return build.id


def test_reaper_fails_builds_whose_heartbeat_stopped_and_closes_their_logs(idle_pipeline):
    pipe = idle_pipeline
    team = pipe.team()
    lost = _running_build(pipe, team, heartbeat_age_s=120)
    fresh = _running_build(pipe, team, heartbeat_age_s=1)

    ended = reap(pipe.services, stale_after_s=60)

    assert lost in ended["lost"] and fresh not in ended["lost"]
    build = pipe.build(lost)
    assert build.state is BuildState.FAILED
    assert "gone@host/1 stopped sending heartbeats" in build.error_message
    assert pipe.build(fresh).state is BuildState.BUILDING
    events = list(pipe.services.bus.read(lost))
    assert events[-1].kind == "end" and events[-1].text == "failed"
    assert pipe.services.bus.stats(lost).archived
    assert reap(pipe.services, stale_after_s=60)["lost"] == []  # idempotent


def test_reaper_leaves_a_build_alone_while_its_worker_beats(idle_pipeline):
    pipe = idle_pipeline
    build_id = _running_build(pipe, pipe.team(), heartbeat_age_s=600)
    pipe.services.control.beat(build_id)
    assert build_id not in reap(pipe.services, stale_after_s=60)["lost"]
    assert pipe.build(build_id).state is BuildState.BUILDING


def test_submit_needs_exactly_one_recipe(idle_pipeline):
    pipe = idle_pipeline
    team = pipe.team()
    with pipe.services.sessions() as session:
        with pytest.raises(ValueError):
            submit_build(session, pipe.dispatch, pipe.settings, team_id=team.id)
        build = submit_build(session, pipe.dispatch, pipe.settings, team_id=team.id,
                             recipe_yaml="version: '3'\n")
        assert build.state is BuildState.QUEUED
        assert build.compile_task_id == f"{build.id}.compile"
        build_task = stage_task_name(pipe.app, "build")
        assert build.queue == pipe.build_queue == queue_for(pipe.app, build_task)
    # Nothing consumes this run's queues: the chain's first message waits there.
    assert pipe.services.redis.llen(pipe.compile_queue) == 1
    pipe.services.redis.delete(pipe.compile_queue)


def test_a_base_image_without_a_host_means_this_registry(settings):
    from pipeline.inputs import base_reference

    assert base_reference("library/busybox:latest", settings) == (
        f"{settings.registry}/library/busybox:latest")
    assert base_reference("acme/base:1", settings) == f"{settings.registry}/acme/base:1"
    assert base_reference("10.0.0.1:5000/acme/base:1", settings) == "10.0.0.1:5000/acme/base:1"
    assert base_reference(None, settings) == settings.default_base_image
