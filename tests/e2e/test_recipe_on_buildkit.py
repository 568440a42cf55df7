"""Compiled recipes run on the real dockerd BuildKit: the compiler's LLB, dzlaunch in the
image, secrets through the session and redacted in the log stream (issues 3 and 4)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import threading
import uuid

import pytest

import buildkit
import buildkit.render
import llb
from buildkit.errors import SolveFailed
from buildkit.progress import LogChunk, VertexStarted
from core.config import REPO_ROOT, Settings
from pipeline.registry_settings import registry_settings
from registry.naming import parse_ref
from registry.wiring import system_client

CANARY = "canary-" + uuid.uuid4().hex


def image_config(compiled: dict) -> buildkit.ImageConfig:
    return buildkit.ImageConfig(env=tuple(compiled.get("Env", ())), user=compiled.get("User", ""),
                                working_dir=compiled.get("WorkingDir", ""),
                                cmd=tuple(compiled["Cmd"]) if compiled.get("Cmd") else None)


def compile_text(text: str, settings: Settings, pinned, secrets: dict | None = None):
    recipe = llb.load_recipe(text, "recipe.yaml")
    inputs = llb.CompileInputs(
        base_image=pinned(f"{settings.registry}/library/busybox:latest"),
        dzlaunch_image=pinned(settings.dzlaunch_image),
        network_mode=settings.network_mode,
        team=llb.TeamNames(variables={}, secrets=secrets or {}),
    )
    return llb.compile_recipe(recipe, inputs)


def solve(client, result, settings: Settings, creds, secrets: dict[str, bytes] | None = None,
          image: str | None = None, push: bool = False):
    events = []
    lock = threading.Lock()

    def collect(event):
        with lock:
            events.append(event)

    options = buildkit.SolveOptions(
        image_name=image, push=push, image_config=image_config(result.image_config),
        secrets=lambda sid: (secrets or {}).get(sid),
        # The team robot's credentials: BuildKit pulls the pinned base and launcher images.
        credentials=lambda host: buildkit.RegistryCredentials(creds.username, creds.password)
        if host == settings.registry else None,
        entitlements=("network.host",) if settings.network_mode == "host" else (),
        insecure_registry=settings.registry_url.startswith("http://"),
    )
    outcome = client.solve(result.definition, options, on_event=collect)
    return outcome, events


def log_text(events) -> str:
    return b"".join(e.data for e in events if isinstance(e, LogChunk)).decode(errors="replace")


def docker(settings: Settings, config, *args: str) -> subprocess.CompletedProcess:
    # Logged in as the rbtest team, the way a workspace host pulls a team's image.
    return subprocess.run(["/usr/bin/docker", "--config", str(config), "-H",
                           settings.docker_host, *args],
                          capture_output=True, text=True, timeout=300)


def test_example_recipe_builds_and_launches(settings, pinned, buildkit_client, pull_credentials,
                                            docker_config):
    text = (REPO_ROOT / "examples" / "busybox-tiny.yaml").read_text()
    # A fresh build variable changes every build step, so nothing comes from cache.
    run_id = f"    - name: RUN_ID\n      value: {uuid.uuid4().hex}\n"
    text = text.replace("      value: 42\n", "      value: 42\n" + run_id)
    assert "RUN_ID" in text
    result = compile_text(text, settings, pinned)
    image = f"{settings.registry}/rbtest/busybox-tiny:{uuid.uuid4().hex[:12]}"

    solved, events = solve(buildkit_client, result, settings, pull_credentials, image=image,
                           push=True)

    logs = log_text(events)
    names = [e.name for e in events if isinstance(e, VertexStarted)]
    assert any(name.startswith("[build 1/4] say hello") for name in names), names
    assert "==> [1-build-step-0]" in logs and "==> [1-build-step-0] exit 0 in " in logs
    assert "hello from build 42 as devzero" in logs
    # File and directory steps: owner, group and mode as the recipe says.
    assert "-rw-r-----    1 1000     1000" in logs and "drwxr-x---" in logs

    # Whichever engine built it, the image is what the registry serves.
    parsed = parse_ref(image)
    with system_client(registry_settings(settings)) as registry:
        manifest = registry.get_manifest(parsed.repository, parsed.reference)
        config = json.loads(registry.get_blob(parsed.repository,
                                              manifest.document["config"]["digest"]))["config"]
    assert manifest.digest == solved.image_digest
    assert config["Cmd"] == result.image_config["Cmd"]
    assert config["WorkingDir"] == result.image_config["WorkingDir"]

    # Pulled from there, the image's launcher runs the recipe's launch steps, as at
    # workspace start.
    pulled = docker(settings, docker_config, "pull", image)
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    try:
        launched = docker(settings, docker_config, "run", "--rm", "--network", "none", image,
                          "/usr/lib/devzero/bin/dzlaunch", "--mode", "launch",
                          "--then", "/bin/true")
        assert launched.returncode == 0, launched.stdout + launched.stderr
        assert "hello" in launched.stdout
        profile = docker(settings, docker_config, "run", "--rm", "--network", "none", image,
                         "cat", "/etc/profile.d/dz-runtime-env.sh")
        assert "/opt/tiny/bin:$PATH" in profile.stdout
    finally:
        docker(settings, docker_config, "image", "rm", image)


SECRET_RECIPE = """\
version: "3"
build:
  steps:
    - type: command
      name: use the token
      shell: /bin/sh -e {{}}
      environment:
        - name: TOKEN
          value: "{{{{secret:team.API_TOKEN}}}}"
      command: |
        test "$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1)" = "{digest}"
        echo "token is $TOKEN"
        printf %s "$TOKEN" | base64
        echo "done with the token"
