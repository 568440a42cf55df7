"""Whole-system overhead: API submit → image pushed, against ``docker build`` +
``docker push`` of the equivalent Dockerfile on the same daemon; cold and warm.

Target (issue 9): ours ≤ 1.10 × Docker + 0.3 s.  Also reports the queue latency seen
in the same builds (queued → solve started, which includes the compile).

    python -m bench.overhead [--runs 3]
"""

from __future__ import annotations

import statistics
import uuid

from bench.report import Row, command_line
from bench.system import DockerCli, System, busybox_recipe, docker_settings


def scripts(token: str) -> list[str]:
    return [f"echo bench-{token} > /a", "cat /a /a > /b"]


def run(runs: int = 3) -> list[Row]:
    settings = docker_settings()
    ours: dict[str, list[float]] = {"cold": [], "warm": []}
    cli: dict[str, list[float]] = {"cold": [], "warm": []}
    with System(settings) as system:
        slug, headers = system.team()
        docker = DockerCli.robot(system.settings, slug)
        try:
            system.build(headers, busybox_recipe(settings, ["true"]))  # pulls the bases once
            docker.build_push(["true"], "prime")
            for i in range(runs):
                for who in (("ours", "cli") if i % 2 == 0 else ("cli", "ours")):
                    token = uuid.uuid4().hex[:10]  # new content: nothing is cached
                    for mode in ("cold", "warm"):
                        if who == "ours":
                            recipe = busybox_recipe(settings, scripts(token))
                            ours[mode].append(system.build(headers, recipe))
                        else:
                            cli[mode].append(docker.build_push(scripts(token), token))
        finally:
            docker.close()
        queue_ms = [(b.building_at - b.queued_at).total_seconds() * 1000
                    for b in system.rows() if b.building_at]
    rows = []
    for mode in ("cold", "warm"):
        mine, theirs = statistics.median(ours[mode]), statistics.median(cli[mode])
        bound = 1.10 * theirs + 0.3
        rows.append(Row("overhead", f"submit→pushed, 2 steps, {mode} (median of {runs})", mine,
                        "s", theirs, "docker build+push", "<= 1.10x + 0.3 s", mine <= bound,
                        notes=f"bound {bound:.2f} s"))
    rows.append(Row("overhead", "queue latency queued→building (incl. compile), p50",
                    statistics.median(queue_ms), "ms", None, "", "< 100 ms",
                    statistics.median(queue_ms) < 100))
    return rows


if __name__ == "__main__":
    command_line(run, "whole-system overhead", __doc__)
