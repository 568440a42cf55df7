"""The web servers send every write at once: Nagle's algorithm is off on each
connection, so a live log's small writes are not held for the client's delayed ACK.
A client that stops sending is timed out, and the servers' own errors are JSON.

Each rule is checked on both servers: gunicorn with app.serving.ProductionWorker, as
``python -m app`` runs it (the Procfile's web process), in a child process; and
werkzeug's, which tests serving an app inside their own process use.
"""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
import requests
import websocket

from app.serving import lift_read_timeout, make_server, production_server
from tests.conftest import free_tcp_port

# Slow and half-open clients.  The server waits READ_S for a client's next bytes; the
# test waits far longer (WAIT_S) before calling a connection held open.
READ_S = 1.0
WAIT_S = 60.0
SERVERS = ["gunicorn", "werkzeug"]


def report_no_delay(environ, start_response):
    """A WSGI app answering whether its own connection has TCP_NODELAY set."""
    conn = environ.get("gunicorn.socket") or environ["werkzeug.socket"]
    value = conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(value).encode()]


def read_body(environ, start_response):
    """A WSGI app that reads its whole request body, as every JSON endpoint does."""
    from werkzeug.exceptions import HTTPException
    from werkzeug.wrappers import Request

    try:
        size = len(Request(environ).get_data())
    except HTTPException as exc:
        return exc(environ, start_response)
    body = str(size).encode()
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]


def echo_socket():
    """A Flask app with one websocket route echoing what it receives, its read
    timeout lifted before the upgrade as the log relay (app/ws.py) does."""
    from flask import Flask, request
    from flask_sock import Sock

    app = Flask(__name__)
    sock = Sock(app)

    @app.before_request
    def _lift():
        lift_read_timeout(request.environ)

    @sock.route("/echo")
    def _echo(ws):
        while (message := ws.receive()) is not None:
            ws.send(message)

    return app


@pytest.fixture(params=SERVERS)
def serve(request):
    """``serve(name)``: the port of the server under test serving this module's
    ``name`` (a WSGI app, or a factory called with ``name()``)."""
    started = []

    def start(name: str) -> int:
        port = free_tcp_port()
        if request.param == "gunicorn":
            server = production_server(f"{__name__}:{name}", port,
                                       env={"RB_WEB_READ_TIMEOUT_S": str(READ_S)})
            started.append(server)
            server.__enter__()
        else:
            app = globals()[name.removesuffix("()")]
            server = make_server("127.0.0.1", port, app() if name.endswith("()") else app,
                                 read_timeout_s=READ_S)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            started.append(server)
        return port

    start.kind = request.param
    yield start
    for server in started:
        if hasattr(server, "shutdown"):
            server.shutdown()
        else:
            server.__exit__(None, None, None)


def test_every_connection_has_nagle_turned_off(serve):
    port = serve("report_no_delay")
    answers = {requests.get(f"http://127.0.0.1:{port}/", timeout=10,
                            headers={"Connection": "close"}).text
               for _ in range(3)}  # a new connection each time
    assert answers == {"1"}


def test_the_app_entry_point_serves_with_the_production_worker():
    # python -m app (the Procfile's web process) reads this config.
    from app import gunicorn_conf

    assert gunicorn_conf.worker_class == "app.serving.ProductionWorker"
    assert gunicorn_conf.wsgi_app == "app:create_app()"


def _send_and_read_to_close(port: int, data: bytes) -> bytes:
    """Send ``data``, then read until the server closes (a socket timeout fails the test)."""
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT_S) as conn:
        if data:
            conn.sendall(data)
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
        return received


def test_a_body_that_stops_arriving_is_answered_408_and_closed(serve):
    port = serve("read_body")
    head = (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n")
    answer = _send_and_read_to_close(port, head + b'{"name": ')
    assert answer.startswith(b"HTTP/1.1 408 ")
    # The server is still serving: a complete request gets its answer.
    whole = _send_and_read_to_close(
        port, head.replace(b"100", b"2").replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n")
        + b"{}")
    assert whole.startswith(b"HTTP/1.1 200 ") and whole.endswith(b"\r\n2")


@pytest.mark.parametrize("data", [b"", b"GET / HT", b"GET / HTTP/1.1\r\nHost: x\r\n"],
                         ids=["nothing", "part of the request line", "part of the headers"])
def test_a_client_that_stops_sending_is_disconnected(serve, data):
    port = serve("read_body")
    assert _send_and_read_to_close(port, data) == b""


def test_errors_the_server_answers_itself_are_json(serve):
    port = serve("read_body")
    # Each request ends exactly where the server stops reading it: bytes left unread
    # when it closes would reset the connection under the answer.  werkzeug takes
    # request lines up to 65 536 bytes and refuses the next one; gunicorn takes 8190
    # and refuses once more than the line and its CRLF could be there.  werkzeug
    # stops at the 101st header, gunicorn counts them once it has the whole head.
    over = 8190 + 3 if serve.kind == "gunicorn" else 65_536 + 1
    long_line = b"GET /api/v1/" + b"a" * (over - 12)
    many_headers = (b"GET /api/v1/me HTTP/1.1\r\nHost: x\r\n"  # 101 headers
                    + b"".join(b"X-%d: 1\r\n" % i for i in range(100))
                    + (b"\r\n" if serve.kind == "gunicorn" else b""))
    for data, status in [(long_line, 414), (many_headers, 431)]:
        head, _, body = _send_and_read_to_close(port, data).partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 %d " % status)
        assert b"Content-Type: application/json" in head
        assert json.loads(body)["error"]["code"] in ("uri_too_long", "headers_too_large")


def test_a_websocket_stays_open_past_the_read_timeout(serve):
    # The relay's sockets are handed over raw (flask-sock) and may be quiet for hours.
    port = serve("echo_socket()")
    ws = websocket.create_connection(f"ws://127.0.0.1:{port}/echo", timeout=WAIT_S)
    try:
        ws.send("before")
        assert ws.recv() == "before"
        time.sleep(3 * READ_S)  # quiet for longer than any request read may wait
        ws.send("after")
        assert ws.recv() == "after"
    finally:
        ws.close()