"""


def test_secret_is_used_but_never_logged(settings, pinned, buildkit_client, pull_credentials):
    digest = hashlib.sha256(CANARY.encode()).hexdigest()
    # The canary is new each run, so its digest (in the script) defeats the cache.
    result = compile_text(SECRET_RECIPE.format(digest=digest), settings, pinned,
                          secrets={"API_TOKEN": "7"})
    assert "team.API_TOKEN" in result.secret_ids
    assert CANARY.encode() not in result.definition

    _, events = solve(buildkit_client, result, settings, pull_credentials,
                      secrets={"team.API_TOKEN": CANARY.encode()})

    logs = log_text(events)
    # The step compared the real value (it would have failed otherwise) ...
    assert "token is ***" in logs and "done with the token" in logs
    # ... and neither the value nor its base64 form reached BuildKit's log stream.
    import base64

    assert CANARY not in logs
    assert base64.b64encode(CANARY.encode()).decode() not in logs
    everything = json.dumps([buildkit.render.to_json(e) for e in events])
    assert CANARY not in everything


def test_failing_step_names_its_recipe_line(settings, pinned, buildkit_client, pull_credentials):
    text = """\
version: "3"
build:
  steps:
    - type: command
      shell: /bin/sh {}
      command: echo fine
    - type: command
      name: this one fails
      shell: /bin/sh {}
      command: exit 3 # RUN
"""
    result = compile_text(text.replace("RUN", uuid.uuid4().hex), settings, pinned)
    with pytest.raises(SolveFailed) as failed:
        solve(buildkit_client, result, settings, pull_credentials)
    error = failed.value
    assert error.vertex_name.startswith("[build 2/2] this one fails")
    assert error.location is not None and error.location.line == 7
    assert "exit code: 3" in str(error) or "exit code 3" in str(error)


def test_long_fast_output_reaches_the_log_stream_unclipped(settings, pinned, buildkit_client,
                                                            pull_credentials):
    """BuildKit clips a step's log by size and rate unless its daemon is told otherwise;
    our promise is that nothing is clipped below our own per-build cap."""
    lines = 120_000  # about 2.5 MB as fast as the step can print it
    text = f"""\
version: "3"
build:
  steps:
    - type: command
      shell: /bin/sh {{}}
      command: "echo run {uuid.uuid4().hex}; seq 1 {lines} | sed 's/^/line /'"
"""
    result = compile_text(text, settings, pinned)
    _, events = solve(buildkit_client, result, settings, pull_credentials)
    logs = log_text(events)
    assert "output clipped" not in logs
    seen = [int(line[5:]) for line in logs.splitlines() if line.startswith("line ")]
    assert seen == list(range(1, lines + 1))


def test_a_directory_step_applies_mode_and_owner_to_an_existing_directory(
        settings, pinned, buildkit_client, pull_credentials):
    text = f"""\
version: "3"
build:
  steps:
    - type: command
      user: root
      shell: /bin/sh {{}}
      command: "mkdir -p /srv/existing/keep && chmod 0700 /srv/existing && echo {uuid.uuid4().hex}"
    - type: directory
      path: /srv/existing
      permissions: "0750"
      user: devzero
    - type: command
      shell: /bin/sh {{}}
      command: ls -ldn /srv/existing /srv/existing/keep
"""
    result = compile_text(text, settings, pinned)
    _, events = solve(buildkit_client, result, settings, pull_credentials)
    listing = [line.split() for line in log_text(events).splitlines()
               if line.startswith("d") and line.endswith(("/srv/existing", "/keep"))]
    assert [(f[0], f[2], f[3]) for f in listing] == [
        ("drwxr-x---", "1000", "1000"),  # the step's mode and owner, though it existed
        ("drwxr-xr-x", "0", "0"),  # what was inside is left alone
    ]
