"""Launch mode: ordered steps, stop at first failure, status file, --force, --then."""

from __future__ import annotations

import json
import os
import pwd
import signal
import subprocess
import tempfile
from pathlib import Path

from tests.conftest import need


def launch_step(make_step, index: int, script: str, **fields) -> dict:
    return make_step(
        id=f"2-launch-step-{index}", phase="launch", name=f"step {index}", script=script, **fields
    )


def headers(stdout: bytes) -> list[str]:
    return [line for line in stdout.decode().splitlines() if line.startswith("==> [")]


def test_steps_run_in_order_and_status_says_succeeded(run_launch, make_step, tmp_path):
    log = tmp_path / "order.log"
    steps = [launch_step(make_step, i, f"echo {i} >> {log}\n") for i in range(3)]
    proc = run_launch(steps)
    assert proc.returncode == 0, proc.stderr
    assert log.read_text() == "0\n1\n2\n"
    framing = headers(proc.stdout)
    assert framing[0::2] == [f"==> [2-launch-step-{i}] step {i}" for i in range(3)]
    assert all(
        s.startswith(f"==> [2-launch-step-{i}] exit 0 in ") for i, s in enumerate(framing[1::2])
    )
    status = json.loads(proc.status_path.read_text())
    assert status["v"] == 1
    assert status["state"] == "succeeded"
    assert status["failed_step"] is None
    assert [(s["id"], s["exit"]) for s in status["steps"]] == [
        (f"2-launch-step-{i}", 0) for i in range(3)
    ]
    assert all(isinstance(s["seconds"], float) for s in status["steps"])


def test_first_failure_stops_the_launch(run_launch, make_step, tmp_path):
    log = tmp_path / "order.log"
    steps = [
        launch_step(make_step, 0, f"echo 0 >> {log}\n"),
        launch_step(make_step, 1, f"echo 1 >> {log}\nexit 5\n"),
        launch_step(make_step, 2, f"echo 2 >> {log}\n"),
    ]
    proc = run_launch(steps, "--then", "/bin/sh", "-c", f"echo then >> {log}")
    assert proc.returncode == 5
    assert log.read_text() == "0\n1\n"
    assert b"launch step 2-launch-step-1 failed with exit 5; 1 later step(s) not run" in proc.stderr
    status = json.loads(proc.status_path.read_text())
    assert status["state"] == "failed"
    assert status["failed_step"] == "2-launch-step-1"
    assert [(s["id"], s["exit"]) for s in status["steps"]] == [
        ("2-launch-step-0", 0),
        ("2-launch-step-1", 5),
    ]


def test_succeeded_launch_is_not_rerun_unless_forced(run_launch, make_step, tmp_path):
    log = tmp_path / "runs.log"
    steps = [launch_step(make_step, 0, f"echo ran >> {log}\n")]
    assert run_launch(steps).returncode == 0
    again = run_launch(steps)
    assert again.returncode == 0
    assert b"already succeeded" in again.stdout
    assert log.read_text() == "ran\n"
    forced = run_launch(steps, "--force")
    assert forced.returncode == 0
    assert log.read_text() == "ran\nran\n"


def test_failed_launch_runs_again_on_restart(run_launch, make_step, tmp_path):
    flag = tmp_path / "flag"
    steps = [launch_step(make_step, 0, f"test -e {flag}\n")]
    assert run_launch(steps).returncode == 1
    flag.touch()
    proc = run_launch(steps)
    assert proc.returncode == 0
    assert json.loads(proc.status_path.read_text())["state"] == "succeeded"


def test_then_execs_the_command_in_place(run_launch, make_step, tmp_path):
    steps = [launch_step(make_step, 0, "echo step\n")]
    proc = run_launch(steps, "--then", "/bin/sh", "-c", "echo then-ran with $# args", "x", "a", "b")
    assert proc.returncode == 0
    assert proc.stdout.decode().splitlines()[-1] == "then-ran with 2 args"


def test_then_also_runs_when_already_succeeded(run_launch, make_step):
    steps = [launch_step(make_step, 0, "true\n")]
    run_launch(steps)
    proc = run_launch(steps, "--then", "/bin/echo", "alive")
    assert proc.stdout.decode().splitlines()[-1] == "alive"


