"""The websocket log relay with a real client: auth before any frame, resume with
``from`` losing and repeating nothing, raw and JSON frames, final status, heartbeats
and dropping a client that stops reading."""

from __future__ import annotations

import json
import threading
import time

import pytest
import requests
import websocket

from core import states
from core.db import Build, BuildState
from core.logevents import HEADER, LOG, Entry
from tests.app.apikit import *  # noqa: F403
from tests.app.pipekit import ServerThread
from tests.conftest import free_tcp_port


@pytest.fixture
def server(app):
    port = free_tcp_port()
    thread = ServerThread(app, port)
    thread.start()
    yield f"ws://127.0.0.1:{port}"
    thread.stop()


def new_build(app, team) -> str:
    services = app.extensions["rb.services"]
    with services.sessions() as session:
        build = Build(team_id=team.id, recipe_yaml='version: "3"\n')
        session.add(build)
        session.commit()
        states.transition(session, build.id, BuildState.QUEUED, BuildState.COMPILING)
        session.commit()
        return build.id


def finish(app, build_id: str, state: BuildState = BuildState.SUCCEEDED) -> None:
    services = app.extensions["rb.services"]
    with services.sessions() as session:
        if state is BuildState.SUCCEEDED:
            states.transition(session, build_id, BuildState.COMPILING, BuildState.BUILDING)
            states.transition(session, build_id, BuildState.BUILDING, BuildState.PUSHING)
        assert states.finish(session, build_id, state)
        session.commit()
    services.logbus.end(build_id, state.value)


def append(app, build_id: str, *texts: str) -> None:
    app.extensions["rb.services"].logbus.append(
        build_id, [Entry(LOG, t, vertex="v1", stream="stdout") for t in texts])


def connect(server, build_id, team, **query) -> websocket.WebSocket:
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    return websocket.create_connection(f"{server}/ws/builds/{build_id}/logs?{qs}",
                                       header=[f"Authorization: Bearer {team.token}"], timeout=20)


def frames_until_close(ws) -> list:
    out = []
    while True:
        try:
            opcode, data = ws.recv_data()
        except websocket.WebSocketConnectionClosedException:
            return out
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            return out
        out.append((opcode, data))


def test_auth_is_checked_before_the_handshake(app, server, team_a, team_b):
    build_id = new_build(app, team_a)
    url = f"{server}/ws/builds/{build_id}/logs"
    for headers, status in [([], 401), (["Authorization: Bearer rbt_wrong"], 401),
                            ([f"Authorization: Bearer {team_b.token}"], 404)]:
        with pytest.raises(websocket.WebSocketBadStatusException) as info:
            websocket.create_connection(url, header=headers, timeout=10)
        assert info.value.status_code == status
    ws = websocket.create_connection(f"{url}?token={team_a.token}", timeout=10)
    ws.close()


def test_reconnect_with_from_loses_and_repeats_nothing(app, server, team_a):
    build_id = new_build(app, team_a)
    total = 300

    def produce():
        for i in range(total):
            append(app, build_id, f"line {i}\n")
            time.sleep(0.002)
        finish(app, build_id)

    producer = threading.Thread(target=produce)
    producer.start()
    seen: list[int] = []
    texts: list[str] = []
    next_from = 1
    reconnects = 0
    status = None
    while status is None:
        ws = connect(server, build_id, team_a, **{"from": next_from})
        # Read a few frames, then drop the connection mid-stream and resume.
        for _ in range(40):
            opcode, data = ws.recv_data()
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                break
            frame = json.loads(data)
            if frame["type"] == "status":
                status = frame
                break
            if frame["type"] == "event":
                seen.append(frame["seq"])
                if frame["kind"] == "log":
                    texts.append(frame["data"])
                next_from = frame["seq"] + 1
        ws.close()
        reconnects += 1
    producer.join()
    assert reconnects > 3
    assert seen == list(range(1, len(seen) + 1))  # no gap, no duplicate
    assert texts == [f"line {i}\n" for i in range(total)]
    assert status["state"] == "succeeded" and status["last_seq"] == seen[-1]


