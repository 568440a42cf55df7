"""What a failed or cancelled build says about its steps, through real workers and BuildKit."""

from __future__ import annotations

import re
import uuid

from core.db import BuildState
from pipeline.submit import cancel_build
from tests.tasks.harness import BUSYBOX_RECIPE, busybox_recipe, command_step, secret_ref

#: A run of base64 as long as only the launcher's encoded step makes one.
BLOB = re.compile(r"[A-Za-z0-9+/=]{200,}")


def test_a_failed_step_is_told_by_step_line_exit_code_and_output_never_the_payload(pipeline):
    token = uuid.uuid4().hex[:8]
    failing = (f"echo early-{token}; for i in 1 2 3; do echo out-$i-{token}; done; "
               f"echo err-{token} >&2; exit 3")
    build_id = pipeline.submit(pipeline.team(),
                               busybox_recipe(pipeline.settings, "echo fine", failing))

    build = pipeline.wait(build_id)

    assert build.state is BuildState.FAILED
    assert build.error_step_id == "1-build-step-1"
    (step,) = [s for s in build.pinned_inputs["compiled"]["steps"]
               if s["id"] == "1-build-step-1"]
    message = build.error_message
    head, *rest = message.splitlines()
    # The second step is written on lines 9-12 of the recipe.
    assert build.error_line is not None and 9 <= build.error_line <= 12
    assert head == (f"step {step['name']} failed at recipe line {build.error_line} "
                    "with exit code 3")
    assert rest[0] == "last output:"
    output = [line.strip() for line in rest[1:]]
    for line in (f"out-1-{token}", f"out-2-{token}", f"out-3-{token}", f"err-{token}"):
        assert line in output
    text = pipeline.log_text(build_id)
    assert text.rstrip().endswith("Build failed with code 3")
    assert f"Error: {head}" in text
    records = [event.text for event in pipeline.services.bus.read(build_id)]
    rows = pipeline.steps(build_id)
    for where in (message, text, *records, *(row.error or "" for row in rows)):
        assert not BLOB.search(where), where


def test_a_secret_a_failed_step_printed_is_masked_in_the_error(pipeline):
    team = pipeline.team()
    token = uuid.uuid4().hex[:8]
    value = f"canary-{uuid.uuid4().hex}"
    pipeline.put_secret(team, "CANARY", value)
    step = command_step(f'echo "leak $CANARY {token}"; exit 4',
                        env={"CANARY": secret_ref("CANARY")})
    build_id = pipeline.submit(team, BUSYBOX_RECIPE.format(registry=pipeline.settings.registry,
                                                           steps=step))

    build = pipeline.wait(build_id)

    assert build.state is BuildState.FAILED and "with exit code 4" in build.error_message
    assert f"leak *** {token}" in build.error_message
    assert value not in build.error_message and value not in pipeline.log_text(build_id)


def test_a_step_running_when_its_build_is_cancelled_ends_cancelled(pipeline):
    token = uuid.uuid4().hex[:8]
    build_id = pipeline.submit(pipeline.team(), busybox_recipe(
        pipeline.settings, f"echo quick-{token}", f"echo started-{token}; sleep 300"))
    pipeline.wait_for_log(build_id, f"started-{token}")

    with pipeline.services.sessions() as session:
        cancel_build(session, pipeline.services.redis, pipeline.dispatch, build_id)
    build = pipeline.wait(build_id, timeout=120)

    assert build.state is BuildState.CANCELLED
    steps = {s.step_id: s for s in pipeline.steps(build_id) if s.step_id}
    assert steps["1-build-step-0"].error is None and steps["1-build-step-0"].completed_at
    stopped = steps["1-build-step-1"]
    assert stopped.started_at is not None
    assert stopped.completed_at is not None and stopped.error == "cancelled"
    assert stopped.completed_at <= build.finished_at
    running = [s.name for s in pipeline.steps(build_id)
               if s.started_at and not s.completed_at and not s.cached]
    assert running == []
