"""The stack's standalone buildkitd: the default build engine.

Built by ``scripts/bootstrap`` from the release ``stack/go/go.mod`` pins, run as root
with its own ``--root``, config and unix socket under ``<state>/buildkitd/``: the OCI
worker (Debian's runc) on overlayfs, steps on an isolated bridge network (see
:mod:`stack.buildnet`), the plain-HTTP registry of the stack allowed, and BuildKit's
step-log limits lifted so no log is clipped.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from core.config import Settings
from core.health import Check, buildkit_check
from stack import buildnet, gotools, procs
from stack.dockerd import UNCLIPPED_LOGS, missing_log_limits, serving_pid
from stack.layout import Layout

NAME = "buildkitd"


def home(settings: Settings) -> Path:
    return settings.state_dir / NAME


def default_socket(settings: Settings) -> Path:
    return home(settings) / "buildkitd.sock"


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def config_text(settings: Settings, socket: Path, root: Path,
                network: buildnet.Network | None = buildnet.DEFAULT) -> str:
    """buildkitd.toml for one daemon.  ``network=None`` keeps buildkitd's host network
    (private benchmark daemons); the stack's daemon always isolates its steps."""
    lines = [
        f"root = {_toml_string(str(root))}",
        "[grpc]",
        f"  address = [{_toml_string('unix://' + str(socket))}]",
        "[worker.oci]",
        "  enabled = true",
        '  snapshotter = "overlayfs"',
        f"  binary = {_toml_string(shutil.which('runc') or '/usr/sbin/runc')}",
        # One worker per daemon: platforms stay the host's.
        "  gc = true",
    ]
    if network is not None:
        lines += [
            '  networkMode = "bridge"',
            f"  bridgeName = {_toml_string(network.bridge)}",
            f"  bridgeSubnet = {_toml_string(network.subnet)}",
            f"  cniBinaryPath = {_toml_string(str(buildnet.CNI_PLUGINS))}",
        ]
    lines += [
        "[worker.containerd]",
        "  enabled = false",
        # The stack's registry speaks plain HTTP on loopback (token auth over HTTP, as
        # distribution allows); buildkitd must be told, for pulls, pushes and cache.
        f"[registry.{_toml_string(settings.registry)}]",
        "  http = true",
        "  insecure = true",
    ]
    return "\n".join(lines) + "\n"


def argv(config: Path) -> list[str]:
    return [str(gotools.binary(NAME)), "--config", str(config)]


def start(settings: Settings, socket: Path, root: Path, pidfile: Path, logfile: Path,
          network: buildnet.Network | None = buildnet.DEFAULT, timeout: float = 60) -> None:
    """Start one buildkitd (the stack's, or a private one of a benchmark or test)."""
    root.mkdir(parents=True, exist_ok=True)
    socket.parent.mkdir(parents=True, exist_ok=True)
    config = root.parent / f"{root.name}.toml"
    config.write_text(config_text(settings, socket, root, network))
    procs.spawn(argv(config), pidfile, logfile, env={**os.environ, **UNCLIPPED_LOGS})
    address = f"unix://{socket}"
    if not procs.wait_until(lambda: buildkit_check(address).ok, timeout, 0.3):
        procs.stop(pidfile)
        raise RuntimeError(f"buildkitd did not answer at {address}; see {logfile}")


def _is_ours(settings: Settings) -> bool:
    return settings.buildkit_addr == f"unix://{default_socket(settings)}"


def status(layout: Layout) -> Check:
    return buildkit_check(layout.settings.buildkit_addr)


def up(layout: Layout) -> str:
    settings = layout.settings
    if status(layout).ok:
        state = "reused" if procs.read_pid(layout.run(NAME)) is None else "running"
        if not _is_ours(settings):
            return f"{state} ({settings.buildkit_addr})"
        pid = serving_pid(default_socket(settings))
        missing = missing_log_limits(pid) if pid else None
        if missing:
            return (f"{state}, but started without {' and '.join(missing)}: step logs will "
                    "be clipped (restart it: scripts/services down, then up)")
        return state
    if not _is_ours(settings):
        # RB_BUILDKIT_ADDR names some other daemon (Docker's, a remote one): not ours to start.
        return f"not started: RB_BUILDKIT_ADDR is {settings.buildkit_addr}"
    start(settings, default_socket(settings), home(settings) / "root", layout.run(NAME),
          layout.log(NAME))
    return "started"


def down(layout: Layout) -> bool:
    return procs.stop(layout.run(NAME), timeout=30)
