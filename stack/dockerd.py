"""The repo's own dockerd: its embedded BuildKit is the default build engine."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import socket
import struct
from pathlib import Path

from core.health import Check, docker_check
from stack import procs
from stack.layout import Layout

NAME = "dockerd"


# BuildKit clips each step's log at 1-2 MiB and 100-200 KiB/s unless its daemon's
# environment says otherwise ("[output clipped, log limit 200KiB/s reached]"). Our promise
# is that no line is lost below the log bus's own per-build cap (RB_LOG_CAP_BYTES), so the
# daemon's limits are lifted; BuildKit parses them as 32-bit ints, hence this maximum.
UNCLIPPED_LOGS = {"BUILDKIT_STEP_LOG_MAX_SIZE": "2147483647",
                  "BUILDKIT_STEP_LOG_MAX_SPEED": "2147483647"}


def write_daemon_config(layout: Layout) -> Path:
    """BuildKit as the default builder: the Engine then reports ``Builder-Version: 2``
    and the Docker CLI baseline of the benchmarks builds with BuildKit too."""
    path = layout.docker_dir / "daemon.json"
    path.write_text(json.dumps({"features": {"buildkit": True}}, indent=2) + "\n")
    return path


def argv(layout: Layout) -> list[str]:
    d = layout.docker_dir
    return [
        shutil.which("dockerd") or "/usr/sbin/dockerd",
        # No bridge, NAT or iptables: build steps use host networking (see buildkit-protocol.md).
        "--iptables=false", "--ip-masq=false", "--bridge=none",
        "--storage-driver=overlay2",
        "--data-root", str(d / "data"),
        "--exec-root", str(d / "exec"),
        "-H", f"unix://{layout.settings.docker_socket}",
        "--pidfile", str(d / "dockerd.pid"),
        "--config-file", str(d / "daemon.json"),
    ]


def status(layout: Layout) -> Check:
    return docker_check(layout.settings.docker_socket)


def docker_host_hint(layout: Layout) -> str:
    """The shell line that points the Docker CLI (``docker login``, ``docker pull``) at
    this dockerd: without it the CLI asks the system's daemon, which the stack never runs."""
    return (f"export DOCKER_HOST={shlex.quote(layout.settings.docker_host)}"
            "  # the stack's dockerd, for docker login / docker pull")


def serving_pid(socket_path: Path) -> int | None:
    """The pid of the process listening on a unix socket (its peer credentials)."""
    try:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(2)
            sock.connect(str(socket_path))
            creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                    struct.calcsize("3i"))
    except OSError:
        return None
    pid, _uid, _gid = struct.unpack("3i", creds)
    return pid or None


def missing_log_limits(pid: int) -> list[str] | None:
    """Which of :data:`UNCLIPPED_LOGS` the process was started without (None: its
    environment cannot be read)."""
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return None
    env = dict(item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return [k for k, v in UNCLIPPED_LOGS.items() if env.get(k.encode()) != v.encode()]


def up(layout: Layout, timeout: float = 60) -> str:
    if status(layout).ok:
        state = "reused" if procs.read_pid(layout.run(NAME)) is None else "running"
        pid = serving_pid(layout.settings.docker_socket)
        missing = missing_log_limits(pid) if pid else None
        if missing:  # an older or foreign dockerd: say so rather than clip logs silently
            return (f"{state}, but started without {' and '.join(missing)}: BuildKit will "
                    "clip long step logs (restart it: scripts/services down, then up)")
        return state
    layout.docker_dir.mkdir(parents=True, exist_ok=True)
    write_daemon_config(layout)
    # Short exec-root paths matter: containerd's socket path must fit in sun_path.
    layout.settings.docker_socket.parent.mkdir(parents=True, exist_ok=True)
    procs.spawn(argv(layout), layout.run(NAME), layout.log(NAME),
                env={**os.environ, **UNCLIPPED_LOGS})
    if not procs.wait_until(lambda: status(layout).ok, timeout, 0.3):
        raise RuntimeError(f"dockerd did not answer within {timeout}s; see {layout.log(NAME)}")
    return "started"


def down(layout: Layout) -> bool:
    return procs.stop(layout.run(NAME), timeout=30)
