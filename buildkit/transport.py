"""Connections to a BuildKit daemon, chosen by one address string.

* ``docker://<socket>``: Docker Engine's embedded BuildKit.  grpcio cannot dial
  an HTTP-upgraded socket, so a private 0700 directory holds a local unix socket;
  every connection grpcio opens on it is spliced onto a fresh ``POST /grpc``
  upgrade of the Docker socket.
* ``unix://<path>`` and ``tcp://<host>:<port>``: a standalone buildkitd, dialled
  directly.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import grpc

from buildkit.errors import DaemonUnreachable

# Docker 20.10 accepts 4 MiB per message; Status log batches can be larger
# than grpcio's default receive limit, so both directions allow 16 MiB.
# A failed solve's status details carry the failing op (a recipe step's whole encoded
# payload): past grpcio's 8 KiB metadata limit the step's error became "Stream removed".
CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", 16 << 20),
    ("grpc.max_send_message_length", 16 << 20),
    ("grpc.max_metadata_size", 1 << 20),
    ("grpc.absolute_max_metadata_size", 1 << 20),
]
_UPGRADE = (
    "POST {path} HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\n"
    "Upgrade: h2c\r\n{headers}Content-Length: 0\r\n\r\n"
)


@dataclass(frozen=True)
class Address:
    """A parsed daemon address: ``kind`` is ``docker``, ``unix`` or ``tcp``."""

    kind: str
    target: str

    def __str__(self) -> str:
        return f"{self.kind}://{self.target}"


def parse_address(text: str) -> Address:
    """Parse ``docker://``, ``unix://`` or ``tcp://`` addresses.

    Raises:
        ValueError: for any other scheme or an empty target.
    """
    scheme, sep, target = text.partition("://")
    if not sep or scheme not in {"docker", "unix", "tcp"} or not target:
        raise ValueError(f"unsupported BuildKit address {text!r}: use docker://, unix:// or tcp://")
    return Address(scheme, target)


def upgrade(docker_socket: str, path: str, headers: list[tuple[str, str]] = (),
            timeout: float = 10.0) -> tuple[socket.socket, bytes]:
    """Open ``docker_socket`` and switch ``POST path`` to raw HTTP/2 (h2c).

    Returns:
        The connected socket and any bytes that followed the 101 answer's head
        (they already belong to the HTTP/2 stream).

    Raises:
        DaemonUnreachable: when the socket refuses or the answer is not 101.
    """
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(docker_socket)
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers)
        sock.sendall(_UPGRADE.format(path=path, headers=extra).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(4096)
            if not chunk:
                break
            head += chunk
    except OSError as err:
        sock.close()
        raise DaemonUnreachable(f"Docker socket {docker_socket}: {err}") from None
    status, _, rest = head.partition(b"\r\n\r\n")
    if b" 101 " not in status.split(b"\r\n", 1)[0]:
        sock.close()
        raise DaemonUnreachable(
            f"POST {path} on {docker_socket} was not upgraded: {status[:300]!r}")
    sock.settimeout(None)
    return sock, rest


def pump(src: socket.socket, dst: socket.socket) -> None:
    """Copy bytes from ``src`` to ``dst`` until EOF, then half-close ``dst``."""
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def splice(a: socket.socket, b: socket.socket, first_to_a: bytes = b"") -> list[threading.Thread]:
    """Pump bytes both ways between ``a`` and ``b`` on two daemon threads."""
    if first_to_a:
        a.sendall(first_to_a)
    threads = [
        threading.Thread(target=pump, args=(a, b), daemon=True, name="bk-pump"),
        threading.Thread(target=pump, args=(b, a), daemon=True, name="bk-pump"),
    ]
    for t in threads:
        t.start()
    return threads


class Connection:
    """An open grpc channel to a daemon plus whatever keeps it alive.

    Owns the private directory of bridge sockets and the splice threads; call
    :meth:`close` (or use it as a context manager) to release all of them.
    """

    def __init__(self, address: Address):
        self.address = address
        self.private_dir = Path(tempfile.mkdtemp(prefix="rb-buildkit-"))  # mode 0700
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._closed = False
        self._listener: socket.socket | None = None
        if address.kind == "docker":
            target = f"unix://{self._start_grpc_bridge()}"
        elif address.kind == "unix":
            target = f"unix://{address.target}"
        else:
            target = address.target
        self.channel = grpc.insecure_channel(target, options=CHANNEL_OPTIONS)

    @property
    def docker_socket(self) -> str | None:
        """The Docker Engine socket when connected through Docker, else None."""
        return self.address.target if self.address.kind == "docker" else None

    def track(self, sock: socket.socket) -> None:
        """Close ``sock`` together with this connection."""
        with self._lock:
            self._sockets.append(sock)

    def _start_grpc_bridge(self) -> Path:
        path = self.private_dir / "grpc.sock"
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(path))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept_loop, daemon=True, name="bk-grpc-bridge").start()
        return path

    def _accept_loop(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self.track(client)
            try:
                upstream, leftover = upgrade(self.address.target, "/grpc")
            except DaemonUnreachable:
                client.close()  # grpcio sees the connection fail: UNAVAILABLE
                continue
            self.track(upstream)
            splice(client, upstream, first_to_a=leftover)

    def close(self) -> None:
        """Close the channel, every bridge socket and the private directory."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            sockets, self._sockets = self._sockets, []
        self.channel.close()
        if self._listener is not None:
            close_socket(self._listener)
        for sock in sockets:
            close_socket(sock)
        shutil.rmtree(self.private_dir, ignore_errors=True)

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def close_socket(sock: socket.socket) -> None:
    """Shut down and close ``sock``, ignoring a peer that is already gone."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
