"""Background processes owned by the stack, tracked by pidfiles.

``down`` must stop only what ``up`` started, so every process we start gets a
pidfile under the state directory; a service found already running without our
pidfile is reused and never stopped.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path


def read_pid(pidfile: Path) -> int | None:
    try:
        pid = int(pidfile.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if pid_alive(pid) else None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); it is not running.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def spawn(argv: Sequence[str], pidfile: Path, logfile: Path, env: dict[str, str] | None = None,
          cwd: Path | None = None) -> int:
    """Start ``argv`` detached in its own session, record its pid, return it."""
    logfile.parent.mkdir(parents=True, exist_ok=True)
    pidfile.parent.mkdir(parents=True, exist_ok=True)
    with open(logfile, "ab") as log, open(os.devnull, "rb") as devnull:
        proc = subprocess.Popen(
            list(argv), stdin=devnull, stdout=log, stderr=subprocess.STDOUT,
            env=env, cwd=cwd, start_new_session=True,
        )
    pidfile.write_text(f"{proc.pid}\n")
    return proc.pid


def stop(pidfile: Path, timeout: float = 20.0) -> bool:
    """Stop the process named by ``pidfile`` (TERM, then KILL); True if one was stopped."""
    pid = read_pid(pidfile)
    if pid is None:
        pidfile.unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    if not wait_until(lambda: not pid_alive(pid), timeout):
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: not pid_alive(pid), 5)
    pidfile.unlink(missing_ok=True)
    return True


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
