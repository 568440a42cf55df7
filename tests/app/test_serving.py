"""The web server sends every write at once: Nagle's algorithm is off on each
connection, so a live log's small writes are not held for the client's delayed ACK.
A client that stops sending is timed out, and the server's own errors are JSON."""

from __future__ import annotations

import json
import socket
import threading

import pytest
import requests

from app.serving import make_server
from tests.conftest import free_tcp_port


def _report_no_delay(environ, start_response):
    """A WSGI app answering whether its own connection has TCP_NODELAY set."""
    conn = environ["werkzeug.socket"]
    value = conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(value).encode()]


def test_every_connection_has_nagle_turned_off():
    port = free_tcp_port()
    server = make_server("127.0.0.1", port, _report_no_delay)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        answers = {requests.get(f"http://127.0.0.1:{port}/", timeout=10).text
                   for _ in range(3)}  # a new connection each time
    finally:
        server.shutdown()
    assert answers == {"1"}


def test_the_app_entry_point_serves_through_it():
    # python -m app (the Procfile's web process) must not bypass the setting.
    import app.__main__ as entry

    assert entry.make_server is make_server


# Slow and half-open clients.  The server waits READ_S for a client's next bytes; the
# test waits far longer (WAIT_S) before calling a connection held open.
READ_S = 1.0
WAIT_S = 60.0


def _read_body(environ, start_response):
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


@pytest.fixture
def timed_server():
    port = free_tcp_port()
    server = make_server("127.0.0.1", port, _read_body, read_timeout_s=READ_S)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield port
    server.shutdown()


def _send_and_read_to_close(port: int, data: bytes) -> bytes:
    """Send ``data``, then read until the server closes (a socket timeout fails the test)."""
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT_S) as conn:
        if data:
            conn.sendall(data)
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
        return received


def test_a_body_that_stops_arriving_is_answered_408_and_closed(timed_server):
    head = (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n")
    answer = _send_and_read_to_close(timed_server, head + b'{"name": ')
    assert answer.startswith(b"HTTP/1.1 408 ")
    # The server is still serving: a complete request gets its answer.
    whole = _send_and_read_to_close(timed_server, head.replace(b"100", b"2") + b"{}")
    assert whole.startswith(b"HTTP/1.1 200 ") and whole.endswith(b"\r\n2")


@pytest.mark.parametrize("data", [b"", b"GET / HT", b"GET / HTTP/1.1\r\nHost: x\r\n"],
                         ids=["nothing", "part of the request line", "part of the headers"])
def test_a_client_that_stops_sending_is_disconnected(timed_server, data):
    assert _send_and_read_to_close(timed_server, data) == b""


def test_errors_the_server_answers_itself_are_json(timed_server):
    # Each request ends exactly where the server stops reading it: bytes left unread
    # when it closes would reset the connection under the answer.
    long_line = b"GET /api/v1/" + b"a" * (65_537 - 12)  # one byte over the line limit
    many_headers = (b"GET /api/v1/me HTTP/1.1\r\nHost: x\r\n"  # 101 headers
                    + b"".join(b"X-%d: 1\r\n" % i for i in range(100)))
    for data, status in [(long_line, 414), (many_headers, 431)]:
        head, _, body = _send_and_read_to_close(timed_server, data).partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 %d " % status)
        assert b"Content-Type: application/json" in head
        assert json.loads(body)["error"]["code"] in ("uri_too_long", "headers_too_large")
