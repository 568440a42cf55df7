"""Cancellation: TERM/INT reach the step's whole process group and dzlaunch ends."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest


def group_alive(pgid: int) -> bool:
    """True while any non-zombie process is in the process group."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != b"Z":
            return True
    return False


def eventually(predicate, limit: float = 10.0) -> bool:
    """Waits for predicate to hold (a liveness wait, not a timing assertion)."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def start(dzlaunch, encode_payload, make_step, script: str) -> tuple[subprocess.Popen, int]:
    """Starts a step whose first output line is the script's pid (= its process group)."""
    payload = encode_payload(make_step(script=f"echo $$\n{script}"))
    proc = subprocess.Popen(
        [str(dzlaunch), "--mode", "build", payload], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    header = proc.stdout.readline()
    assert header.startswith(b"==> [")
    pgid = int(proc.stdout.readline())
    assert eventually(lambda: group_alive(pgid))
    return proc, pgid


@pytest.mark.parametrize(("sig", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_cancel_stops_the_child_group(dzlaunch, encode_payload, make_step, sig, status):
    proc, pgid = start(dzlaunch, encode_payload, make_step, "sleep 600 & sleep 600\n")
    proc.send_signal(sig)
    assert proc.wait(timeout=10) == status
    rest = proc.stdout.read()
    assert f"] exit {status} in ".encode() in rest
    assert eventually(lambda: not group_alive(pgid)), "sleep 600 survived the cancel"


def test_child_ignoring_term_is_killed(dzlaunch, encode_payload, make_step):
    proc, pgid = start(dzlaunch, encode_payload, make_step, "trap '' TERM\nsleep 600\n")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 128 + signal.SIGKILL
    assert eventually(lambda: not group_alive(pgid))


def test_script_file_is_removed_after_a_cancel(dzlaunch, encode_payload, make_step, tmp_path):
    payload = encode_payload(make_step(script='echo "$0"\nsleep 600\n'))
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    proc = subprocess.Popen(
        [str(dzlaunch), "--mode", "build", payload], stdout=subprocess.PIPE, env=env
    )
    proc.stdout.readline()
    script = proc.stdout.readline().decode().strip()
    assert os.path.exists(script)
    proc.terminate()
    proc.wait(timeout=10)
    proc.stdout.close()
    assert not os.path.exists(script)
