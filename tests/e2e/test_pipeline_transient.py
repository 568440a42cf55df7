"""Transient faults are retried with backoff, then fail the build with the reason."""

from __future__ import annotations

import pytest

from core.db import BuildState
from tests.tasks.harness import busybox_recipe, ensure_dzlaunch_image, make_pipeline


@pytest.fixture(scope="module")
def unreachable_daemon_pipeline(settings, redis_url, tmp_path_factory):
    ensure_dzlaunch_image(settings)
    root = tmp_path_factory.mktemp("transient")
    pipe = make_pipeline(settings.with_overrides(
        buildkit_addr=f"docker://{root / 'no-daemon.sock'}"), root)
    pipe.start_worker("compile")
    pipe.start_worker("buildqd")
    yield pipe
    pipe.stop()


def test_unreachable_daemon_is_retried_three_times_then_fails(unreachable_daemon_pipeline):
    pipe = unreachable_daemon_pipeline
    build = pipe.wait(pipe.submit(pipe.team(), busybox_recipe(pipe.settings, "true")),
                      timeout=120)

    assert build.state is BuildState.FAILED
    assert "not reachable" in build.error_message
    text = pipe.log_text(build.id)
    retries = [line for line in text.splitlines() if line.startswith("Transient failure")]
    assert len(retries) == 3
    for n in (1, 2, 3):
        assert f"(retry {n}/3)" in text
    assert "(retry 4/3)" not in text
    assert text.rstrip().endswith("Build failed with code 1")
