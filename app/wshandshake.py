"""Check a websocket upgrade request before flask-sock answers it.

flask-sock hands the request to simple-websocket, which replays its headers to
wsproto; a request wsproto refuses (no ``Sec-WebSocket-Key``, a version other
than 13, a malformed header or extension offer) raises inside the view and would
be answered with a 500.  Replaying the same headers to a throw-away wsproto
connection first tells which requests would fail, so they get the 400 (or 426)
the protocol asks for instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection
from wsproto.extensions import PerMessageDeflate
from wsproto.utilities import RemoteProtocolError


@dataclass(frozen=True)
class Refusal:
    status: int
    message: str
    headers: dict[str, str] = field(default_factory=dict)


def refusal(environ: Mapping[str, Any]) -> Refusal | None:
    """Why the upgrade request in ``environ`` cannot be accepted; None when it can."""
    if environ.get("REQUEST_METHOD") != "GET":
        return Refusal(400, "a websocket upgrade must be a GET request")
    connection = WSConnection(ConnectionType.SERVER)
    try:
        connection.receive_data(_replayed_request(environ))
        list(connection.events())
        # The server offers permessage-deflate; a malformed offer fails here.
        connection.send(AcceptConnection(extensions=[PerMessageDeflate()]))
    except RemoteProtocolError as exc:
        hint = exc.event_hint
        status = getattr(hint, "status_code", 400)
        headers = {k.decode("latin-1"): v.decode("latin-1")
                   for k, v in getattr(hint, "headers", [])}
        return Refusal(status, f"websocket handshake refused: {exc}", headers)
    except ValueError as exc:  # extension parameters that are not numbers
        return Refusal(400, f"websocket handshake refused: bad extension offer ({exc})")
    return None


def _replayed_request(environ: Mapping[str, Any]) -> bytes:
    """The request as simple-websocket presents it to wsproto: the HTTP_* variables."""
    lines = ["GET / HTTP/1.1"]
    lines += [f"{key[5:].replace('_', '-')}: {value}"
              for key, value in environ.items() if key.startswith("HTTP_")]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()
