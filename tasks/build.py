"""The build task: thin; the work is in :mod:`core.pipeline.building`.

Waiting for a team slot and backing off after a transient fault both re-queue the
task (same task id, so Flower keeps one line per build); ``transient`` counts only
the faults, so waiting never uses up retries.
"""

from __future__ import annotations

from celery import shared_task

from core.pipeline.building import build_image as build_stage
from tasks.services import services_for, worker_name

MAX_TRANSIENT_RETRIES = 3


@shared_task(bind=True, name="tasks.build.build_image")
def build_image(self, build_id: str, transient: int = 0, waited: bool = False) -> str:
    """Solve, push and record build ``build_id``."""
    outcome = build_stage(services_for(self.app), build_id, worker_name(self),
                          retries=transient, max_retries=MAX_TRANSIENT_RETRIES,
                          announce_wait=not waited)
    if outcome.action == "wait":
        raise self.retry(countdown=outcome.delay, max_retries=None,
                         kwargs={"transient": transient, "waited": True})
    if outcome.action == "retry":
        raise self.retry(countdown=outcome.delay, max_retries=None,
                         kwargs={"transient": transient + 1, "waited": waited})
    return outcome.action
