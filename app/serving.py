"""The web app's HTTP server: werkzeug's threaded server, sending every write at once,
timing out clients that stop sending, and answering its own errors in JSON.

* Werkzeug leaves Nagle's algorithm on for the connections it accepts.  A live log
  (websocket frames, a followed HTTP stream) is a series of small writes; with
  Nagle, a write made while the previous one is unacknowledged waits for the
  client's delayed ACK, 40 ms on Linux — measured here as a 40 ms p99 on the log
  path at 50 000 lines/s, against 6 ms with ``TCP_NODELAY``.
* Each connection has a thread.  A client that opens one and never finishes its
  request line, headers or body would hold that thread forever, so every read
  waits at most ``read_timeout_s`` for progress: a stalled request line or header
  ends the connection, a stalled body is answered 408.  A websocket lives on after
  its upgrade and is quiet by nature: the relay lifts the timeout
  (:func:`lift_read_timeout`) just before upgrading.
* Errors the server answers itself, before the app sees the request (414, 431,
  400 for a malformed request line), use the API's JSON error shape.
"""

from __future__ import annotations

import io
import json
import socket
from collections.abc import Mapping
from typing import Any

from werkzeug.exceptions import RequestTimeout
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler
from werkzeug.serving import make_server as _werkzeug_server

from app.api.errors import error_body

#: Seconds a read may wait for the client's next bytes.
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

    def __init__(self, stream: Any) -> None:
        super().__init__()
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return _timed(self._stream.readinto, buffer)

    def read(self, size: int | None = -1) -> bytes:
        return _timed(self._stream.read, size)

    def readline(self, size: int | None = -1) -> bytes:
        return _timed(self._stream.readline, size)


def _timed(read: Any, *args: Any) -> Any:
    try:
        return read(*args)
    except TimeoutError:
        raise RequestTimeout("the request body stopped arriving; send it in time") from None


def set_no_delay(sock: socket.socket) -> None:
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:  # not TCP (a unix socket): there is no Nagle to turn off
        pass


def lift_read_timeout(environ: Mapping[str, Any]) -> None:
    """Let the connection of ``environ`` wait without limit (a websocket, once upgraded)."""
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        sock.settimeout(None)


def make_server(host: str, port: int, app, *,
                read_timeout_s: float = READ_TIMEOUT_S) -> BaseWSGIServer:
    """A threaded server for ``app`` on ``host:port`` (call ``serve_forever``)."""
    server = _werkzeug_server(host, port, app, threaded=True,
                              request_handler=NoDelayRequestHandler)
    server.read_timeout_s = read_timeout_s
    return server
