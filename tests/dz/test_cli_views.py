"""What ``dz`` shows of builds against a running server and real workers: a failure's
cause (never the launcher's payload), recipe names, progress lines, local plans and
cancelled steps."""

from __future__ import annotations

import re
import time
import uuid

from tests.app.pipekit import *  # noqa: F403
from tests.dz.test_cli_server import run_dz
from tests.tasks.harness import BUSYBOX_RECIPE

#: A run of base64 as long as only the launcher's encoded step makes one.
BLOB = re.compile(r"[A-Za-z0-9+/=]{200,}")


def block_recipe(stack, *scripts: str) -> str:
    """A busybox recipe whose commands are YAML block scalars (shell escapes kept)."""
    run = uuid.uuid4().hex[:12]
    steps = "".join(f"    - type: command\n      shell: /bin/sh -e {{}}\n      user: root\n"
                    f"      command: |\n        {script} # run {run}\n" for script in scripts)
    return BUSYBOX_RECIPE.format(registry=stack.settings.registry, steps=steps)


def test_a_failed_build_followed_shows_step_exit_code_and_output_never_the_payload(
        stack, tmp_path):
    team = stack.team()
    token = uuid.uuid4().hex[:8]
    recipe = tmp_path / f"fails-{token}.yaml"
    recipe.write_text(stack.recipe(f"echo first-{token}; echo cause-{token}; exit 3"))

    followed = run_dz(stack, team, tmp_path, "build", str(recipe), "--follow")

    assert followed.returncode == 1, followed.stdout + followed.stderr
    shown = followed.stdout + followed.stderr
    assert "with exit code 3" in shown and "at recipe line " in shown
    assert f"cause-{token}" in shown and "[build 1/1]" in shown
    assert not BLOB.search(shown), shown
    build_id = followed.stdout.split()[1]
    logs = run_dz(stack, team, tmp_path, "logs", build_id)
    assert f"cause-{token}" in logs.stdout and not BLOB.search(logs.stdout), logs.stdout


def test_builds_lists_recipe_names_and_success_is_on_its_own_line(stack, tmp_path):
    team = stack.team()
    name = f"named-{uuid.uuid4().hex[:8]}"
    recipe = tmp_path / f"{name}.yaml"
    recipe.write_text(stack.recipe("echo listed"))
    built = run_dz(stack, team, tmp_path, "build", str(recipe), "--follow")
    assert built.returncode == 0, built.stdout + built.stderr
    assert any(line.startswith("Build successful") for line in built.stdout.splitlines())

    one_off = stack.api(team, "POST", "/builds", json={"yaml": stack.recipe("echo x")}).json()
    stack.wait(team, one_off["id"])
    listing = run_dz(stack, team, tmp_path, "builds", check=True).stdout
    rows = sorted(row.split()[:3] for row in listing.splitlines())
    assert rows == sorted([[built.stdout.split()[1], name, "succeeded"],
                           [one_off["id"], "(one-off)", "succeeded"]])
    by_name = run_dz(stack, team, tmp_path, "builds", "--recipe", name, check=True).stdout
    assert [row.split()[1] for row in by_name.splitlines()] == [name]


def test_logs_show_carriage_return_progress_at_its_last_state(stack, tmp_path):
    team = stack.team()
    token = uuid.uuid4().hex[:8]
    script = (f"printf 'fetch-{token} 10%%\\rfetch-{token} 60%%\\rfetch-{token} done\\n'; "
              f"echo after-{token}")
    build = stack.api(team, "POST", "/builds", json={"yaml": block_recipe(stack, script)}).json()
    assert stack.wait(team, build["id"])["state"] == "succeeded"

    for args in ((), ("-f",)):
        out = run_dz(stack, team, tmp_path, "logs", build["id"], *args, check=True).stdout
        assert "\r" not in out
        (line,) = [x for x in out.splitlines() if f"fetch-{token}" in x and "printf" not in x]
        assert re.fullmatch(rf"#\d+ \d+\.\d+ fetch-{token} done", line), line
        assert any(x.endswith(f" after-{token}") for x in out.splitlines())


def test_plan_of_a_local_file_compares_with_the_last_build_of_its_recipe(stack, tmp_path):
    team = stack.team()
    name = f"planned-{uuid.uuid4().hex[:8]}"
    recipe = tmp_path / f"{name}.yaml"
    text = stack.recipe("echo one", "echo two")
    recipe.write_text(text)
    built = run_dz(stack, team, tmp_path, "build", str(recipe), "--follow")
    assert built.returncode == 0, built.stdout + built.stderr

    same = run_dz(stack, team, tmp_path, "plan", str(recipe))
    assert same.returncode == 0, same.stderr
    assert same.stdout.splitlines()[-1] == "2 cached, 0 to run"

    edited = tmp_path / "edited" / f"{name}.yaml"
    edited.parent.mkdir()
    edited.write_text(text.replace("echo two", "echo three"))
    changed = run_dz(stack, team, tmp_path, "plan", str(edited))
    assert changed.returncode == 0, changed.stderr
    assert changed.stdout.splitlines()[-1] == "1 cached, 1 to run"
    # Planning saves nothing: the recipe still has the one version that was built.
    recipes = stack.api(team, "GET", "/recipes").json()["recipes"]
    assert [(r["name"], r["latest_version"]["number"]) for r in recipes] == [(name, 1)]

    other = tmp_path / "unsaved.yaml"
    other.write_text(text)
    unknown = run_dz(stack, team, tmp_path, "plan", str(other))
    assert unknown.returncode == 1 and "no saved recipe unsaved" in unknown.stderr
    compared = run_dz(stack, team, tmp_path, "plan", str(other), "--name", name)
    assert compared.stdout.splitlines()[-1] == "2 cached, 0 to run"


def test_status_of_a_cancelled_build_shows_no_step_still_running(stack, tmp_path):
    team = stack.team()
    token = uuid.uuid4().hex[:8]
    build = stack.api(team, "POST", "/builds", json={
        "yaml": stack.recipe(f"echo started-{token}; sleep 300")}).json()
    deadline = time.monotonic() + 180
    while f"started-{token}" not in stack.api(team, "GET", f"/builds/{build['id']}/logs").text:
        assert time.monotonic() < deadline, "the step never started"
        time.sleep(0.2)
    run_dz(stack, team, tmp_path, "cancel", build["id"], check=True)
    assert stack.wait(team, build["id"], timeout=120)["state"] == "cancelled"

    status = run_dz(stack, team, tmp_path, "status", build["id"], check=True).stdout
    steps = [line.split() for line in status.splitlines() if "[build 1/1]" in line]
    assert len(steps) == 1 and steps[0][0] in ("cancelled", "failed"), status
    assert not any(line.split()[0] == "running" for line in status.splitlines()[1:]), status
