"""The client side of a BuildKit session: secrets, registry credentials, health.

In a session the daemon is the gRPC *client*: it calls our Secrets, Auth and
Health services over an HTTP/2 connection that we open.  We serve them with an
ordinary grpc server on a unix socket inside the connection's private 0700
directory (whoever can reach that socket can read the secrets) and carry the
bytes inside a ``Control.Session`` stream, which works on both daemons.
"""

from __future__ import annotations

import secrets as _random
import socket
import threading
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from buildkit.pb import (
    auth_pb2,
    auth_pb2_grpc,
    control_pb2,
    control_pb2_grpc,
    secrets_pb2,
    secrets_pb2_grpc,
)
from buildkit.transport import Connection, close_socket

#: Returns the value of secret ``id`` for this build, or None when unknown.
SecretLookup = Callable[[str], "bytes | None"]


@dataclass(frozen=True)
class RegistryCredentials:
    """Credentials for one registry host; ``username=""`` means a bearer token."""

    username: str
    secret: str


#: Returns the credentials for a registry host (``127.0.0.1:5000``), or None.
CredentialLookup = Callable[[str], "RegistryCredentials | None"]

SESSION_METHODS = (
    "/moby.buildkit.secrets.v1.Secrets/GetSecret",
    "/moby.filesync.v1.Auth/Credentials",
    "/grpc.health.v1.Health/Check",
)


class SecretsService(secrets_pb2_grpc.SecretsServicer):
    """Serves one build's secrets; unknown ids are NOT_FOUND."""

    def __init__(self, lookup: SecretLookup):
        self._lookup = lookup

    def GetSecret(self, request, context):  # noqa: N802 (grpc method name)
        """Answer buildkitd's request for one secret by id (NOT_FOUND if unknown)."""
        value = self._lookup(request.ID)
        if value is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"secret {request.ID} not found")
        return secrets_pb2.GetSecretResponse(data=value)


class AuthService(auth_pb2_grpc.AuthServicer):
    """Hands the daemon the team's registry credentials.

    The token methods answer UNIMPLEMENTED, which is how buildkitd learns to ask for
    Credentials and fetch tokens itself; it asks on every registry it touches.  The
    generated base class would raise NotImplementedError instead, and grpc logs each
    one as an application traceback.
    """

    def __init__(self, lookup: CredentialLookup):
        self._lookup = lookup

    def Credentials(self, request, context):  # noqa: N802
        """Answer buildkitd's request for a registry host's credentials."""
        creds = self._lookup(request.Host)
        if creds is None:
            return auth_pb2.CredentialsResponse()  # anonymous
        return auth_pb2.CredentialsResponse(Username=creds.username, Secret=creds.secret)

    def FetchToken(self, request, context):  # noqa: N802
        """Unimplemented: buildkitd then fetches tokens itself with Credentials."""
        _unimplemented(context, "FetchToken")

    def GetTokenAuthority(self, request, context):  # noqa: N802
        """Unimplemented: this session serves registry credentials only."""
        _unimplemented(context, "GetTokenAuthority")

    def VerifyTokenAuthority(self, request, context):  # noqa: N802
        """Unimplemented: this session serves registry credentials only."""
        _unimplemented(context, "VerifyTokenAuthority")


def _unimplemented(context: grpc.ServicerContext, method: str) -> None:
    context.abort(grpc.StatusCode.UNIMPLEMENTED,
                  f"{method}: this session serves registry credentials only")


def no_secrets(_id: str) -> None:
    """A :data:`SecretLookup` that knows no secret."""
    return None


def anonymous(_host: str) -> None:
    """A :data:`CredentialLookup` that pulls and pushes anonymously."""
    return None


class Session:
    """One session attached to the daemon; use as a context manager.

    Attributes:
        id: the session id to put in ``SolveRequest.Session``.
    """

    def __init__(self, conn: Connection, secrets: SecretLookup = no_secrets,
                 credentials: CredentialLookup = anonymous):
        self.id = _random.token_hex(16)
        self._conn = conn
        self._path = conn.private_dir / f"session-{self.id[:8]}.sock"
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        secrets_pb2_grpc.add_SecretsServicer_to_server(SecretsService(secrets), self._server)
        auth_pb2_grpc.add_AuthServicer_to_server(AuthService(credentials), self._server)
        checker = health.HealthServicer()
        checker.set("", health_pb2.HealthCheckResponse.SERVING)
        health_pb2_grpc.add_HealthServicer_to_server(checker, self._server)
        self._sock: socket.socket | None = None
        self._call = None

    def metadata(self) -> list[tuple[str, str]]:
        """The gRPC metadata announcing this session to the daemon."""
        pairs = [
            ("x-docker-expose-session-uuid", self.id),
            ("x-docker-expose-session-name", "recipe-builder"),
            ("x-docker-expose-session-sharedkey", self.id),
        ]
        return pairs + [("x-docker-expose-session-grpc-method", m) for m in SESSION_METHODS]

    def start(self) -> Session:
        """Start the local server and attach it through ``Control.Session``."""
        self._server.add_insecure_port(f"unix:{self._path}")
        self._server.start()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(str(self._path))
        self._sock = sock
        stub = control_pb2_grpc.ControlStub(self._conn.channel)
        self._call = stub.Session(self._outgoing(sock), metadata=self.metadata())
        threading.Thread(target=self._incoming, args=(sock,), daemon=True,
                         name="bk-session-in").start()
        return self

    def _outgoing(self, sock: socket.socket) -> Iterator[control_pb2.BytesMessage]:
        while True:
            try:
                data = sock.recv(65536)
            except OSError:
                return
            if not data:
                return
            yield control_pb2.BytesMessage(data=data)

    def _incoming(self, sock: socket.socket) -> None:
        try:
            for message in self._call:
                sock.sendall(message.data)
        except (grpc.RpcError, OSError):
            pass
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self) -> None:
        """Detach from the daemon and stop the local server."""
        if self._call is not None:
            self._call.cancel()
        if self._sock is not None:
            close_socket(self._sock)
        self._server.stop(grace=None)
        try:
            self._path.unlink()
        except FileNotFoundError:
            pass

    def __enter__(self) -> Session:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
