"""Worker loss: a killed build process is redelivered and resumes; a killed worker is
reaped with a reason.  Either way the build ends."""

from __future__ import annotations

import os
import signal
import time
import uuid

from core.db import BuildState
from tests.tasks.harness import busybox_recipe


def wait_running_step(pipeline, build_id: str, needle: str, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        build = pipeline.build(build_id)
        if build.worker and build.state is BuildState.BUILDING and \
                needle in pipeline.log_text(build_id):
            return build
        time.sleep(0.1)
    raise AssertionError(f"{build_id} never ran its step")


def test_sigkill_of_the_build_process_is_redelivered_and_the_build_succeeds(pipeline):
    token = uuid.uuid4().hex[:8]
    build_id = pipeline.submit(pipeline.team(), busybox_recipe(
        pipeline.settings, f"echo go-$((6*7))-{token}; sleep 4"))
    running = wait_running_step(pipeline, build_id, f"go-42-{token}")
    pid = int(running.worker.rsplit("/", 1)[1])

    os.kill(pid, signal.SIGKILL)
    build = pipeline.wait(build_id, timeout=180)

    assert build.state is BuildState.SUCCEEDED, build.error_message
    assert build.attempt == 2 and build.worker != running.worker
    assert "Resuming the build on" in pipeline.log_text(build_id)


def test_sigkill_of_the_whole_worker_is_reaped_with_a_reason(pipeline):
    token = uuid.uuid4().hex[:8]
    team = pipeline.team(limit=1)
    build_id = pipeline.submit(team, busybox_recipe(
        pipeline.settings, f"echo go-$((6*7))-{token}; sleep 120"))
    wait_running_step(pipeline, build_id, f"go-42-{token}")

    # The reaper as beat runs it in production: its schedule's period, default arguments.
    entry = pipeline.app.conf.beat_schedule["reap-stale-builds"]
    pipeline.kill_worker("buildqd")
    killed = time.monotonic()
    try:
        while not pipeline.build(build_id).state.terminal and time.monotonic() < killed + 90:
            time.sleep(entry["schedule"])
            pipeline.app.send_task(entry["task"], queue=pipeline.compile_queue).get(timeout=60)
        build = pipeline.wait(build_id, timeout=5)
        ended_after_s = time.monotonic() - killed
    finally:
        pipeline.start_worker("buildqd", concurrency=2)

    # A build whose worker died ends within a minute (it took up to two before), with
    # a reason, and long before its step (sleep 120) could have finished.
    assert ended_after_s < 60, ended_after_s

    assert build.state is BuildState.FAILED
    assert "stopped sending heartbeats" in build.error_message
    events = list(pipeline.services.bus.read(build_id))
    assert events[-1].kind == "end" and events[-1].text == "failed"
    assert pipeline.archived(build_id)
    # The team's slot was freed: its next build runs.
    team_next = pipeline.submit(team, busybox_recipe(pipeline.settings, f"echo {token}"))
    assert pipeline.wait(team_next).state is BuildState.SUCCEEDED
