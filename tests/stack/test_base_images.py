"""Seeded base images come back from the registry and run through the local dockerd."""

from __future__ import annotations

import subprocess

import pytest

from core.config import Settings


def docker(settings: Settings, config, *args: str) -> subprocess.CompletedProcess:
    """Debian's Docker CLI, logged in as a team robot (anonymous pulls are refused)."""
    return subprocess.run(["/usr/bin/docker", "--config", str(config), "-H", settings.docker_host,
                           *args], capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("image", ["library/devbox:bookworm", "library/busybox:latest"])
def test_pulled_back_image_knows_devzero(settings, docker_config, image):
    ref = f"{settings.registry}/{image}"
    # Drop the local copy so the run below uses what the registry serves.
    docker(settings, docker_config, "image", "rm", ref)
    pulled = docker(settings, docker_config, "pull", ref)
    assert pulled.returncode == 0, pulled.stderr

    result = docker(settings, docker_config, "run", "--rm", "--network", "none", ref,
                    "bash", "-c", "id devzero")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith("uid=1000(devzero) gid=1000(devzero)")


def test_devbox_has_tools_and_passwordless_sudo(settings, docker_config):
    ref = f"{settings.registry}/library/devbox:bookworm"
    script = ("sudo -n true && test -d /usr/lib/devzero && echo home=$HOME && "
              "command -v curl git bash && test -f /etc/ssl/certs/ca-certificates.crt")
    result = docker(settings, docker_config, "run", "--rm", "--network", "none", "-u", "devzero",
                    ref,
                    "bash", "-lc", script)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "home=/home/devzero" in result.stdout
    assert "/usr/bin/git" in result.stdout
