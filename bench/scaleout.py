"""Scale-out: 1, 2 and 4 buildqd worker processes on one BuildKit daemon, 16 small
builds submitted at once; builds per minute, and the ratio to one worker (measured in
the same run).

    python -m bench.scaleout [--builds 16]
"""

from __future__ import annotations

import os
import time
import uuid

from bench.report import Row, command_line
from bench.system import System, busybox_recipe, docker_settings
from core.config import Settings


def throughput(settings: Settings, workers: int, builds: int) -> float:
    """Builds per minute with ``workers`` buildqd processes."""
    with System(settings, buildqd=workers) as system:
        _slug, headers = system.team(limit=builds)
        system.build(headers, busybox_recipe(settings, ["true"]))  # warm the bases
        token = uuid.uuid4().hex[:8]
        recipes = [busybox_recipe(settings, [f"echo {token}-{i}; sleep 1", "echo done"])
                   for i in range(builds)]
        started = time.perf_counter()
        ids = [system.submit(headers, r) for r in recipes]
        for build_id in ids:
            system.wait(headers, build_id)
        return builds / (time.perf_counter() - started) * 60


def run(builds: int = 16) -> list[Row]:
    settings = docker_settings()
    results = {n: throughput(settings, n, builds) for n in (1, 2, 4)}
    note = f"{os.cpu_count()} cores, one daemon; each build sleeps 1 s"
    return [Row("scaleout", f"{n} buildqd worker(s), {builds} builds", results[n], "builds/min",
                results[1], "1 worker", notes=note) for n in (1, 2, 4)]


if __name__ == "__main__":
    command_line(run, "scale-out", __doc__)
