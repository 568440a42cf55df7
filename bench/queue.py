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
from tests.tasks.harness import busybox_recipe, ensure_dzlaunch_image, make_pipeline  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
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
            for _ in range(args.runs):
                build = pipe.wait(pipe.submit(team, recipe))
                to_compile.append((build.compiling_at - build.queued_at).total_seconds())
                to_build.append((build.building_at - build.queued_at).total_seconds())
                time.sleep(0.2)
        finally:
            pipe.stop()

    def show(name: str, values: list[float]) -> None:
        ordered = sorted(values)
        p50 = statistics.median(ordered) * 1000
        p90 = ordered[int(0.9 * (len(ordered) - 1))] * 1000
        print(f"{name}: p50 {p50:.0f} ms, p90 {p90:.0f} ms over {len(values)} builds")
        return p50

    show("submit -> compiling", to_compile)
    p50 = show("submit -> building (solve start)", to_build)
    print(f"target p50 < 100 ms; ratio {p50 / 100:.2f}")


if __name__ == "__main__":
    main()
