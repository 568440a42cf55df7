"""The web app's HTTP servers, sending every write at once, timing out clients that
stop sending, and answering their own errors in JSON.

:class:`ProductionWorker` is gunicorn's threaded (``gthread``) worker with these
rules; ``python -m app`` serves with it (settings in app/gunicorn_conf.py).
:func:`make_server` is werkzeug's threaded server with the same rules, for tests
that serve an app inside their own process.

* Werkzeug leaves Nagle's algorithm on for the connections it accepts.  A live log
  (websocket frames, a followed HTTP stream) is a series of small writes; with
  Nagle, a write made while the previous one is unacknowledged waits for the
  client's delayed ACK, 40 ms on Linux — measured here as a 40 ms p99 on the log
  path at 50 000 lines/s, against 6 ms with ``TCP_NODELAY``.  gunicorn sets it on
  its TCP listener, which Linux copies to accepted connections; the worker sets it
  on each connection too, so it does not rest on that.
* A request being read holds a thread.  A client that never finishes its request
  line, headers or body would hold it forever, so every read waits at most
  ``read_timeout_s`` for progress: a stalled request line or header ends the
  connection, a stalled body is answered 408 and the connection closed.  A
  websocket lives on after its upgrade and is quiet by nature: the relay lifts the
  timeout (:func:`lift_read_timeout`) just before upgrading.  Under gunicorn a
  connection that sends nothing at all, or nothing after a response, waits in the
  worker's poller without a thread and is closed after its ``keepalive`` seconds
  (plus gunicorn's 5 s wait for a new connection's first bytes).
* Errors the server answers itself, before the app sees the request (414, 431,
  400 for a malformed request line), use the API's JSON error shape.  gunicorn
  takes request lines up to 8190 bytes (werkzeug 65 536) and a head's 100 fields.
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from gunicorn.http.errors import NoMoreData
from gunicorn.util import write_nonblock
from gunicorn.workers.gthread import ThreadWorker
from werkzeug.exceptions import RequestTimeout
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler
from werkzeug.serving import make_server as _werkzeug_server

from app.api.errors import error_body
from core.config import Settings

#: Seconds a read may wait for the client's next bytes (the production server takes
#: ``RB_WEB_READ_TIMEOUT_S``, default the same).
READ_TIMEOUT_S = 20.0


class NoDelayRequestHandler(WSGIRequestHandler):
    """Nagle off and a read timeout on each connection; JSON for server-made errors."""

    def setup(self) -> None:
        # StreamRequestHandler.setup applies self.timeout to the connection.
        self.timeout = getattr(self.server, "read_timeout_s", READ_TIMEOUT_S)
        super().setup()
        set_no_delay(self.connection)

    def make_environ(self) -> dict[str, Any]:
        environ = super().make_environ()
        environ["wsgi.input"] = TimedInput(environ["wsgi.input"])
        return environ

    def send_error(self, code: int, message: str | None = None,
                   explain: str | None = None) -> None:
        short, _long = self.responses.get(code, ("Error", ""))
        self.log_error("code %d, message %s", code, message or short)
        body = json.dumps(error_body(code, message or short)).encode()
        self.send_response(code, message)
        self.send_header("Connection", "close")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class TimedInput(io.RawIOBase):
    """``wsgi.input`` whose read timeout reaches the app as an HTTP 408.

    Werkzeug's body reader would take the timeout (an ``OSError``) for a client
    that disconnected and answer 400; the client is there, only too slow.
    """

    def __init__(self, stream: Any, on_timeout: Callable[[], None] | None = None) -> None:
        super().__init__()
        self._stream = stream
        self._on_timeout = on_timeout

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        # gunicorn's body reader has no readinto; werkzeug's has.
        if hasattr(self._stream, "readinto"):
            return self._timed(self._stream.readinto, buffer)
        data = self._timed(self._stream.read, len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def read(self, size: int | None = -1) -> bytes:
        return self._timed(self._stream.read, size)

    def readline(self, size: int | None = -1) -> bytes:
        return self._timed(self._stream.readline, size)

    def _timed(self, read: Any, *args: Any) -> Any:
        try:
            return read(*args)
        except TimeoutError:
            if self._on_timeout is not None:
                self._on_timeout()
            raise RequestTimeout("the request body stopped arriving; send it in time") from None


def set_no_delay(sock: socket.socket) -> None:
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:  # not TCP (a unix socket): there is no Nagle to turn off
        pass


def lift_read_timeout(environ: Mapping[str, Any]) -> None:
    """Let the connection of ``environ`` wait without limit (a websocket, once upgraded)."""
    sock = environ.get("werkzeug.socket") or environ.get("gunicorn.socket")
    if sock is not None:
        sock.settimeout(None)


def make_server(host: str, port: int, app, *,
                read_timeout_s: float = READ_TIMEOUT_S) -> BaseWSGIServer:
    """A threaded server for ``app`` on ``host:port`` (call ``serve_forever``)."""
    server = _werkzeug_server(host, port, app, threaded=True,
                              request_handler=NoDelayRequestHandler)
    server.read_timeout_s = read_timeout_s
    return server


# The production server --------------------------------------------------------------


class ClientStalled(NoMoreData, TimeoutError):
    """A read on a connection found no new bytes within the read timeout.

    gunicorn takes it for a client gone away while it reads a request's head (the
    connection is closed, nothing is logged as an error); the app's body reader sees
    a ``TimeoutError`` and answers 408.
    """


class TimedSocket(socket.socket):
    """An accepted connection whose blocking mode waits at most ``read_timeout_s``.

    gunicorn switches a connection between non-blocking (in its poller) and blocking
    (in a thread) with ``setblocking``; here "blocking" means blocking with the read
    timeout, so no read in a thread waits without limit.
    """

    read_timeout_s: float = READ_TIMEOUT_S
    stalled: bool = False  # a body stopped arriving: the connection is not kept alive

    @classmethod
    def adopt(cls, sock: socket.socket, read_timeout_s: float) -> TimedSocket:
        timeout = sock.gettimeout()
        timed = cls(sock.family, sock.type, sock.proto, fileno=sock.detach())
        timed.read_timeout_s = read_timeout_s
        timed.settimeout(timeout)
        return timed

    def setblocking(self, flag: bool) -> None:
        if flag:
            self.settimeout(self.read_timeout_s)
        else:
            super().setblocking(False)

    def recv(self, *args: Any) -> bytes:
        try:
            return super().recv(*args)
        except TimeoutError:
            raise ClientStalled(b"") from None

    def recv_into(self, *args: Any) -> int:
        try:
            return super().recv_into(*args)
        except TimeoutError:
            raise ClientStalled(b"") from None


class ProductionWorker(ThreadWorker):
    """gunicorn's ``gthread`` worker: Nagle off and a read timeout on each connection
    it accepts, a stalled body answered 408, and JSON for the errors it answers."""

    def read_timeout_s(self) -> float:
        return Settings.from_env().web_read_timeout_s

    def load_wsgi(self) -> None:
        super().load_wsgi()
        self.wsgi = _with_timed_input(self.wsgi)

    def enqueue_req(self, conn: Any) -> None:
        # Called on the worker's main thread for a new connection, and again for each
        # later request on it: the first time, the socket is made a TimedSocket.
        if not isinstance(conn.sock, TimedSocket):
            conn.sock = TimedSocket.adopt(conn.sock, self.read_timeout_s())
            set_no_delay(conn.sock)
        super().enqueue_req(conn)

    def handle_request(self, req: Any, conn: Any) -> bool:
        keep_alive = super().handle_request(req, conn)
        # After a stalled body the rest of it may still come: the connection ends.
        return keep_alive and not getattr(conn.sock, "stalled", False)

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        # gunicorn logs the error and writes an HTML page; the page is caught here
        # and its status is answered with the API's error shape instead.
        page = _CapturedWrite()
        super().handle_error(req, page, addr, exc)
        status, reason = page.status()
        message = str(exc) if 400 <= status < 500 and str(exc) else reason
        body = json.dumps(error_body(status, message)).encode()
        head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
        try:
            write_nonblock(client, head.encode("latin-1") + body)
        except Exception:  # the client has gone: there is no one to answer
            pass


class _CapturedWrite:
    """Stands in for the client socket while gunicorn writes its own error page."""

    def __init__(self) -> None:
        self.data = b""

    def gettimeout(self) -> float:
        return 0.0

    def setblocking(self, flag: bool) -> None:
        pass

    def sendall(self, data: bytes) -> None:
        self.data += data

    def status(self) -> tuple[int, str]:
        line = self.data.split(b"\r\n", 1)[0].decode("latin-1")
        _version, code, reason = (line.split(" ", 2) + ["", ""])[:3]
        return (int(code), reason) if code.isdigit() else (500, "Internal Server Error")


def _with_timed_input(app: Callable) -> Callable:
    def timed_input_app(environ: dict, start_response: Callable) -> Any:
        sock = environ.get("gunicorn.socket")

        def stalled() -> None:
            if sock is not None:
                sock.stalled = True

        environ["wsgi.input"] = TimedInput(environ["wsgi.input"], on_timeout=stalled)
        return app(environ, start_response)

    return timed_input_app


@contextmanager
def production_server(app_uri: str, port: int, *, host: str = "127.0.0.1",
                      env: Mapping[str, str] | None = None, log: Any = None,
                      ready_s: float = 60.0) -> Iterator[subprocess.Popen]:
    """``python -m app`` serving ``app_uri`` (gunicorn's ``module:callable()``) on
    ``host:port`` in a child process, for the ``with`` block (tests, benchmarks).

    The block starts once the port accepts connections; at its end the server is
    stopped (SIGTERM, then SIGKILL).
    """
    from core.config import REPO_ROOT

    proc = subprocess.Popen([sys.executable, "-m", "app", "--bind", f"{host}:{port}", app_uri],
                            cwd=REPO_ROOT, env={**os.environ, **(env or {})},
                            stdout=log, stderr=subprocess.STDOUT if log else None,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + ready_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"python -m app {app_uri} exited with {proc.returncode}")
            try:
                socket.create_connection((host, port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"python -m app {app_uri} did not listen on {port}"
                                       ) from None
                time.sleep(0.1)
        yield proc
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    for sig, wait_s in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=wait_s)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue
