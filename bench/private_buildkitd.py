"""Private buildkitd daemons for the buildkitd benchmarks, and ``buildctl`` on them.

A benchmark never measures on the stack's shared buildkitd (``.state/buildkitd``):
other people's builds would skew it, and a cold run must prune everything, which is
not ours to do there.  :class:`PrivateBuildkitd` starts one more daemon of the same
pinned build (``stack.buildkitd.start`` with ``network=None``: host networking, no
CNI, so no bridge or firewall rule is touched) with its own root, config and socket
in a temporary folder, and removes all of it on exit.  Two of them are two build
hosts that share nothing but the registry.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from core.config import Settings
from stack import buildkitd as stack_buildkitd
from stack import gotools, procs


def buildctl_path() -> str:
    return str(gotools.binary("buildctl"))


class PrivateBuildkitd:
    """``with PrivateBuildkitd(settings, "a") as daemon:`` → ``daemon.address``."""

    def __init__(self, settings: Settings, name: str = "bench") -> None:
        # Short path: a unix socket path must stay under 108 bytes.
        self.home = Path(tempfile.mkdtemp(prefix=f"rb-bk-{name}-"))
        self.name = name
        self.socket = self.home / "buildkitd.sock"
        self.root = self.home / "root"
        self.pidfile = self.home / "buildkitd.pid"
        self.logfile = self.home / "buildkitd.log"
        self.address = f"unix://{self.socket}"
        self.settings = settings

    def __enter__(self) -> PrivateBuildkitd:
        try:
            stack_buildkitd.start(self.settings, self.socket, self.root, self.pidfile,
                                  self.logfile, network=None)
        except BaseException:
            self._remove()
            raise
        return self

    def __exit__(self, *exc) -> None:
        procs.stop(self.pidfile, timeout=30)
        self._remove()

    def _remove(self) -> None:
        # buildkitd unmounts its snapshots on exit; anything it left mounted under
        # our folder is detached first, so removing the folder stays inside it.
        for mount in reversed(_mounts_under(self.home)):
            subprocess.run(["umount", "-l", mount], capture_output=True)
        shutil.rmtree(self.home, ignore_errors=True)

    def settings_for(self, base: Settings) -> Settings:
        """``base`` with builds sent to this daemon (steps on its default network)."""
        return base.with_overrides(buildkit_addr=self.address, network_mode="unset")

    def buildctl(self, *args: str, stdin: bytes | None = None,
                 env: dict[str, str] | None = None) -> float:
        """Run ``buildctl --addr <this daemon> args…``; seconds it took."""
        started = time.perf_counter()
        proc = subprocess.run([buildctl_path(), "--addr", self.address, *args], input=stdin,
                              env=env, capture_output=True)
        took = time.perf_counter() - started
        if proc.returncode != 0:
            raise RuntimeError(f"buildctl {' '.join(args[:2])} failed ({proc.returncode}): "
                               f"{proc.stderr.decode(errors='replace')[-2000:]}")
        return took

    def prune_all(self) -> None:
        """Drop every cache record of this (private) daemon: the next solve is cold."""
        self.buildctl("prune", "--all")


def _mounts_under(folder: Path) -> list[str]:
    prefix = str(folder.resolve()) + "/"
    try:
        lines = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return []
    points = [line.split()[1] for line in lines if len(line.split()) > 1]
    return [p for p in points if p.startswith(prefix)]


class DockerConfig:
    """A temporary ``DOCKER_CONFIG`` holding one registry login, for ``buildctl``
    (it reads credentials from ``config.json`` and answers the daemon's auth
    requests through its session, token auth included)."""

    def __init__(self, registry: str, user: str, secret: str) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="rb-bench-dockercfg-"))
        token = base64.b64encode(f"{user}:{secret}".encode()).decode()
        path = self.dir / "config.json"
        path.write_text(json.dumps({"auths": {registry: {"auth": token}}}))
        path.chmod(0o600)
        self.env = {**os.environ, "DOCKER_CONFIG": str(self.dir)}

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> DockerConfig:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
