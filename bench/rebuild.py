"""Unchanged rebuild of a 20-step recipe through the whole system (API submit → image
pushed), against ``docker build`` + ``docker push`` of the same 20 RUN lines, warm.

Target (issue 9): ≤ 1.5 s wall.

    python -m bench.rebuild [--runs 5]
"""

from __future__ import annotations

import statistics
import uuid

from bench.report import Row, command_line
from bench.system import DockerCli, System, busybox_recipe, docker_settings

TARGET_S = 1.5


def run(runs: int = 5) -> list[Row]:
    settings = docker_settings()
    token = uuid.uuid4().hex[:10]
    scripts = [f"echo step-{i}-{token} >> /steps" for i in range(20)]
    with System(settings) as system:
        slug, headers = system.team()
        docker = DockerCli.robot(system.settings, slug)
        try:
            recipe = busybox_recipe(settings, scripts)
            system.build(headers, recipe)  # the first, cold build
            docker.build_push(scripts, "first")
            ours = [system.build(headers, recipe) for _ in range(runs)]
            cli = [docker.build_push(scripts, "first") for _ in range(runs)]
        finally:
            docker.close()
    mine, theirs = statistics.median(ours), statistics.median(cli)
    return [Row("rebuild", f"unchanged 20-step rebuild (median of {runs})", mine, "s", theirs,
                "docker build+push", f"<= {TARGET_S} s", mine <= TARGET_S)]


if __name__ == "__main__":
    command_line(run, "unchanged rebuild", __doc__)