def test_raw_frames_and_final_status(app, server, team_a):
    build_id = new_build(app, team_a)
    append(app, build_id, "\x1b[32mgreen\x1b[0m\n", "plain\n")
    finish(app, build_id, BuildState.FAILED)
    frames = frames_until_close(connect(server, build_id, team_a, format="raw"))
    binary = b"".join(d for op, d in frames if op == websocket.ABNF.OPCODE_BINARY)
    assert binary == b"\x1b[32mgreen\x1b[0m\nplain\n"
    last = json.loads(frames[-1][1])
    assert last["type"] == "status" and last["state"] == "failed"


def test_heartbeats_while_quiet(app, server, team_a):
    app.config["RB_WS_HEARTBEAT_S"] = 0.5
    build_id = new_build(app, team_a)
    ws = connect(server, build_id, team_a)
    frame = json.loads(ws.recv())
    assert frame == {"type": "heartbeat", "last_seq": 0}
    append(app, build_id, "after a pause\n")
    kinds = []
    while "event" not in kinds:
        kinds.append(json.loads(ws.recv())["type"])
    finish(app, build_id)
    rest = [json.loads(d) for _, d in frames_until_close(ws)]
    assert rest[-1]["type"] == "status"


def test_a_client_that_stops_reading_is_dropped(app, server, team_a):
    app.config.update(RB_WS_QUEUE_FRAMES=8, RB_WS_SEND_WAIT_S=1.0)
    build_id = new_build(app, team_a)
    chunk = "x" * 60_000 + "\n"
    for _ in range(20):
        append(app, build_id, *[chunk] * 10)  # 12 MB: more than socket buffers hold
    finish(app, build_id)
    ws = connect(server, build_id, team_a, format="raw")
    time.sleep(6)  # not reading: the server's queue fills and it gives up
    received = 0
    close_code = None
    while True:
        try:
            frame = ws.recv_frame()
        except (websocket.WebSocketConnectionClosedException, ConnectionError):
            break
        if frame.opcode == websocket.ABNF.OPCODE_CLOSE:
            close_code = int.from_bytes(frame.data[:2], "big") if frame.data else None
            break
        if frame.opcode == websocket.ABNF.OPCODE_BINARY:
            received += len(frame.data)
    assert received < 200 * len(chunk)  # it did not get everything…
    assert close_code in (1008, None)  # …because it was dropped


def upgrade_headers(team, **overrides) -> dict:
    headers = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
               "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", **team.headers()}
    headers.update(overrides)
    return {k: v for k, v in headers.items() if v is not None}


def test_a_bad_handshake_is_refused_not_a_server_error(app, server, team_a):
    url = server.replace("ws://", "http://") + f"/ws/builds/{new_build(app, team_a)}/logs"
    cases = [({"Sec-WebSocket-Key": None}, 400), ({"Sec-WebSocket-Version": "99"}, 426),
             ({"Sec-WebSocket-Version": None}, 400),
             ({"Sec-WebSocket-Extensions": "permessage-deflate; server_max_window_bits=x"}, 400)]
    for change, status in cases:
        resp = requests.get(url, headers=upgrade_headers(team_a, **change), timeout=20)
        assert resp.status_code == status, change
        assert resp.json()["error"]["message"].startswith("websocket handshake refused")
        if status == 426:
            assert resp.headers["Sec-WebSocket-Version"] == "13"


