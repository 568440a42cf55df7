"""Helpers of the fault tests: recipes with numbered lines, waits, and the checks every
fault test ends with (nothing stuck, no line lost)."""

from __future__ import annotations

import re
import time
import uuid

from sqlalchemy import select

from core.db import Build
from tests.tasks.harness import busybox_recipe

LINES = 50


def counted_recipe(pipe, token: str, sleep_s: float = 4) -> str:
    """A build that prints LINES numbered lines, then works for ``sleep_s`` seconds
    (the window a fault is injected in), then prints a last line."""
    return busybox_recipe(
        pipe.settings,
        f"i=1; while [ $i -le {LINES} ]; do echo line-$i-{token}; i=$((i+1)); done",
        f"echo started-{token}; sleep {sleep_s}; echo finished-{token}")



def assert_no_line_lost(pipe, build_id: str, token: str) -> None:
    """Every numbered line of a succeeded build is in its stored log, once each."""
    text = pipe.log_text(build_id)
    seen = [int(n) for n in re.findall(rf"line-(\d+)-{token}\b", text)]
    # A cached first step prints nothing on a rerun; a resumed build may show a
    # step twice only if it really ran twice, so count distinct lines.
    if seen:
        assert sorted(set(seen)) == list(range(1, LINES + 1)), sorted(set(seen))
    assert f"finished-{token}" in text


def assert_nothing_stuck(pipe, timeout: float = 240) -> list[Build]:
    """Every build in the private database reaches a terminal state; failed ones carry
    a reason.  The reaper runs meanwhile, as it would on a schedule."""
    deadline = time.monotonic() + timeout
    while True:
        with pipe.services.sessions() as session:
            builds = list(session.scalars(select(Build)))
        live = [b for b in builds if not b.state.terminal]
        if not live:
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"stuck builds: {[(b.id, b.state.value) for b in live]}")
        pipe.app.send_task("tasks.maintenance.reap", kwargs={"stale_after_s": 20},
                           queue=pipe.compile_queue)
        time.sleep(2)
    for b in builds:
        if b.state.value == "failed":
            assert b.error_message, f"{b.id} failed without a reason"
    return builds


def new_token() -> str:
    return uuid.uuid4().hex[:8]


def follow_over_websocket(base_url: str, build_id: str, token: str,
                          timeout: float = 300) -> tuple[list[dict], int]:
    """Follow a build's log over the websocket as a careful client does: on any drop,
    reconnect with ``from=<last seq + 1>``; returns (events, reconnects)."""
    import json

    import websocket

    events: list[dict] = []
    reconnects = -1
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reconnects += 1
        start = events[-1]["seq"] + 1 if events else 1
        try:
            ws = websocket.create_connection(
                f"{base_url}/ws/builds/{build_id}/logs?from={start}",
                header=[f"Authorization: Bearer {token}"], timeout=30)
        except (OSError, websocket.WebSocketException):
            time.sleep(0.5)
            continue
        try:
            while True:
                frame = json.loads(ws.recv())
                if frame["type"] == "event":
                    events.append(frame)
                elif frame["type"] == "status":
                    return events, reconnects
        except (OSError, ValueError, websocket.WebSocketException):
            time.sleep(0.5)  # dropped: reconnect and resume
        finally:
            ws.close()
    raise AssertionError(f"{build_id}: the websocket never delivered a final status")
