"""A buildqd worker SIGKILLed with builds in flight and the database briefly
unavailable: on a private stack, so nothing shared is disturbed."""

from __future__ import annotations

import time

from core.db import BuildState
from tests.faults.faultkit import (
    assert_no_line_lost,
    assert_nothing_stuck,
    counted_recipe,
    new_token,
)


def test_buildqd_worker_sigkilled_with_builds_in_flight(private):
    token = new_token()
    team = private.team(limit=1)
    running = private.submit(team, counted_recipe(private, token, sleep_s=30))
    waiting = [private.submit(team, counted_recipe(private, f"{token}{i}", sleep_s=0))
               for i in range(2)]
    private.wait_for_log(running, f"started-{token}")

    # The whole worker (main process and pool) dies at once; its messages, the running
    # build's and the two waiting ones held until their countdown, stay unacknowledged
    # and hidden by the broker for hours.  The reaper fails the running build once its
    # heartbeat lapsed, and resends the waiting builds once their leases lapsed.
    private.kill_worker("buildqd")
    private.start_worker("buildqd", concurrency=2)

    builds = {b.id: b for b in assert_nothing_stuck(private, timeout=150)}
    print({b: (builds[b].state.value, builds[b].error_message) for b in [running, *waiting]})
    killed = builds[running]
    assert killed.state in (BuildState.SUCCEEDED, BuildState.FAILED)
    if killed.state is BuildState.FAILED:
        assert killed.error_message
    else:
        assert_no_line_lost(private, running, token)
    # The builds that waited for the team's slot were not lost with the worker.
    for i, build_id in enumerate(waiting):
        assert builds[build_id].state is BuildState.SUCCEEDED, builds[build_id].error_message
        assert_no_line_lost(private, build_id, f"{token}{i}")
    # And the system takes new work: a build submitted after the fault succeeds.
    again = private.wait(private.submit(team, counted_recipe(private, f"{token}n", 0)),
                         timeout=120)
    assert again.state is BuildState.SUCCEEDED, again.error_message
    assert_no_line_lost(private, again.id, f"{token}n")


def test_database_briefly_unavailable(private):
    token = new_token()
    team = private.team()
    build_id = private.submit(team, counted_recipe(private, token, sleep_s=6))
    private.wait_for_log(build_id, f"started-{token}")

    private.stack.postgres.stop()
    time.sleep(4)  # an outage spanning heartbeats and the end of the step
    private.stack.postgres.start()

    builds = {b.id: b for b in assert_nothing_stuck(private, timeout=120)}
    build = builds[build_id]
    print(f"after a database outage: {build.state.value}: {build.error_message}")
    assert build.state in (BuildState.SUCCEEDED, BuildState.FAILED)
    if build.state is BuildState.SUCCEEDED:
        assert_no_line_lost(private, build_id, token)
    # The pools recover: the next build succeeds.
    again = private.wait(private.submit(team, counted_recipe(private, token, 0)), timeout=120)
    assert again.state is BuildState.SUCCEEDED, again.error_message