def test_from_is_checked_as_the_http_log_checks_it_before_upgrading(app, server, team_a):
    build_id = new_build(app, team_a)
    for value in ("99999999999999999999999", "0", "-1", "ten"):
        with pytest.raises(websocket.WebSocketBadStatusException) as info:
            connect(server, build_id, team_a, **{"from": value})
        assert info.value.status_code == 400, value
        http = requests.get(server.replace("ws://", "http://") + f"/api/v1/builds/{build_id}"
                            f"/logs?from={value}", headers=team_a.headers(), timeout=20)
        assert http.status_code == 400
        assert json.loads(info.value.resp_body)["error"] == http.json()["error"]


def wait_for_threads(at_most: int, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while threading.active_count() > at_most and time.monotonic() < deadline:
        time.sleep(0.2)
    return threading.active_count()


def test_every_way_out_of_the_relay_ends_its_threads(app, server, team_a, monkeypatch):
    """Short-lived followers and a relay that fails after the upgrade leave no thread
    behind (the web process must not grow with the connections it has served)."""
    from app import ws as relay_module

    build_id = new_build(app, team_a)
    before = threading.active_count()
    for _ in range(5):  # a follower that goes away at once
        connect(server, build_id, team_a).close()

    def broken_follow(*args, **kwargs):
        raise RuntimeError("the log bus failed")
        yield

    monkeypatch.setattr(relay_module, "follow", broken_follow)
    for _ in range(5):
        ws = connect(server, build_id, team_a)
        opcode, data = ws.recv_data(control_frame=True)
        assert opcode == websocket.ABNF.OPCODE_CLOSE
        assert int.from_bytes(data[:2], "big") == 1011  # closed as a server error
        ws.close()
    assert wait_for_threads(before) <= before, [t.name for t in threading.enumerate()]


def test_a_quiet_follower_outlives_the_servers_read_timeout(app, team_a):
    """The read timeout ends stalled requests, not websockets after their upgrade."""
    port = free_tcp_port()
    thread = ServerThread(app, port, read_timeout_s=0.5)
    thread.start()
    try:
        build_id = new_build(app, team_a)
        ws = connect(f"ws://127.0.0.1:{port}", build_id, team_a)
        time.sleep(3)  # many read timeouts long, without a byte from the client
        append(app, build_id, "still here\n")
        finish(app, build_id)
        frames = [json.loads(d) for _, d in frames_until_close(ws)]
    finally:
        thread.stop()
    assert [f["data"] for f in frames if f.get("kind") == "log"] == ["still here\n"]
    assert frames[-1]["type"] == "status"


def test_the_log_of_a_build_that_just_ended_includes_its_closing_lines(app, client, team_a):
    build_id = new_build(app, team_a)
    append(app, build_id, "step output")
    services = app.extensions["rb.services"]
    with services.sessions() as session:
        assert states.finish(session, build_id, BuildState.FAILED)
        session.commit()

    # Warm the app (its first request opens its clients), so the read below is quick.
    assert client.get(f"/api/v1/builds/{build_id}", headers=team_a.headers()).status_code == 200

    def close_log() -> None:  # as the worker does, a moment after the record ended
        time.sleep(1.0)
        services.logbus.append(build_id, [Entry(HEADER, "Build failed with code 3")])
        services.logbus.end(build_id, BuildState.FAILED.value)

    closer = threading.Thread(target=close_log)
    closer.start()
    response = client.get(f"/api/v1/builds/{build_id}/logs", headers=team_a.headers())
    text = response.get_data(as_text=True)  # the body is read here, while the log is open
    closer.join()
    assert response.status_code == 200
    assert text.rstrip().endswith("Build failed with code 3")


def test_nothing_follows_the_close_frame(app, server, team_a):
    build_id = new_build(app, team_a)
    append(app, build_id, "only line")
    finish(app, build_id)
    ws = connect(server, build_id, team_a)
    frames_until_close(ws)
    # Past the close frame the connection carries nothing more: werkzeug used to write
    # the view's HTTP response there, which browsers report as "Invalid frame header".
    ws.sock.settimeout(10)
    trailing = b""
    while chunk := ws.sock.recv(4096):
        trailing += chunk
    assert trailing == b""
