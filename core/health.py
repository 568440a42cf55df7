"""Probes of the services the system depends on, shared by ``/healthz`` and
``scripts/services status``.  Each probe answers with a :class:`Check`; none raises.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import grpc
import redis
import requests
import sqlalchemy


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str
    latency_ms: float

    def as_dict(self) -> dict:
        return asdict(self)


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: Path, timeout: float):
        super().__init__("docker", timeout=timeout)
        self._path = str(path)

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


def timed(probe) -> Check:
    """Run ``probe`` (returning ``(ok, detail)``), timing it and turning exceptions into data."""
    start = time.perf_counter()
    try:
        ok, detail = probe()
    except Exception as exc:  # a probe reports every failure as data
        ok, detail = False, f"{type(exc).__name__}: {exc}"
    return Check(ok, detail, round((time.perf_counter() - start) * 1000, 2))


def redis_check(url: str, timeout: float = 2.0) -> Check:
    def probe():
        client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        try:
            return bool(client.ping()), "PONG"
        finally:
            client.close()

    return timed(probe)


def docker_check(socket_path: Path, timeout: float = 3.0) -> Check:
    """The Engine answers ``/_ping`` and reports BuildKit (``Builder-Version: 2``)."""

    def probe():
        conn = _UnixHTTPConnection(socket_path, timeout)
        try:
            conn.request("GET", "/_ping")
            resp = conn.getresponse()
            resp.read()
            builder = resp.getheader("Builder-Version", "")
            api = resp.getheader("Api-Version", "")
            if resp.status != 200:
                return False, f"/_ping answered {resp.status}"
            conn.request("GET", "/version")
            version = json.loads(conn.getresponse().read())
        finally:
            conn.close()
        if builder != "2":
            return False, f"Docker {version.get('Version')} does not report BuildKit"
        return True, f"Docker {version.get('Version')} (API {api}), BuildKit builder"

    return timed(probe)


def buildkit_check(address: str, timeout: float = 3.0) -> Check:
    """The configured engine answers: Docker's ``/_ping`` for ``docker://``, else
    buildkitd's ``ListWorkers`` with at least one worker.

    The call is made with raw bytes (an empty request; any non-empty answer lists a
    worker) so that the web app's health check needs no BuildKit client.
    """
    scheme, _, target = address.partition("://")
    if scheme == "docker":
        return docker_check(Path(target), timeout)

    def probe():
        channel = grpc.insecure_channel(address if scheme == "unix" else target)
        try:
            list_workers = channel.unary_unary(
                "/moby.buildkit.v1.Control/ListWorkers",
                request_serializer=lambda _: b"", response_deserializer=lambda raw: raw)
            answer = list_workers(None, timeout=timeout)
        finally:
            channel.close()
        if not answer:
            return False, f"BuildKit (buildkitd) at {address} has no worker"
        return True, f"BuildKit (buildkitd) answers at {address}"

    return timed(probe)


def vault_health(addr: str, timeout: float = 2) -> tuple[int | None, dict]:
    """``sys/health``'s status code (200 active, 429 standby, 501 not initialised,
    503 sealed) and body; ``(None, {})`` when nothing answers."""
    try:
        reply = requests.get(f"{addr}/v1/sys/health", timeout=timeout)
    except requests.RequestException:
        return None, {}
    try:
        return reply.status_code, reply.json()
    except ValueError:
        return reply.status_code, {}


def secret_store_check(vault_addr: str, timeout: float = 2) -> Check:
    """Vault (OpenBao) answers unsealed and active; an empty address means the local
    encrypted store, which has nothing to probe."""
    if not vault_addr:
        return Check(True, "local encrypted store (RB_VAULT_ADDR is empty)", 0.0)

    def probe():
        code, body = vault_health(vault_addr, timeout)
        version = body.get("version", "?")
        detail = {
            None: f"OpenBao is not answering at {vault_addr}",
            200: f"OpenBao {version} unsealed at {vault_addr}",
            429: f"OpenBao {version} at {vault_addr} is a standby node",
            501: f"OpenBao at {vault_addr} is not initialised",
            503: f"OpenBao {version} at {vault_addr} is sealed",
        }.get(code, f"OpenBao at {vault_addr} answers HTTP {code}")
        return code == 200, detail

    return timed(probe)


def registry_check(url: str, timeout: float = 3.0) -> Check:
    """``GET /v2/``: 200 (open) or 401 with a Bearer challenge (token auth) is up."""

    def probe():
        resp = requests.get(url.rstrip("/") + "/v2/", timeout=timeout)
        challenge = resp.headers.get("WWW-Authenticate", "")
        if resp.status_code == 200:
            return True, "registry answers (no auth)"
        if resp.status_code == 401 and challenge.startswith("Bearer "):
            return True, "registry answers (token auth)"
        return False, f"GET /v2/ answered {resp.status_code}"

    return timed(probe)


def database_check(url: str, timeout: float = 3.0) -> Check:
    def probe():
        args = {"connect_timeout": int(timeout)} if url.startswith("postgresql") else {}
        engine = sqlalchemy.create_engine(url, connect_args=args)
        try:
            with engine.connect() as conn:
                conn.execute(sqlalchemy.text("SELECT 1"))
            return True, f"{engine.dialect.name} answers"
        finally:
            engine.dispose()

    return timed(probe)
