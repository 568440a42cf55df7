"""Fixtures shared by every test folder.

Tests talk to the real services that ``scripts/services up`` starts.  When one is
missing a test is skipped with the reason locally, but under ``CI=true`` the same
condition fails the test: CI must never pass by skipping.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from core.config import REPO_ROOT, Settings

IN_CI = os.environ.get("CI", "").lower() == "true"
SHARED = REPO_ROOT.parent / "shared"


def need(condition: bool, reason: str) -> None:
    """Skip (locally) or fail (in CI) unless ``condition`` holds."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def tcp_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def free_port():
    """A function returning an unused loopback TCP port."""
    return free_tcp_port


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings.from_env()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    need(SHARED.is_dir(), f"{SHARED} (the shared test data) is absent")
    return SHARED


@pytest.fixture(scope="session")
def docker_socket(settings: Settings) -> Path:
    """The repo-started dockerd's socket, checked to answer ``/_ping``."""
    sock = settings.docker_socket
    ok = False
    if sock.exists():
        try:
            with socket.socket(socket.AF_UNIX) as s:
                s.settimeout(2)
                s.connect(str(sock))
                s.sendall(b"GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n")
                ok = b" 200 " in s.recv(256)
        except OSError:
            ok = False
    need(ok, f"dockerd is not answering on {sock}; run scripts/services up")
    return sock


@pytest.fixture(scope="session")
def build_engine(settings: Settings) -> str:
    """The configured build engine's address (``RB_BUILDKIT_ADDR``), checked to answer."""
    from core.health import buildkit_check

    check = buildkit_check(settings.buildkit_addr)
    need(check.ok, f"the build engine is not answering: {check.detail}; "
                   "run scripts/services up")
    return settings.buildkit_addr


@pytest.fixture(scope="session")
def redis_url(settings: Settings) -> str:
    import redis

    try:
        redis.Redis.from_url(settings.redis_url, socket_timeout=1).ping()
        ok = True
    except redis.RedisError:
        ok = False
    need(ok, f"Redis is not answering at {settings.redis_url}")
    return settings.redis_url


@pytest.fixture
def spare_registry(tmp_path, settings: Settings, free_port):
    """A second token-auth registry on its own port and state dir; stopped at the end.

    Yields its stack layout (whose settings point at it) and its URL.
    """
    from stack import registry_server
    from stack.layout import Layout

    port = free_port()
    spare = settings.with_overrides(state_dir=tmp_path, registry=f"127.0.0.1:{port}",
                                    registry_url=f"http://127.0.0.1:{port}")
    layout = Layout(spare)
    registry_server.start(layout, name="spare-registry")
    yield layout, spare.registry_url
    registry_server.down(layout, name="spare-registry")


@pytest.fixture(scope="session")
def pull_credentials(settings: Settings):
    """Robot credentials of the test team ``rbtest``: pull on ``library/``, push on
    ``rbtest/`` (what a build worker holds for its team)."""
    from pipeline.registry_settings import registry_settings
    from registry.auth import Credentials
    from registry.credentials import CredentialExists
    from registry.wiring import robot_credentials

    robots = robot_credentials(registry_settings(settings))
    try:
        username, secret = robots.create("rbtest")
    except CredentialExists:
        username, secret = robots.rotate("rbtest")
    return Credentials(username, secret)


@pytest.fixture(scope="session")
def docker_config(tmp_path_factory, settings: Settings, pull_credentials, docker_socket):
    """A Docker CLI config directory logged in to the registry as ``rbtest``."""
    import subprocess

    directory = tmp_path_factory.mktemp("docker-config")
    login = subprocess.run(
        ["/usr/bin/docker", "--config", str(directory), "-H", settings.docker_host, "login",
         "-u", pull_credentials.username, "--password-stdin", settings.registry],
        input=pull_credentials.password, capture_output=True, text=True, timeout=60)
    need(login.returncode == 0, f"docker login to {settings.registry} failed: {login.stderr}")
    return directory


def pushed_image_bytes(settings: Settings, ref: str) -> bytes:
    """An image as the registry holds it: manifest, config and every layer, layers
    decompressed (what a canary scan searches)."""
    import gzip

    from pipeline.registry_settings import registry_settings
    from registry.naming import parse_ref
    from registry.wiring import system_client

    parsed = parse_ref(ref)
    with system_client(registry_settings(settings)) as client:
        manifest = client.get_manifest(parsed.repository, parsed.reference)
        parts = [manifest.body]
        for digest in manifest.blobs():
            blob = client.get_blob(parsed.repository, digest)
            parts.append(gzip.decompress(blob) if blob[:2] == b"\x1f\x8b" else blob)
    return b"".join(parts)
