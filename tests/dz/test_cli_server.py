"""The ``dz`` commands against a running server and real workers (subprocesses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.app.pipekit import *  # noqa: F403

DZ = str(Path(sys.executable).with_name("dz"))


def run_dz(stack, team, tmp_path, *args, check=False, **kwargs):
    env = {**os.environ, "DZ_API_URL": stack.url, "DZ_TOKEN": team.token,
           "DZ_CONFIG": str(tmp_path / "dz.json"), "COLUMNS": "120"}
    env.pop("DZ_REDIS_URL", None)
    env.update(kwargs.pop("env", {}))
    return subprocess.run([DZ, *args], env=env, capture_output=True, text=True, timeout=600,
                          check=check, **kwargs)


def test_build_follow_exit_status_is_the_result(stack, tmp_path):
    team = stack.team()
    good = tmp_path / "hello.yaml"
    good.write_text(stack.recipe("echo cli-was-here"))
    ok = run_dz(stack, team, tmp_path, "build", str(good), "--follow")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "Build successful" in ok.stdout
    image = stack.api(team, "GET", "/builds?state=succeeded").json()["builds"][0]["image_ref"]
    assert image in ok.stdout

    bad = tmp_path / "broken.yaml"
    bad.write_text(stack.recipe("echo about to fail", "exit 7"))
    failed = run_dz(stack, team, tmp_path, "build", str(bad), "--follow")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "Build failed" in failed.stderr and "line" in failed.stderr


def test_logs_follow_started_mid_build_prints_everything_once(stack, tmp_path):
    team = stack.team()
    script = "for i in $(seq 1 40); do echo tick-$i; sleep 0.1; done"
    build = stack.api(team, "POST", "/builds", json={"yaml": stack.recipe(script)}).json()
    # Start following once the build is producing output.
    deadline = time.monotonic() + 120
    while "tick-" not in stack.api(team, "GET", f"/builds/{build['id']}/logs").text:
        assert time.monotonic() < deadline, "the build never started printing"
        time.sleep(0.2)
    as_json = run_dz(stack, team, tmp_path, "logs", build["id"], "-f", "--json")
    assert as_json.returncode == 0, as_json.stderr
    events = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[-1]["kind"] == "end"
    ticks = [line for e in events if e["kind"] == "log" for line in e["data"].splitlines()
             if "tick-" in line and "echo" not in line]
    assert [t.rsplit("tick-", 1)[1] for t in ticks] == [str(i) for i in range(1, 41)]

    raw = run_dz(stack, team, tmp_path, "logs", build["id"], "-f")
    assert raw.stdout == stack.api(team, "GET", f"/builds/{build['id']}/logs").text
    # Straight from Redis, from a sequence number on.
    direct = run_dz(stack, team, tmp_path, "logs", build["id"], "--json", "--from", "5",
                    env={"DZ_REDIS_URL": stack.settings.redis_url,
                         **stack.settings.as_env()})
    assert [json.loads(x)["seq"] for x in direct.stdout.splitlines()] == [
        e["seq"] for e in events[4:]]


def test_workspace_build_prints_devzero_success_lines(stack, tmp_path):
    team = stack.team()
    project = tmp_path / "my-project"
    project.mkdir()
    (project / "recipe.yml").write_text(stack.recipe("echo workspace"))
    result = run_dz(stack, team, tmp_path, "workspace", "build", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()[-3:]
    assert lines[0] == "🚀\tBuild was successful!"
    assert lines[1] == "👉\tTo launch a workspace from this build:"
    assert lines[2].startswith("dz workspace create --build-id build-")
    recipes = stack.api(team, "GET", "/recipes").json()["recipes"]
    assert [r["name"] for r in recipes] == ["my-project"] and recipes[0]["id"] in lines[2]


def test_secrets_env_status_cancel_and_plan(stack, tmp_path):
    team = stack.team()
    assert "version 1" in run_dz(stack, team, tmp_path, "secrets", "set", "TOKEN", "v").stdout
    rotated = run_dz(stack, team, tmp_path, "secrets", "set", "TOKEN", input="second\n")
    assert "version 2" in rotated.stdout
    listing = run_dz(stack, team, tmp_path, "secrets", "list").stdout
    assert listing == "TOKEN\tversion 2\n"
    run_dz(stack, team, tmp_path, "secrets", "rm", "TOKEN", check=True)
    assert run_dz(stack, team, tmp_path, "secrets", "list").stdout == ""
    run_dz(stack, team, tmp_path, "env", "set", "REGION", "eu", check=True)
    assert run_dz(stack, team, tmp_path, "env", "list").stdout == "REGION=eu\n"
    run_dz(stack, team, tmp_path, "env", "rm", "REGION", check=True)
    assert run_dz(stack, team, tmp_path, "env", "rm", "REGION").returncode == 1

    recipe = tmp_path / "long.yaml"
    recipe.write_text(stack.recipe("echo waiting; sleep 120"))
    queued = run_dz(stack, team, tmp_path, "build", str(recipe), check=True).stdout
    build_id = queued.split()[1]
    cancelled = run_dz(stack, team, tmp_path, "cancel", build_id)
    assert cancelled.returncode == 0 and build_id in cancelled.stdout
    assert stack.wait(team, build_id, timeout=120)["state"] == "cancelled"
    assert "cancelled" in run_dz(stack, team, tmp_path, "status", build_id).stdout
    planned = run_dz(stack, team, tmp_path, "plan", "long")
    assert planned.returncode == 0 and "no previous successful build" in planned.stdout
    assert run_dz(stack, team, tmp_path, "login", "--url", stack.url,
                  "--token", team.token).returncode == 0
    assert json.loads((tmp_path / "dz.json").read_text())["token"] == team.token
