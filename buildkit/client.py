"""The public entry point: connect to a daemon, list workers, solve.

Example::

    with buildkit.connect("docker:///var/run/docker.sock") as client:
        result = client.solve(definition, SolveOptions(image_name="127.0.0.1:5000/t/app:1"),
                              on_event=print)
        print(result.image_digest)
"""

from __future__ import annotations

import socket
import threading
from concurrent.futures import Future

import grpc

from buildkit.capabilities import DaemonInfo, Worker, detect, list_workers
from buildkit.engine import EngineClient
from buildkit.errors import BuildKitError, DaemonUnreachable, InvalidDefinition, from_rpc_error
from buildkit.options import SolveOptions, SolveResult
from buildkit.pb import control_pb2, control_pb2_grpc
from buildkit.solve import EventCallback, SolveRun
from buildkit.transport import Connection, parse_address
from llb.pb import ops_pb2


def as_definition(definition: bytes | ops_pb2.Definition) -> ops_pb2.Definition:
    """Accept a serialized or parsed Definition.

    Raises:
        InvalidDefinition: when the bytes do not parse or hold no ops.
    """
    if isinstance(definition, ops_pb2.Definition):
        parsed = definition
    else:
        parsed = ops_pb2.Definition()
        try:
            parsed.ParseFromString(bytes(definition))
        except Exception as err:  # protobuf's DecodeError differs between backends
            raise InvalidDefinition(f"not a serialized Definition: {err}") from None
    if not getattr(parsed, "def"):
        raise InvalidDefinition("the Definition holds no ops")
    return parsed


class SolveHandle:
    """A solve running in the background; :meth:`cancel` stops it on the daemon."""

    def __init__(self, run: SolveRun):
        self._run = run
        self._future: Future = Future()
        self._thread = threading.Thread(target=self._work, daemon=True, name="bk-solve")
        self._thread.start()

    def _work(self) -> None:
        try:
            self._future.set_result(self._run.run())
        except BaseException as err:  # handed to the caller of result()
            self._future.set_exception(err)

    @property
    def ref(self) -> str:
        """The daemon-side build reference."""
        return self._run.ref

    def cancel(self) -> None:
        """Cancel the solve: the daemon's job is cancelled and running steps stop."""
        self._run.cancel()

    def result(self, timeout: float | None = None) -> SolveResult:
        """Wait for the outcome.

        Raises:
            SolveCancelled: after :meth:`cancel`.
            BuildKitError: any other typed failure.
        """
        return self._future.result(timeout)


class Client:
    """A connection to one BuildKit daemon.  Create it with :func:`connect`."""

    def __init__(self, conn: Connection, info: DaemonInfo):
        self.connection = conn
        self.info = info

    def list_workers(self) -> tuple[Worker, ...]:
        """The daemon's workers, fresh from ``ListWorkers``."""
        return list_workers(self.connection.channel)

    def prune(self, all_cache: bool = True) -> int:
        """Drop the daemon's build cache; returns the bytes reclaimed.

        Drop the daemon's build cache (``buildctl prune [--all]``); records in use by
        a running build stay.  Returns the bytes reclaimed.

        On Docker through the Engine API (``docker builder prune``), the interface
        Docker documents for its builder's cache.
        """
        if self.connection.docker_socket is not None:
            return self.engine().prune_build_cache(all_cache=all_cache)
        stub = control_pb2_grpc.ControlStub(self.connection.channel)
        reclaimed = 0
        try:
            for record in stub.Prune(control_pb2.PruneRequest(all=all_cache)):
                reclaimed += record.Size
        except grpc.RpcError as err:
            raise from_rpc_error(err, "Prune") from None
        return reclaimed

    def engine(self) -> EngineClient:
        """The Docker Engine API client (Docker daemons only).

        Raises:
            BuildKitError: when connected to a standalone buildkitd.
        """
        if self.connection.docker_socket is None:
            raise BuildKitError("no Docker Engine API behind a standalone buildkitd")
        return EngineClient(self.connection.docker_socket)

    def start_solve(self, definition: bytes | ops_pb2.Definition, options: SolveOptions,
                    on_event: EventCallback | None = None) -> SolveHandle:
        """Start a solve in the background and return its cancellable handle."""
        run = SolveRun(self.connection, self.info, as_definition(definition), options,
                       on_event, threading.Event(), watch_cancel=False)
        return SolveHandle(run)

    def solve(self, definition: bytes | ops_pb2.Definition, options: SolveOptions,
              on_event: EventCallback | None = None,
              cancel: threading.Event | None = None) -> SolveResult:
        """Solve ``definition``, export and push per ``options``.

        Args:
            definition: the LLB Definition (serialized or parsed).
            options: image name, config, cache, secrets and credentials.
            on_event: called in order with every progress event.
            cancel: set it from another thread to cancel the solve.

        Returns:
            The image digest and the exporter's response.

        Raises:
            SolveFailed: a step failed (with the vertex and recipe location).
            InvalidDefinition, UnsupportedCapability, SolveCancelled, PushFailed,
            AuthFailed, DaemonUnreachable.
        """
        run = SolveRun(self.connection, self.info, as_definition(definition), options,
                       on_event, cancel or threading.Event())
        return run.run()

    def close(self) -> None:
        """Close the connection and its bridge sockets."""
        self.connection.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def probe_docker_socket(path: str, timeout: float) -> None:
    """Fail fast and readably when the Docker socket is absent or dead.

    Raises:
        DaemonUnreachable: naming the socket.
    """
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(path)
    except OSError as err:
        raise DaemonUnreachable(f"Docker daemon not reachable at {path}: {err}") from None


def connect(address: str, timeout: float = 10.0) -> Client:
    """Connect to a daemon and detect what it is.

    Args:
        address: ``docker://<socket>``, ``unix://<socket>`` or ``tcp://<host>:<port>``.
        timeout: seconds to wait for the daemon's first answer.

    Raises:
        DaemonUnreachable: nothing answers at ``address``.
        ValueError: the address has an unknown scheme.
    """
    parsed = parse_address(address)
    if parsed.kind == "docker":
        probe_docker_socket(parsed.target, timeout)
    conn = Connection(parsed)
    try:
        info = detect(conn.channel, timeout)
    except BaseException:
        conn.close()
        raise
    return Client(conn, info)
