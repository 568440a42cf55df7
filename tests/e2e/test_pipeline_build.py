"""End to end through real workers: recipe → compile → solve → push → records and logs."""

from __future__ import annotations

import uuid

from core.db import BuildState
from registry.naming import parse_ref
from registry.wiring import system_client
from tests.tasks.harness import busybox_recipe, pipeline  # noqa: F401


def test_busybox_recipe_builds_pushes_and_records_steps_and_log(pipeline):
    token = uuid.uuid4().hex[:8]
    team = pipeline.team()
    recipe = busybox_recipe(pipeline.settings, f"echo hello-{token}", "echo second > /tmp/2")
    build_id = pipeline.submit(team, recipe)

    build = pipeline.wait(build_id)

    assert build.state is BuildState.SUCCEEDED, build.error_message
    ref = parse_ref(build.image_ref)
    assert ref.repository.startswith(f"{team.slug}/")
    with system_client(pipeline.settings) as client:
        assert client.resolve(ref) == build.image_digest
    steps = pipeline.steps(build_id)
    recipe_steps = [s for s in steps if s.step_id]
    assert [s.step_id for s in recipe_steps] == ["1-build-step-0", "1-build-step-1"]
    assert all(s.exit_status == 0 for s in recipe_steps)
    text = pipeline.log_text(build_id)
    assert f"Build {build_id} started at " in text
    assert f"hello-{token}" in text
    for line in ("Fetching secrets for this build...", "0 secrets fetched.",
                 "Build completed", "The image was successfully built."):
        assert line in text
