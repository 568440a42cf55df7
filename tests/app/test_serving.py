"""The web server sends every write at once: Nagle's algorithm is off on each
connection, so a live log's small writes are not held for the client's delayed ACK."""

from __future__ import annotations

import socket
import threading

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
