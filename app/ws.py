"""``/ws/builds/<id>/logs``: a build's log over a websocket, resumable without gaps.

* Auth comes first: the HTTP upgrade is refused (401/404 JSON) before a single
  frame is sent.  Browsers cannot set headers on websockets, so besides a bearer
  header a ``?token=`` query parameter or the signed-in session (same origin only)
  is accepted.
* ``?from=<seq>`` is the first sequence number wanted (the last one seen + 1); the
  relay replays what is stored from there, then follows, each event exactly once.
* ``?format=raw`` sends log bytes as binary frames; ``json`` (default) sends one
  text frame per event.  Control frames are JSON text in both formats:
  ``{"type": "heartbeat"}`` when quiet, and a final ``{"type": "status"}`` before
  the server closes when the build has ended.
* A client that does not keep up is dropped (close code 1008) once a bounded
  queue of pending frames stays full; the server never buffers without limit.
"""

from __future__ import annotations

import json
import queue
import socket
import threading
import time
from typing import Any

from flask import Blueprint, Flask, current_app, g, request, session
from flask_sock import Sock

from app.api import auth, context, errors, lookup, serialize
from app.api.logstream import follow
from app.api.services import services
from core.db import Build, utcnow
from core.logevents import END, raw_chunk

bp = Blueprint("ws", __name__)
sock = Sock()
DEFAULTS = {"RB_WS_HEARTBEAT_S": 15.0, "RB_WS_QUEUE_FRAMES": 512, "RB_WS_SEND_WAIT_S": 10.0}
SLOW_CLIENT = 1008
_STOP = object()


@bp.before_request
def _authorize() -> Any:
    """Authenticate and find the build before the websocket handshake."""
    db = context.db()
    try:
        token = auth.bearer_token() or request.args.get("token")
        if token:
            caller = auth.caller_from_token(db, token)
        else:
            caller = auth.caller_from_session(db, session) if _same_origin() else None
        if caller is None:
            return errors.error_response(401, "authentication required")
        build_id = (request.view_args or {}).get("build_id", "")
        g.rb_build_id = lookup.build(db, caller, build_id).id
    except errors.ApiError as exc:
        return errors.error_response(exc.status, exc.message, exc.code)
    finally:
        context.close_db()
    return None


def _same_origin() -> bool:
    origin = request.headers.get("Origin")
    return origin is None or origin.split("://", 1)[-1] == request.host


def _int_arg(name: str, default: int) -> int:
    try:
        return max(1, int(request.args.get(name, default)))
    except ValueError:
        return default


def relay(ws: Any, build_id: str) -> None:
    """Replay, follow and hand frames to a writer thread through a bounded queue."""
    config = {k: current_app.config.get(k, v) for k, v in DEFAULTS.items()}
    raw = request.args.get("format", "json") == "raw"
    from_seq = _int_arg("from", 1)
    frames: queue.Queue = queue.Queue(maxsize=int(config["RB_WS_QUEUE_FRAMES"]))
    state = {"dropped": False, "last_send": time.monotonic()}
    writer = threading.Thread(target=_write, args=(ws, frames, state), daemon=True)
    writer.start()
    bus, sessions = services().logbus, services().sessions
    last_seq = from_seq - 1

    def push(frame: Any) -> bool:
        try:
            frames.put(frame, timeout=float(config["RB_WS_SEND_WAIT_S"]))
            return True
        except queue.Full:
            state["dropped"] = True
            return False

    def stopping() -> bool:
        if state["dropped"] or not ws.connected:
            return True
        if time.monotonic() - state["last_send"] >= float(config["RB_WS_HEARTBEAT_S"]):
            state["last_send"] = time.monotonic()
            return not push(json.dumps({"type": "heartbeat", "last_seq": last_seq}))
        return False

    ended, final_state = False, None
    for event in follow(bus, sessions, build_id, from_seq, block_ms=500, cancelled=stopping):
        last_seq = event.seq
        if raw:
            chunk = raw_chunk(event)
            ok = push(chunk) if chunk else True
        else:
            ok = push(json.dumps({"type": "event", **event.as_json()}))
        if not ok:
            break
        if event.kind == END:
            ended, final_state = True, event.text
    if not state["dropped"] and ws.connected:
        with sessions() as db:
            build = db.get(Build, build_id)
            ended = ended or build.state.terminal
            if ended:
                status = serialize.build(build, utcnow(), with_steps=False)
                # The END event carries the final state even if the record lags behind.
                status["state"] = final_state or status["state"]
                push(json.dumps({"type": "status", "last_seq": last_seq, **status}))
    push(_STOP)
    writer.join(timeout=float(config["RB_WS_SEND_WAIT_S"]) + 5)
    if state["dropped"]:
        _close(ws, SLOW_CLIENT, "client too slow; reconnect with from=<last seq + 1>")


def _write(ws: Any, frames: queue.Queue, state: dict) -> None:
    while True:
        frame = frames.get()
        if frame is _STOP:
            return
        try:
            ws.send(frame)
        except Exception:  # the client went away; the reader notices ws.connected
            state["dropped"] = state["dropped"] or ws.connected
            return
        state["last_send"] = time.monotonic()


def _close(ws: Any, code: int, reason: str) -> None:
    try:
        ws.sock.settimeout(1)
        ws.close(reason=code, message=reason)
    except Exception:
        pass
    try:  # unblock a writer stuck sending to a client that stopped reading
        ws.sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


@sock.route("/ws/builds/<build_id>/logs", bp=bp)
def build_log_socket(ws: Any, build_id: str) -> None:
    relay(ws, g.rb_build_id)


def init_app(app: Flask) -> None:
    """Register the websocket route on ``app`` (after :func:`app.api.init_app`)."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.register_blueprint(bp)
