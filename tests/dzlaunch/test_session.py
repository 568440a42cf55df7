"""Session mode, the image's entrypoint: launch steps first (with ``--launch``), then the
command as the workspace user with the runtime environment applied."""

from __future__ import annotations

import json
import os
import pwd
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.conftest import need

#: What the compiler writes for ``runtime.environment`` (llb/compiler/launch.py), in small.
RUNTIME_SCRIPT = (
    'export GREETING="hi from $HOME"\n'
    'export PATH="{bin}:$PATH"\n'
    'export TOKEN="t=$(cat "{secret}" 2>/dev/null)"\n'
)


@pytest.fixture()
def session(dzlaunch: Path, tmp_path: Path):
    """Runs ``dzlaunch --mode session`` with the given arguments (as ``as_user`` if set)."""

    def run(*args: str, as_user: str | None = None, env: dict | None = None):
        argv = [str(dzlaunch), "--mode", "session", *args]
        return subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=tmp_path,
                              user=as_user, env=env)

    return run


@pytest.fixture()
def open_dir():
    """A directory other users can enter (pytest's own tmp dirs are private to root)."""
    with tempfile.TemporaryDirectory() as base:
        os.chmod(base, 0o755)
        yield Path(base)


@pytest.fixture()
def runtime_env(open_dir: Path) -> tuple[Path, Path]:
    """A runtime env script (world-readable, as the image's is) and its secret file's path."""
    tools = open_dir / "tools"
    tools.mkdir(mode=0o755)
    tool = tools / "dz-probe-tool"
    tool.write_text("#!/bin/sh\necho tool-found\n")
    tool.chmod(0o755)
    secret = open_dir / "user.TOKEN"
    script = open_dir / "dz-runtime-env.sh"
    script.write_text(RUNTIME_SCRIPT.format(bin=tools, secret=secret))
    script.chmod(0o644)
    return script, secret


def as_root() -> None:
    need(os.geteuid() == 0, "switching users needs root")


def test_command_runs_as_the_session_user_with_its_home(session):
    as_root()
    nobody = pwd.getpwnam("nobody")
    proc = session("--user", "nobody", "--env-script", "/nonexistent/env.sh",
                   "sh", "-c", 'id -u; id -g; echo "$HOME|$USER|$LOGNAME"; exit 7')
    assert proc.returncode == 7, proc.stderr
    assert proc.stdout.splitlines() == [str(nobody.pw_uid), str(nobody.pw_gid),
                                        f"{nobody.pw_dir}|nobody|nobody"]
    assert proc.stderr == ""


def test_runtime_script_is_applied_as_the_user_and_args_survive(session, runtime_env):
    as_root()
    script, secret = runtime_env
    secret.write_text("s3cret")
    secret.chmod(0o644)
    proc = session("--user", "nobody", "--env-script", str(script), "--secret-file", str(secret),
                   "sh", "-c", 'printf "%s\\n" "$GREETING" "$TOKEN" "$@"; dz-probe-tool',
                   "sh", "two words", "$HOME")
    assert proc.returncode == 0, proc.stderr
    home = pwd.getpwnam("nobody").pw_dir
    # $HOME expanded for the session user; the script's PATH finds the tool; the
    # command's own arguments are passed on untouched.
    assert proc.stdout.splitlines() == [f"hi from {home}", "t=s3cret", "two words", "$HOME",
                                        "tool-found"]
    assert proc.stderr == ""


def test_missing_secret_file_warns_and_the_command_still_runs(session, runtime_env):
    script, secret = runtime_env
    proc = session("--env-script", str(script), "--secret-file", str(secret),
                   "sh", "-c", 'echo "[$TOKEN]"')
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "[t=]\n"
    assert proc.stderr == (f"dzlaunch: secret file {secret} is missing; runtime variables "
                           "that use it are empty\n")


def test_a_broken_runtime_script_is_reported_and_the_command_still_runs(session, open_dir):
    script = open_dir / "broken.sh"
    script.write_text('export FIRST="set"\nexport BROKEN="unterminated\n')
    proc = session("--env-script", str(script), "sh", "-c", 'echo "ran [$BROKEN]"')
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "ran []\n"
    assert "broken.sh" in proc.stderr


def test_without_a_runtime_script_the_command_is_execd_directly(session, tmp_path):
    proc = session("--env-script", str(tmp_path / "absent.sh"), "--",
                   "/bin/echo", "--launch", "direct")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "--launch direct\n"
    proc = session("--env-script", str(tmp_path / "absent.sh"), "no-such-command-dz")
    assert proc.returncode == 127
    assert "cannot run no-such-command-dz" in proc.stderr


def test_a_non_root_caller_stays_itself(session, runtime_env):
    """``docker run -u UID``: the caller's choice of user stands."""
    as_root()
    script, _ = runtime_env
    nobody = pwd.getpwnam("nobody")
    proc = session("--user", "root", "--env-script", str(script), "sh", "-c",
                   'id -u; echo "$GREETING"', as_user="nobody",
                   env={"PATH": "/usr/bin:/bin", "HOME": nobody.pw_dir})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [str(nobody.pw_uid), f"hi from {nobody.pw_dir}"]


def test_unknown_session_user_keeps_root_with_a_warning(session):
    as_root()
    proc = session("--user", "no-such-user-dz", "--env-script", "/nonexistent", "id", "-u")
    assert proc.returncode == 0
    assert proc.stdout == "0\n"
    assert "user 'no-such-user-dz' does not exist" in proc.stderr
    assert "the session runs as root" in proc.stderr


def test_launch_steps_run_first_as_root_then_the_command(session, make_step, tmp_path, open_dir):
    as_root()
    log = open_dir / "log"
    manifest = tmp_path / "launch.json"
    status = tmp_path / "status.json"
    steps = [make_step(id="2-launch-step-0", phase="launch", name="first",
                       script=f"id -u > {log}\nchmod 666 {log}\n", shell="/bin/sh {}")]
    manifest.write_text(json.dumps({"v": 1, "steps": steps, "volumes": []}))
    proc = session("--user", "nobody", "--env-script", "/nonexistent", "--launch",
                   "--manifest", str(manifest), "--status-file", str(status),
                   "sh", "-c", f"id -u >> {log}")
    assert proc.returncode == 0, proc.stderr
    assert "==> [2-launch-step-0] first" in proc.stdout
    assert log.read_text().splitlines() == ["0", str(pwd.getpwnam("nobody").pw_uid)]
    assert json.loads(status.read_text())["state"] == "succeeded"


def test_failed_launch_does_not_run_the_command(session, make_step, tmp_path):
    manifest = tmp_path / "launch.json"
    status = tmp_path / "status.json"
    marker = tmp_path / "ran"
    steps = [make_step(id="2-launch-step-0", phase="launch", script="exit 4\n",
                       shell="/bin/sh {}")]
    manifest.write_text(json.dumps({"v": 1, "steps": steps, "volumes": []}))
    proc = session("--launch", "--manifest", str(manifest), "--status-file", str(status),
                   "touch", str(marker))
    assert proc.returncode == 4
    assert not marker.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "no command to run"),
        (("--user",), "missing the value of the session option '--user'"),
        (("--bogus", "id"), "unknown session option '--bogus'"),
    ],
)
def test_bad_session_command_lines_exit_64(session, args, message):
    proc = session(*args)
    assert proc.returncode == 64
    assert message in proc.stderr
    assert proc.stdout == ""
