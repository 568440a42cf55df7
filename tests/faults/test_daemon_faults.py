"""dockerd restarted mid-build and the registry down during a push, on a private stack."""

from __future__ import annotations

from core.db import BuildState
from tests.faults.faultkit import (
    assert_no_line_lost,
    assert_nothing_stuck,
    counted_recipe,
    new_token,
)


def test_dockerd_restarted_mid_build_ends_the_build_and_the_next_one_succeeds(private):
    token = new_token()
    team = private.team()
    build_id = private.submit(team, counted_recipe(private, token, sleep_s=8))
    private.wait_for_log(build_id, f"started-{token}")

    private.stack.restart_dockerd()

    build = private.wait(build_id, timeout=300)
    print(f"after a dockerd restart: {build.state.value}: {build.error_message}")
    assert build.state in (BuildState.SUCCEEDED, BuildState.FAILED)
    if build.state is BuildState.SUCCEEDED:
        assert_no_line_lost(private, build_id, token)
    else:
        assert build.error_message
    # The worker reconnects to the restarted daemon: the same recipe now builds.
    again = private.wait(private.submit(team, counted_recipe(private, token, sleep_s=0)))
    assert again.state is BuildState.SUCCEEDED, again.error_message
    assert_no_line_lost(private, again.id, token)
    assert_nothing_stuck(private)


def test_registry_down_during_push_retries_then_fails_clearly(private):
    token = new_token()
    team = private.team()
    build_id = private.submit(team, counted_recipe(private, token, sleep_s=5))
    private.wait_for_log(build_id, f"started-{token}")

    private.stack.stop_registry()
    try:
        build = private.wait(build_id, timeout=300)
    finally:
        private.stack.start_registry()

    log = private.log_text(build_id)
    print(f"registry down: {build.state.value}: {build.error_message}")
    assert build.state is BuildState.FAILED
    assert build.error_message and any(
        word in build.error_message.lower() for word in ("registry", "push", "connect", "refused"))
    assert "retry" in log.lower() or "retrying" in log.lower(), log[-2000:]
    # With the registry back, the same recipe builds and pushes.
    again = private.wait(private.submit(team, counted_recipe(private, token, sleep_s=0)))
    assert again.state is BuildState.SUCCEEDED, again.error_message
    assert_no_line_lost(private, again.id, token)
    assert_nothing_stuck(private)
