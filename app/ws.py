"""``/ws/builds/<id>/logs``: a build's log over a websocket, resumable without gaps.

* The handshake, auth and ``from`` are checked first: the HTTP upgrade is refused
  (400/426, 401/404, 400 JSON) before a single frame is sent.  Browsers cannot set
  headers on websockets, so besides a bearer header a ``?token=`` query parameter or
  the signed-in session (same origin only) is accepted.
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
import logging
import queue
import socket
import threading
import time
from typing import Any

from flask import Blueprint, Flask, current_app, g, request, session
from flask_sock import Sock

from app import wshandshake
from app.api import auth, context, errors, lookup, params, serialize
from app.api.logstream import follow
from app.api.services import services
from app.serving import lift_read_timeout
from core.db import Build, utcnow
from core.logevents import END, raw_chunk

bp = Blueprint("ws", __name__)
sock = Sock()
DEFAULTS = {"RB_WS_HEARTBEAT_S": 15.0, "RB_WS_QUEUE_FRAMES": 512, "RB_WS_SEND_WAIT_S": 10.0}
SLOW_CLIENT = 1008
SERVER_ERROR = 1011
TOO_SLOW = "client too slow; reconnect with from=<last seq + 1>"
_STOP = object()
log = logging.getLogger(__name__)


@bp.before_request
def _authorize() -> Any:
    """Check the handshake, authenticate, find the build and check ``from`` before
    upgrading: every refusal is an HTTP answer, never an error inside the socket."""
    refused = wshandshake.refusal(request.environ)
    if refused is not None:
        body, status = errors.error_response(refused.status, refused.message)
        body.headers.update(refused.headers)
        return body, status
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
        g.rb_from_seq = params.from_seq()
    except errors.ApiError as exc:
        return errors.error_response(exc.status, exc.message, exc.code)
    finally:
        context.close_db()
    # The server's read timeout is for requests; a follower may stay quiet for hours.
    lift_read_timeout(request.environ)
    return None


def _same_origin() -> bool:
    origin = request.headers.get("Origin")
    return origin is None or origin.split("://", 1)[-1] == request.host


def relay(ws: Any, build_id: str, from_seq: int) -> None:
    """Replay, follow and hand frames to a writer thread through a bounded queue.

    The writer is stopped on every way out, an exception included: a thread left
    waiting on the queue would outlive the connection.
    """
    config = {k: current_app.config.get(k, v) for k, v in DEFAULTS.items()}
    frames: queue.Queue = queue.Queue(maxsize=int(config["RB_WS_QUEUE_FRAMES"]))
    state = {"dropped": False, "last_send": time.monotonic()}
    writer = threading.Thread(target=_write, args=(ws, frames, state), daemon=True)
    writer.start()
    try:
        _feed(ws, build_id, from_seq, frames, state, config)
    finally:
        _stop_writer(ws, writer, frames, float(config["RB_WS_SEND_WAIT_S"]))
    if state["dropped"]:
        _close(ws, SLOW_CLIENT, TOO_SLOW)


def _feed(ws: Any, build_id: str, from_seq: int, frames: queue.Queue, state: dict,
          config: dict) -> None:
    raw = request.args.get("format", "json") == "raw"
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


def _stop_writer(ws: Any, writer: threading.Thread, frames: queue.Queue, wait_s: float) -> None:
    try:
        frames.put(_STOP, timeout=wait_s)
    except queue.Full:  # the writer is stuck sending: ending the socket unblocks it
        _close(ws, SLOW_CLIENT, TOO_SLOW)
        _discard(frames)
        frames.put_nowait(_STOP)
    writer.join(timeout=wait_s + 5)
    if writer.is_alive():  # still sending to a client that stopped reading
        _close(ws, SLOW_CLIENT, TOO_SLOW)
        writer.join(timeout=wait_s)


def _discard(frames: queue.Queue) -> None:
    while True:
        try:
            frames.get_nowait()
        except queue.Empty:
            return


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


def _end(ws: Any, wait_s: float = 2.0) -> None:
    """Close with a close frame, then shut the socket's write side.

    Under werkzeug the view's HTTP response is written after the view returns: past
    the close frame those bytes reached browsers as a broken frame ("Invalid frame
    header").  With the write side shut that write fails as a dropped connection,
    which the server ignores.  The client's close frame is still read (bounded).
    """
    try:
        if ws.connected:
            ws.close()
    except Exception:
        pass
    try:
        ws.sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    ws.thread.join(timeout=wait_s)


@sock.route("/ws/builds/<build_id>/logs", bp=bp)
def build_log_socket(ws: Any, build_id: str) -> None:
    try:
        relay(ws, g.rb_build_id, g.rb_from_seq)
    except Exception:
        # Upgraded already: an HTTP 500 would be written into the websocket stream.
        log.exception("websocket log relay of %s failed", g.rb_build_id)
        _close(ws, SERVER_ERROR, "internal error; reconnect with from=<last seq + 1>")
    finally:
        _end(ws)


def init_app(app: Flask) -> None:
    """Register the websocket route on ``app`` (after :func:`app.api.init_app`)."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.register_blueprint(bp)
