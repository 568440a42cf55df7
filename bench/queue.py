"""Queue latency: submit → solve start with idle workers.

Starts a compile and a buildqd worker (real processes, queues of their own, a
fresh SQLite database), submits the same small busybox build N times one after
another, and prints the p50/p90 of submit → ``building`` (the solve starts right
after that transition) and of submit → ``compiling``.  Target: p50 < 100 ms.

Usage: .venv/bin/python bench/queue.py [--runs 10]
"""

from __future__ import annotations

import os
import sys

# Run as a script, this file's folder comes first on sys.path and this module would
# shadow the standard library's ``queue`` (which Celery and redis import).
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]

import argparse  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from core.config import REPO_ROOT, Settings  # noqa: E402

sys.path.insert(0, str(REPO_ROOT))
from bench.report import Row, show  # noqa: E402
from tests.tasks.harness import busybox_recipe, ensure_dzlaunch_image, make_pipeline  # noqa: E402


def measure(runs: int) -> tuple[list[float], list[float]]:
    """Seconds from submit to ``compiling`` and to ``building``, one build at a time."""
    settings = Settings.from_env()
    ensure_dzlaunch_image(settings)
    with tempfile.TemporaryDirectory() as tmp:
        pipe = make_pipeline(settings, Path(tmp))
        pipe.start_worker("compile")
        pipe.start_worker("buildqd")
        try:
            team = pipe.team()
            recipe = busybox_recipe(settings, "echo queue-bench")
            pipe.wait(pipe.submit(team, recipe))  # warm caches, imports, connections
            to_build, to_compile = [], []
            for _ in range(runs):
                build = pipe.wait(pipe.submit(team, recipe))
                to_compile.append((build.compiling_at - build.queued_at).total_seconds())
                to_build.append((build.building_at - build.queued_at).total_seconds())
                time.sleep(0.2)
        finally:
            pipe.stop()
    return to_compile, to_build


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))] * 1000


def run(runs: int = 10) -> list[Row]:
    to_compile, to_build = measure(runs)
    p50 = statistics.median(to_build) * 1000
    return [
        Row("queue", "submit → compiling p50", statistics.median(to_compile) * 1000, "ms",
            notes=f"p90 {_p(to_compile, 0.9):.0f} ms over {runs} builds"),
        Row("queue", "submit → solve start p50 (idle workers)", p50, "ms", target="< 100 ms",
            met=p50 < 100, notes=f"p90 {_p(to_build, 0.9):.0f} ms over {runs} builds"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    show(run(parser.parse_args().runs), "queue latency")


if __name__ == "__main__":
    main()
