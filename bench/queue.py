"""Queue latency: submit → solve start with idle workers.

Starts a compile and a buildqd worker (real processes, queues of their own, a
fresh SQLite database), submits the same small busybox build N times one after
another, and prints the p50/p90 of submit → ``building`` (the solve starts right
after that transition) and of submit → ``compiling``.  Target: p50 within 3× the
baseline's.
Baseline in the same run: a bare Celery chain of two no-op tasks on two queues with
idle workers, on the same Redis (``bench/celery_floor.py``): what Celery alone costs.

Usage: .venv/bin/python bench/queue.py [--runs 10]
"""

from __future__ import annotations

import os
import sys

# Run as a script, this file's folder comes first on sys.path and this module would
# shadow the standard library's ``queue`` (which Celery and redis import).
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]

import signal  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from core.config import REPO_ROOT, Settings  # noqa: E402

sys.path.insert(0, str(REPO_ROOT))
from bench.report import Row, command_line  # noqa: E402
from bench.system import docker_settings  # noqa: E402
from tests.tasks.harness import busybox_recipe, ensure_dzlaunch_image, make_pipeline  # noqa: E402


def measure(runs: int) -> tuple[list[float], list[float]]:
    """Seconds from submit to ``compiling`` and to ``building``, one build at a time
    (on Docker's embedded BuildKit, as the other Docker rows; the figure is the queue's)."""
    settings = docker_settings()
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


def celery_floor(runs: int) -> list[float]:
    """Seconds from sending a bare two-queue chain to its second task's start."""
    from celery import chain

    from bench.celery_floor import app, first, second

    settings = Settings.from_env()
    broker = settings.redis_url.rsplit("/", 1)[0] + "/11"
    app.conf.update(broker_url=broker, result_backend=broker)
    tag = os.urandom(4).hex()
    queues = (f"floor-a-{tag}", f"floor-b-{tag}")
    env = {**os.environ, "RB_FLOOR_BROKER": broker}
    celery = str(Path(sys.executable).with_name("celery"))
    workers = [subprocess.Popen(
        [celery, "-A", "bench.celery_floor:app", "worker", "-Q", queue, "-n", f"{queue}@%h",
         "--concurrency", "1", "--pool", "prefork", "--without-gossip", "--without-mingle",
         "--loglevel", "WARNING"], cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL,
        start_new_session=True)
        for queue in queues]
    try:
        def once() -> float:
            sent = time.time()
            result = chain(first.si().set(queue=queues[0]),
                           second.s().set(queue=queues[1])).apply_async()
            return result.get(timeout=60) - sent

        once()  # warm: imports, connections
        times = []
        for _ in range(runs):
            times.append(once())
            time.sleep(0.2)
        return times
    finally:
        for proc in workers:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in workers:
            proc.wait(timeout=30)


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))] * 1000


def run(runs: int = 10) -> list[Row]:
    to_compile, to_build = measure(runs)
    floor = celery_floor(runs)
    p50, floor_p50 = statistics.median(to_build) * 1000, statistics.median(floor) * 1000
    return [
        Row("queue", "submit → compiling p50", statistics.median(to_compile) * 1000, "ms",
            notes=f"p90 {_p(to_compile, 0.9):.0f} ms over {runs} builds"),
        Row("queue", "submit → solve start p50 (idle workers)", p50, "ms", floor_p50,
            "bare 2-queue Celery chain", "≤ 3× the bare chain", p50 <= 3 * floor_p50,
            notes=f"p90 {_p(to_build, 0.9):.0f} ms over {runs} builds; "
                  f"baseline p90 {_p(floor, 0.9):.0f} ms"),
    ]


if __name__ == "__main__":
    command_line(run, "queue latency", __doc__)
