"""A real token-auth registry for the registry tests, started by the tests themselves.

``token_registry`` runs Debian's ``docker-registry`` on a free port with the config
``registry.config`` writes, and serves the token blueprint with werkzeug in a thread; both
live under a temporary state directory and stop at the end of the session.  Until
``scripts/services`` serves the realm, this is what the tests use.
"""

from __future__ import annotations

import gzip
import io
import shutil
import subprocess
import tarfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from flask import Flask
from werkzeug.serving import make_server

from app import registry_token
from core.config import Settings
from pipeline.registry_settings import registry_settings
from registry.auth import Credentials
from registry.client import RegistryClient
from registry.config import write_registry_config
from registry.credentials import robot_store, worker_credentials
from registry.manifests import (
    DOCKER_CONFIG,
    DOCKER_LAYER_GZIP,
    DOCKER_MANIFEST,
    Descriptor,
    image_config,
    image_manifest,
    sha256_digest,
)
from registry.transport import RetryPolicy
from registry.wiring import authenticator_for, system_credentials
from tests.conftest import free_tcp_port, need

REGISTRY_BINARY = shutil.which("docker-registry") or "/usr/bin/docker-registry"




def wait_for(predicate, timeout: float = 20, what: str = "service") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not come up in {timeout}s")


class RegistryProcess:
    """One ``docker-registry serve`` child with its own config, port and log."""

    def __init__(self, config: Path, url: str, log: Path):
        self.config, self.url, self.log = config, url, log
        self.proc: subprocess.Popen | None = None

    def answers(self) -> bool:
        try:
            return requests.get(self.url + "/v2/", timeout=1).status_code in (200, 401)
        except requests.RequestException:
            return False

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [REGISTRY_BINARY, "serve", str(self.config)], stdout=log, stderr=log
            )
        wait_for(self.answers, what=f"registry at {self.url} (log {self.log})")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class TokenServer:
    """The token blueprint in a Flask app served by werkzeug on a background thread."""

    def __init__(self, settings: Settings, port: int):
        app = Flask("registry-token-test")
        registry = registry_settings(settings)
        registry_token.init_app(app, registry, authenticator_for(registry))
        self.app = app
        self.server = make_server("127.0.0.1", port, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(10)


@dataclass
class TokenRegistry:
    """A running registry with token auth, and ways to get clients for it."""

    settings: Settings
    process: RegistryProcess
    tokens: TokenServer
    teams: dict[str, Credentials] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.settings.registry_url

    @property
    def state(self) -> Path:
        return self.settings.state_dir / "registry"

    def system(self) -> Credentials:
        return system_credentials(registry_settings(self.settings))

    def team(self, team: str) -> Credentials:
        """Robot credentials for ``team``, made once per registry (secrets show once)."""
        if team not in self.teams:
            self.teams[team] = Credentials(*robot_store(self.state).create(team))
        return self.teams[team]

    def worker(self):
        """The build workers' per-team credentials of this registry."""
        return worker_credentials(self.state)

    def client(self, credentials: Credentials | None, retry: RetryPolicy | None = None):
        return RegistryClient(self.url, credentials, retry=retry or RetryPolicy(attempts=2))


def start_token_registry(base: Settings, state_dir: Path) -> TokenRegistry:
    need(Path(REGISTRY_BINARY).exists(), "docker-registry is not installed")
    registry_port, token_port = free_tcp_port(), free_tcp_port()
    settings = base.with_overrides(
        state_dir=state_dir,
        registry=f"127.0.0.1:{registry_port}",
        registry_url=f"http://127.0.0.1:{registry_port}",
        registry_realm=f"http://127.0.0.1:{token_port}/v2/token",
    )
    config = write_registry_config(registry_settings(settings))
    tokens = TokenServer(settings, token_port)
    tokens.start()
    process = RegistryProcess(config, settings.registry_url, config.parent / "registry.log")
    process.start()
    return TokenRegistry(settings, process, tokens)


@pytest.fixture(scope="session")
def token_registry(settings: Settings, tmp_path_factory) -> TokenRegistry:
    """The shared token-auth registry of this test session."""
    running = start_token_registry(settings, tmp_path_factory.mktemp("registry-state"))
    yield running
    running.process.stop()
    running.tokens.stop()


@pytest.fixture
def own_registry(settings: Settings, tmp_path) -> TokenRegistry:
    """A registry for one test alone (to stop and restart it)."""
    running = start_token_registry(settings, tmp_path / "state")
    yield running
    running.process.stop()
    running.tokens.stop()


@dataclass(frozen=True)
class SampleImage:
    """A tiny but valid one-layer image, as the blobs and manifest to push."""

    layer: bytes
    config: bytes
    manifest: bytes

    @property
    def digest(self) -> str:
        return sha256_digest(self.manifest)

    @property
    def layer_digest(self) -> str:
        return sha256_digest(self.layer)


def make_image(files: dict[str, bytes]) -> SampleImage:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    layer = gzip.compress(raw.getvalue(), mtime=0)
    config = image_config([sha256_digest(raw.getvalue())], {"Cmd": ["/hello"]})
    manifest = image_manifest(
        Descriptor(DOCKER_CONFIG, sha256_digest(config), len(config)),
        [Descriptor(DOCKER_LAYER_GZIP, sha256_digest(layer), len(layer))],
    )
    return SampleImage(layer, config, manifest)


def push_image(client: RegistryClient, repository: str, tag: str, image: SampleImage) -> str:
    client.upload_blob(repository, image.layer)
    client.upload_blob(repository, image.config)
    return client.put_manifest(repository, tag, image.manifest, DOCKER_MANIFEST)
