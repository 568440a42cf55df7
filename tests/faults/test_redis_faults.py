"""Redis restarted mid-build, on a private stack: builds end with a reason or succeed
without losing a line, websocket followers resume, and workers come back: the
compile worker reconnects, and a buildqd worker that kombu stops (see
docs/operations.md) is restarted by scripts/supervise, as in the Procfile."""

from __future__ import annotations

import threading
import uuid

import pytest
import requests

from core.db import BuildState
from tests.app.apikit import dispose, make_app, make_team
from tests.app.pipekit import ServerThread
from tests.conftest import free_tcp_port
from tests.faults.faultkit import (
    LINES,
    assert_no_line_lost,
    assert_nothing_stuck,
    counted_recipe,
    follow_over_websocket,
    new_token,
)


@pytest.fixture(scope="module")
def web(private):
    """The web app (API and websocket relay) on the private stack."""
    app = make_app(private.settings)
    app.extensions["rb.services"].__dict__["celery"] = private.app
    port = free_tcp_port()
    server = ServerThread(app, port)
    server.start()
    yield app, port
    server.stop()
    dispose(app)


def test_redis_restart_mid_build_workers_and_relay_reconnect(private, web):
    app, port = web
    team = make_team(app, f"r{uuid.uuid4().hex[:8]}")
    token = new_token()
    resp = requests.post(f"http://127.0.0.1:{port}/api/v1/builds", headers=team.headers(),
                         json={"yaml": counted_recipe(private, token, sleep_s=8)}, timeout=30)
    assert resp.status_code == 201, resp.text
    build_id = resp.json()["id"]
    followed: dict = {}
    follower = threading.Thread(target=lambda: followed.update(zip(
        ("events", "reconnects"), follow_over_websocket(
            f"ws://127.0.0.1:{port}", build_id, team.token, timeout=200), strict=True)),
        daemon=True)
    follower.start()
    private.wait_for_log(build_id, f"started-{token}")

    private.stack.restart_redis()

    # No build stays live: the reaper (run on a schedule in production) ends one whose
    # worker was stopped with it.
    builds = {b.id: b for b in assert_nothing_stuck(private, timeout=150)}
    build = builds[build_id]
    follower.join(timeout=60)
    assert not follower.is_alive(), "the websocket follower never saw the build end"
    print(f"after a Redis restart: {build.state.value}: {build.error_message}; "
          f"websocket reconnects {followed.get('reconnects')}")
    assert build.state in (BuildState.SUCCEEDED, BuildState.FAILED)
    if build.state is BuildState.SUCCEEDED:
        assert_no_line_lost(private, build_id, token)
        # The websocket client, resuming by sequence, saw each event exactly once.
        seqs = [e["seq"] for e in followed["events"]]
        assert seqs == list(range(1, len(seqs) + 1))
        text = "".join(e["data"] for e in followed["events"])
        assert all(f"line-{i}-{token}" in text for i in range(1, LINES + 1))
        assert f"finished-{token}" in text
    else:
        assert build.error_message
    # Workers reconnected: a new build through the API succeeds.
    again = private.wait(private.submit(private.team(), counted_recipe(private, token, 0)),
                         timeout=150)
    assert again.state is BuildState.SUCCEEDED, again.error_message
    assert_nothing_stuck(private, timeout=60)
