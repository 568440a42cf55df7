"""The floor under queue latency: a bare Celery chain of two no-op tasks on two queues.

Our submit → solve start is a compile → build chain on two queues, each task
acknowledged late with prefetch 1; this is the same shape with nothing in the tasks,
on the same broker, so ``bench/queue.py`` can show what Celery alone costs beside it.
Workers run ``celery -A bench.celery_floor:app worker`` with ``RB_FLOOR_BROKER`` set.
"""

from __future__ import annotations

import os
import time

from celery import Celery

from core.config import Settings

_BROKER = os.environ.get("RB_FLOOR_BROKER") or (
    Settings.from_env().redis_url.rsplit("/", 1)[0] + "/11")
app = Celery("rb-floor", broker=_BROKER, backend=_BROKER)
app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"],
                task_acks_late=True, worker_prefetch_multiplier=1,
                broker_connection_retry_on_startup=True)


@app.task(name="floor.first")
def first() -> float:
    return time.time()


@app.task(name="floor.second")
def second(_first_started: float) -> float:
    """When the second hop started, as our build task's start is the solve's."""
    return time.time()
