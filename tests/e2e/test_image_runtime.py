"""A built image runs as a workspace (docs/design.md, "The image's runtime config"):
built through the whole pipeline, pulled by its team from the registry and run with
``docker run`` on the stack's dockerd."""

from __future__ import annotations

import base64
import json
import os
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from core.db import BuildState
from pipeline.registry_settings import registry_settings
from registry.wiring import team_worker_credentials
from tests.e2e.test_recipe_on_buildkit import docker

RECIPE = """\
version: "3"
image: {registry}/library/busybox:latest
environment:
  - name: TOP_VAR
    value: top $literal
  - name: RUN_ID
    value: "{run_id}"
launch:
  steps:
    - type: command
      shell: /bin/sh -e {{}}
      user: root
      command: id -u > /tmp/launched-as
runtime:
  environment:
    - name: RUNTIME_VAR
      value: runtime in $HOME
    - name: PATH
      value: /opt/dz/bin:$PATH
    - name: API_KEY
      value: "key={{{{secret:user.API_KEY}}}}"
"""

SECRET_FILE = "/run/devzero/secrets/user.API_KEY"
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@pytest.fixture(scope="module")
def image(pipeline, docker_socket, tmp_path_factory):
    """(docker config dir, image reference): the recipe built, and pulled by its team."""
    team = pipeline.team()
    settings = pipeline.settings
    text = RECIPE.format(registry=settings.registry, run_id=uuid.uuid4().hex)
    build = pipeline.wait(pipeline.submit(team, text), timeout=600)
    assert build.state is BuildState.SUCCEEDED, build.error_message
    user, password = team_worker_credentials(registry_settings(settings)).for_team(team.slug)
    config = tmp_path_factory.mktemp("team-docker")
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    (config / "config.json").write_text(json.dumps({"auths": {settings.registry: {"auth": auth}}}))
    pulled = docker(settings, config, "pull", build.image_ref)
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    yield config, build.image_ref
    docker(settings, config, "image", "rm", build.image_ref)


def run_in(pipeline, image, *command: str, options: tuple[str, ...] = ()):
    config, ref = image
    return docker(pipeline.settings, config, "run", "--rm", "--network", "none", *options, ref,
                  *command)


def test_a_command_runs_as_devzero_in_its_home(pipeline, image):
    ran = run_in(pipeline, image, "id")
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith("uid=1000(devzero) gid=1000(devzero)"), ran.stdout
    ran = run_in(pipeline, image, "pwd")
    assert ran.stdout == "/home/devzero\n", ran.stdout + ran.stderr


def test_top_level_and_runtime_environment_reach_the_command(pipeline, image):
    ran = run_in(pipeline, image, "sh", "-c",
                 'echo "$TOP_VAR|$RUNTIME_VAR|$API_KEY|$PATH|$HOME|$USER"')
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == (f"top $literal|runtime in /home/devzero|key=|/opt/dz/bin:{DEFAULT_PATH}"
                          "|/home/devzero|devzero\n")
    # No platform placed the secret file: the value is empty and the session says why.
    assert f"dzlaunch: secret file {SECRET_FILE} is missing" in ran.stderr


def test_a_secret_file_present_at_run_time_is_read_then(pipeline, image):
    value = "v-" + uuid.uuid4().hex
    with tempfile.TemporaryDirectory() as base:
        os.chmod(base, 0o755)
        secret = Path(base) / "user.API_KEY"
        secret.write_text(value)
        secret.chmod(0o644)
        ran = run_in(pipeline, image, "sh", "-c", 'echo "$API_KEY"',
                     options=("-v", f"{secret}:{SECRET_FILE}:ro"))
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == f"key={value}\n"
    assert "dzlaunch:" not in ran.stderr


def test_without_a_command_launch_runs_as_root_then_the_workspace_stays_up_as_devzero(
        pipeline, image):
    config, ref = image
    settings = pipeline.settings
    name = "dz-runtime-" + uuid.uuid4().hex[:12]
    started = docker(settings, config, "run", "-d", "--name", name, "--network", "none", ref)
    assert started.returncode == 0, started.stderr
    try:
        deadline = time.monotonic() + 120
        logs = docker(settings, config, "logs", name)
        while "launch finished" not in logs.stdout and time.monotonic() < deadline:
            time.sleep(0.5)
            logs = docker(settings, config, "logs", name)
        assert "==> launch finished: 1 step(s) succeeded" in logs.stdout, logs.stdout + logs.stderr
        launched = docker(settings, config, "exec", name, "cat", "/tmp/launched-as")
        assert launched.stdout == "0\n", launched.stdout + launched.stderr
        state = docker(settings, config, "inspect", "-f", "{{.State.Running}}", name)
        assert state.stdout.strip() == "true"
        # What keeps the workspace alive is the session: the workspace user's process.
        status = docker(settings, config, "exec", name, "cat", "/proc/1/status")
        uids = next(line for line in status.stdout.splitlines() if line.startswith("Uid:"))
        assert uids.split()[1:] == ["1000"] * 4, uids
    finally:
        docker(settings, config, "rm", "-f", name)
