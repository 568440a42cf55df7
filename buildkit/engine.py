"""A tiny Docker Engine API client over the unix socket (tag, push, pull, inspect).

Only what the BuildKit client needs on Docker, where the ``moby`` exporter cannot
push: the image is tagged in Docker's store, then pushed through the Engine API.
Push and pull answer HTTP 200 even when they fail, so their JSON-lines bodies
are read to the end and any ``error`` line becomes a typed error.
"""

from __future__ import annotations

import base64
import http.client
import json
import socket
from collections.abc import Callable, Iterator
from urllib.parse import quote, urlencode

from buildkit.errors import (
    AuthFailed,
    BuildKitError,
    DaemonUnreachable,
    PushFailed,
    looks_like_auth_error,
)
from llb.imageref import repo_and_tag

#: Called with every JSON line of a push or pull stream (progress display).
StreamCallback = Callable[[dict], None]


def registry_auth(username: str = "", password: str = "", server: str = "",
                  identity_token: str = "") -> str:
    """The ``X-Registry-Auth`` header: URL-safe base64 (with padding) of the JSON."""
    if identity_token:
        payload = {"identitytoken": identity_token, "serveraddress": server}
    elif username or password:
        payload = {"username": username, "password": password, "serveraddress": server}
    else:
        payload = {}
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float):
        super().__init__("docker", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


class EngineClient:
    """Calls the Docker Engine API on ``socket_path``; one connection per call."""

    def __init__(self, socket_path: str, timeout: float = 600.0):
        self.socket_path = str(socket_path)
        self.timeout = timeout

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        """One call; returns the status and the whole body."""
        status, lines = self._open(method, path, body, headers)
        try:
            return status, b"".join(lines)
        finally:
            lines.close()

    def _open(self, method, path, body, headers) -> tuple[int, Iterator[bytes]]:
        conn = _UnixConnection(self.socket_path, self.timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
        except OSError as err:
            conn.close()
            raise DaemonUnreachable(f"Docker Engine API on {self.socket_path}: {err}") from None

        def lines() -> Iterator[bytes]:
            try:
                while chunk := resp.readline(1 << 20):
                    yield chunk
            finally:
                conn.close()

        return resp.status, lines()

    def _json_stream(self, method: str, path: str, headers: dict[str, str],
                     on_line: StreamCallback | None, error_cls: type[BuildKitError]) -> list[dict]:
        status, lines = self._open(method, path, None, headers)
        try:
            return self._read_stream(method, path, status, lines, on_line, error_cls)
        finally:
            lines.close()  # closes the connection even when an error line stops us early

    @staticmethod
    def _read_stream(method, path, status, lines, on_line, error_cls) -> list[dict]:
        if status >= 400:
            body = b"".join(lines).decode(errors="replace")
            raise _error(error_cls, f"{method} {path}: HTTP {status}: {body.strip()}")
        records = []
        for raw in lines:
            if not raw.strip():
                continue
            record = json.loads(raw)
            records.append(record)
            if on_line:
                on_line(record)
            if "error" in record:
                raise _error(error_cls, record["error"])
        return records

    def tag(self, source: str, target: str) -> None:
        """Tag image ``source`` as ``target`` (``repo[:tag]``)."""
        repo, tag = repo_and_tag(target)
        query = urlencode({"repo": repo, "tag": tag})
        status, body = self.request("POST", f"/images/{quote(source, safe='')}/tag?{query}")
        if status != 201:
            raise PushFailed(f"tag {source} as {target}: HTTP {status}: {body.decode().strip()}")

    def push(self, ref: str, auth: str = "e30=", on_line: StreamCallback | None = None) -> str:
        """Push ``ref``; returns the manifest digest the registry reported.

        Raises:
            AuthFailed: the registry refused the credentials.
            PushFailed: any other error line, or no digest at the end.
        """
        repo, tag = repo_and_tag(ref)
        path = f"/images/{quote(repo, safe='/:')}/push?{urlencode({'tag': tag})}"
        records = self._json_stream("POST", path, {"X-Registry-Auth": auth}, on_line, PushFailed)
        for record in reversed(records):
            digest = (record.get("aux") or {}).get("Digest")
            if digest:
                return digest
        raise PushFailed(f"push of {ref} ended without a digest")

    def pull(self, ref: str, auth: str = "e30=", on_line: StreamCallback | None = None) -> None:
        """Pull ``ref`` into Docker's image store."""
        repo, tag = repo_and_tag(ref)
        path = f"/images/create?{urlencode({'fromImage': repo, 'tag': tag})}"
        self._json_stream("POST", path, {"X-Registry-Auth": auth}, on_line, BuildKitError)

    def inspect_image(self, ref: str) -> dict | None:
        """``docker image inspect`` as a dict, or None when the image is absent."""
        status, body = self.request("GET", f"/images/{quote(ref, safe='')}/json")
        if status == 404:
            return None
        if status != 200:
            raise BuildKitError(f"inspect {ref}: HTTP {status}: {body.decode().strip()}")
        return json.loads(body)

    def remove_image(self, ref: str) -> None:
        """Remove an image tag (force); absent images are fine."""
        status, body = self.request("DELETE", f"/images/{quote(ref, safe='')}?force=1")
        if status not in (200, 404):
            raise BuildKitError(f"remove {ref}: HTTP {status}: {body.decode().strip()}")

    def prune_build_cache(self, all_cache: bool = True) -> int:
        """``docker builder prune [-a]``; returns the bytes reclaimed."""
        status, body = self.request("POST", f"/build/prune?all={int(all_cache)}")
        if status != 200:
            raise BuildKitError(f"build cache prune: HTTP {status}: {body.decode().strip()}")
        return int(json.loads(body).get("SpaceReclaimed") or 0)


def _error(cls: type[BuildKitError], message: str) -> BuildKitError:
    return AuthFailed(message) if looks_like_auth_error(message) else cls(message)