def test_empty_manifest_succeeds(run_launch):
    proc = run_launch([])
    assert proc.returncode == 0
    assert json.loads(proc.status_path.read_text())["state"] == "succeeded"


def test_launch_step_runs_as_its_user(run_launch, make_step):
    need(os.geteuid() == 0, "switching users needs root")
    nobody = pwd.getpwnam("nobody")
    with tempfile.TemporaryDirectory() as base:
        os.chmod(base, 0o755)
        workdir = Path(base) / "work"
        steps = [
            launch_step(make_step, 0, "id -u > uid.txt\n", user="nobody", directory=str(workdir)),
            launch_step(make_step, 1, f"id -u > {base}/root-uid.txt\n", user="root"),
        ]
        proc = run_launch(steps)
        assert proc.returncode == 0, proc.stderr
        assert (workdir / "uid.txt").read_text() == f"{nobody.pw_uid}\n"
        assert (workdir / "uid.txt").stat().st_uid == nobody.pw_uid
        assert (Path(base) / "root-uid.txt").read_text() == "0\n"


def test_launch_step_env_and_secret_env(run_launch, make_step, tmp_path, relayed):
    secret = tmp_path / "user.API_KEY"
    secret.write_text("k3y-material")
    out = tmp_path / "env.txt"
    steps = [
        launch_step(
            make_step,
            0,
            f'printf "%s|%s" "$MODE" "$API_KEY" > {out}\necho "$API_KEY"\n',
            env={"MODE": "dev"},
            secret_env=[{"name": "API_KEY", "template": "{{secret:user.API_KEY}}"}],
            secret_files={"user.API_KEY": str(secret)},
        )
    ]
    proc = run_launch(steps)
    assert proc.returncode == 0, proc.stderr
    assert out.read_text() == "dev|k3y-material"
    assert b"k3y-material" not in proc.stdout
    assert b"\n***\n" in proc.stdout


def test_missing_manifest_exits_66(run_launch, tmp_path):
    proc = run_launch(None)
    assert proc.returncode == 66
    assert b"cannot read the launch manifest" in proc.stderr


def test_invalid_manifest_runs_nothing(run_launch, make_step, tmp_path):
    log = tmp_path / "ran.log"
    steps = [launch_step(make_step, 0, f"echo 0 >> {log}\n"), {"v": 1, "id": "broken"}]
    proc = run_launch(steps)
    assert proc.returncode == 64
    assert b"steps[1]: missing field 'phase'" in proc.stderr
    assert not log.exists()
    assert not proc.status_path.exists()


def test_manifest_errors_are_clear(run_launch):
    cases = {
        b"{": b"not valid JSON",
        b'{"v": 2, "steps": []}': b"unsupported manifest version",
        b'{"v": 1}': b"missing field 'steps'",
        b'{"v": 1, "steps": {}}': b"'steps' must be an array",
    }
    for raw, message in cases.items():
        proc = run_launch(None, raw=raw)
        assert proc.returncode == 64, raw
        assert message in proc.stderr, (raw, proc.stderr)


def test_unknown_launch_option(run_launch):
    proc = run_launch([], "--bogus")
    assert proc.returncode == 64
    assert b"unknown launch option '--bogus'" in proc.stderr


def test_cancel_during_launch_stops_and_records_failure(dzlaunch, make_step, tmp_path):
    log = tmp_path / "ran.log"
    manifest = tmp_path / "launch.json"
    status = tmp_path / "status.json"
    steps = [
        launch_step(make_step, 0, "echo started\nsleep 600\n"),
        launch_step(make_step, 1, f"echo 1 >> {log}\n"),
    ]
    manifest.write_text(json.dumps({"v": 1, "steps": steps, "volumes": []}))
    argv = [str(dzlaunch), "--mode", "launch", "--manifest", str(manifest)]
    argv += ["--status-file", str(status), "--then", "/bin/echo", "then"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline().startswith(b"==> [2-launch-step-0]")
    assert proc.stdout.readline() == b"started\n"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 143
    assert b"then" not in proc.stdout.read()
    assert not log.exists()
    recorded = json.loads(status.read_text())
    assert (recorded["state"], recorded["failed_step"]) == ("failed", "2-launch-step-0")
