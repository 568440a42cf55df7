"""Build mode: exit status, framing, directory, user, environment, script file, shell."""

from __future__ import annotations

import os
import pwd
import re
import tempfile
from pathlib import Path

import pytest

from tests.conftest import need


def test_header_and_summary_frame_the_output(run_build, relayed, summary_re):
    proc = run_build(id="1-build-step-7", name="echo hello", script="echo hello\n")
    assert proc.returncode == 0
    lines = proc.stdout.decode().splitlines()
    assert lines[0] == "==> [1-build-step-7] echo hello"
    assert summary_re.match(lines[-1].encode())
    assert lines[-1].startswith("==> [1-build-step-7] exit 0 in ")
    assert relayed(proc.stdout) == b"hello\n"


def test_empty_strings_are_handled(run_build, relayed):
    proc = run_build(name="", env={"EMPTY": ""}, script='echo "[$EMPTY]"\n')
    assert proc.stdout.split(b"\n")[0] == b"==> [1-build-step-0] "
    assert relayed(proc.stdout) == b"[]\n"


@pytest.mark.parametrize("status", [1, 3, 42, 255])
def test_exit_status_is_the_scripts(run_build, status):
    proc = run_build(script=f"echo before\nexit {status}\n")
    assert proc.returncode == status
    assert f"] exit {status} in ".encode() in proc.stdout


def test_errexit_from_the_shell_template_fails_the_step(run_build, relayed):
    proc = run_build(script="false\necho not reached\n")
    assert proc.returncode == 1
    assert relayed(proc.stdout) == b""


def test_killed_script_exits_128_plus_signal(run_build):
    proc = run_build(script="kill -KILL $$\n")
    assert proc.returncode == 128 + 9
    assert b"] exit 137 in " in proc.stdout


def test_stdout_and_stderr_go_to_their_own_streams(run_build, relayed):
    proc = run_build(script="echo to-out\necho to-err >&2\n")
    assert relayed(proc.stdout) == b"to-out\n"
    assert proc.stderr == b"to-err\n"


def test_partial_final_lines_are_relayed(run_build, relayed):
    proc = run_build(script="printf 'no newline on out'\nprintf 'nor on err' >&2\n")
    assert relayed(proc.stdout) == b"no newline on out\n"
    assert proc.stderr == b"nor on err\n"


def test_missing_directory_is_created(run_build, tmp_path, relayed):
    target = tmp_path / "a" / "b" / "c"
    proc = run_build(directory=str(target), script="pwd\n")
    assert proc.returncode == 0, proc.stderr
    assert target.is_dir()
    assert relayed(proc.stdout) == f"{target}\n".encode()
    assert target.stat().st_uid == os.geteuid()


def test_directory_that_is_a_file_fails_clearly(run_build, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = run_build(directory=str(blocker / "sub"), script="echo ran\n")
    assert proc.returncode == 71
    assert b"ran" not in proc.stdout
    assert b"cannot create directory" in proc.stderr
    assert b"] exit 71 in " in proc.stdout


def test_home_user_logname_come_from_passwd(run_build, relayed):
    me = pwd.getpwuid(os.geteuid())
    proc = run_build(
        user=me.pw_name, script='echo "$HOME|$USER|$LOGNAME"\n', proc_env={"HOME": "/x"}
    )
    assert relayed(proc.stdout) == f"{me.pw_dir}|{me.pw_name}|{me.pw_name}\n".encode()


def test_root_switches_to_the_step_user(run_build, relayed, tmp_path):
    need(os.geteuid() == 0, "switching users needs root")
    nobody = pwd.getpwnam("nobody")
    # pytest's tmp_path sits under a 0700 directory that nobody cannot enter.
    with tempfile.TemporaryDirectory() as base:
        os.chmod(base, 0o755)
        target = Path(base) / "made-for-nobody"
        proc = run_build(
            user="nobody", directory=str(target), script='echo "$(id -u) $(id -g) $USER $HOME"\n'
        )
        assert proc.returncode == 0, proc.stderr
        expected = f"{nobody.pw_uid} {nobody.pw_gid} nobody {nobody.pw_dir}\n"
        assert relayed(proc.stdout) == expected.encode()
        assert target.stat().st_uid == nobody.pw_uid


def test_unknown_user_fails_the_step(run_build):
    proc = run_build(user="no-such-user-dz", script="echo ran\n")
    assert proc.returncode == 71
    assert b"user 'no-such-user-dz' does not exist in /etc/passwd" in proc.stderr
    assert b"ran" not in proc.stdout


def test_stdin_is_dev_null(run_build, relayed):
    proc = run_build(script="readlink /proc/self/fd/0\ncat\necho after-cat\n")
    assert relayed(proc.stdout) == b"/dev/null\nafter-cat\n"


def test_child_runs_in_its_own_process_group(run_build, relayed):
    script = 'read -r _ _ _ _ pgrp _ < /proc/$$/stat\necho "$$ $pgrp"\n'
    proc = run_build(script=script)
    pid, pgrp = relayed(proc.stdout).split()
    assert pid == pgrp


def test_script_file_is_private_and_removed(run_build, relayed):
    proc = run_build(script='echo "$0"\nstat -c %a "$0"\n')
    path, mode = relayed(proc.stdout).decode().split()
    assert mode == "700"
    assert not os.path.exists(path)


def test_script_goes_to_tmpdir_when_set(run_build, relayed, tmp_path):
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    proc = run_build(script='echo "$0"\n', proc_env=env)
    assert relayed(proc.stdout).decode().startswith(f"{tmp_path}/dzlaunch-")
    assert list(tmp_path.iterdir()) == []


def test_payload_env_map_is_exported(run_build, relayed):
    proc = run_build(
        env={"GREETING": "hello world", "EMPTY": ""}, script='echo "$GREETING|$EMPTY"\n'
    )
    assert relayed(proc.stdout) == b"hello world|\n"


def test_path_has_a_default_when_the_environment_lacks_one(run_build, relayed):
    proc = run_build(proc_env={}, shell="/bin/sh {}", script='echo "$PATH"\n')
    assert relayed(proc.stdout) == b"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"


def test_shell_template_is_split_shell_style(run_build, relayed):
    shell = """/bin/sh -c 'printf "%s|%s\\n" "$1" "$0"' {} "two words" """
    proc = run_build(shell=shell, script="unused\n")
    out = relayed(proc.stdout).decode()
    assert re.fullmatch(r"two words\|/tmp/dzlaunch-\w+\n", out), out


def test_every_placeholder_is_replaced(run_build, relayed):
    proc = run_build(shell='/bin/sh -c \'test "$0" = "$1" && echo same\' {} {}', script="x\n")
    assert relayed(proc.stdout) == b"same\n"


def test_missing_shell_exits_127(run_build):
    proc = run_build(shell="/no/such/shell {}")
    assert proc.returncode == 127
    assert b"cannot run /no/such/shell" in proc.stderr


def test_non_executable_shell_exits_126(run_build, tmp_path):
    shell = tmp_path / "shell"
    shell.write_text("#!/bin/sh\n")
    shell.chmod(0o644)
    proc = run_build(shell=f"{shell} {{}}")
    assert proc.returncode == 126
