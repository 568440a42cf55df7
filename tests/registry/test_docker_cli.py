"""Debian's Docker CLI and the Engine API against the token-auth registry.

Uses the repo-started dockerd (``docker_socket``); the registry listens on 127.0.0.1,
which dockerd treats as insecure (plain HTTP) by default, and the realm is on this host.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from buildkit.engine import EngineClient, registry_auth
from buildkit.errors import AuthFailed
from registry.errors import Denied, NotFound
from tests.registry.conftest import make_image, push_image

DOCKER = "/usr/bin/docker"  # Debian's client, not an unrelated newer one on PATH

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def images(token_registry):
    with token_registry.client(token_registry.team("acme")) as acme:
        push_image(acme, "acme/cli", "1", make_image({"acme.txt": b"acme"}))
    with token_registry.client(token_registry.team("globex")) as globex:
        push_image(globex, "globex/cli", "1", make_image({"globex.txt": b"globex"}))
    return token_registry


def docker(socket_path: Path, config: Path, *args: str, stdin: str | None = None):
    return subprocess.run(
        [DOCKER, "-H", f"unix://{socket_path}", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={"DOCKER_CONFIG": str(config), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )


def login(socket_path, config, host, credentials):
    return docker(
        socket_path,
        config,
        "login",
        "-u",
        credentials.username,
        "--password-stdin",
        host,
        stdin=credentials.password,
    )


@pytest.fixture
def acme_cli(docker_socket, images, tmp_path):
    creds = images.team("acme")
    result = login(docker_socket, tmp_path, images.settings.registry, creds)
    assert result.returncode == 0, result.stderr
    assert "Login Succeeded" in result.stdout
    pulled: list[str] = []
    yield lambda *args: docker(docker_socket, tmp_path, *args), pulled
    for ref in pulled:
        docker(docker_socket, tmp_path, "image", "rm", "-f", ref)


def test_team_pulls_its_own_image_but_not_another_teams(acme_cli, images):
    run, pulled = acme_cli
    host = images.settings.registry
    own = f"{host}/acme/cli:1"
    pulled.append(own)
    result = run("pull", own)
    assert result.returncode == 0, result.stderr
    theirs = f"{host}/globex/cli:1"
    pulled.append(theirs)
    refused = run("pull", theirs)
    assert refused.returncode != 0
    assert "denied" in refused.stderr


def test_login_with_a_wrong_secret_fails(docker_socket, images, tmp_path):
    creds = images.team("acme")
    wrong = type(creds)(creds.username, creds.password + "x")
    result = login(docker_socket, tmp_path, images.settings.registry, wrong)
    assert result.returncode != 0
    assert "unauthorized" in result.stderr


def test_engine_push_with_team_credentials_lands_only_in_its_namespace(
    acme_cli, images, docker_socket
):
    run, pulled = acme_cli
    host = images.settings.registry
    source = f"{host}/acme/cli:1"
    pulled.append(source)
    assert run("pull", source).returncode == 0
    own, foreign = f"{host}/acme/pushed:1", f"{host}/globex/stolen:1"
    for ref in (own, foreign):
        pulled.append(ref)
        assert run("tag", source, ref).returncode == 0
    creds = images.team("acme")
    auth = registry_auth(creds.username, creds.password, host)
    engine = EngineClient(docker_socket)

    digest = engine.push(own, auth=auth)
    assert digest.startswith("sha256:")
    with pytest.raises(AuthFailed, match="denied"):
        engine.push(foreign, auth=auth)

    with images.client(images.team("acme")) as acme:
        assert acme.resolve(own) == digest
    with images.client(images.team("globex")) as globex:
        with pytest.raises(Denied):
            globex.resolve(own)
        with pytest.raises(NotFound):  # nothing was written into globex's namespace
            globex.resolve(foreign)
