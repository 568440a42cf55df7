"""The build task: thin; the work is in :mod:`pipeline.building`.

Waiting for a team slot and backing off after a transient fault both re-queue the
task (same task id, so Flower keeps one line per build); ``transient`` counts only
the faults, so waiting never uses up retries.  Each re-queue renews the build's
broker lease for the countdown plus a grace: if this worker dies holding the
message, the lease lapses and the reaper sends the build again.  An unexpected error
fails the build with its message rather than leaving it live (:class:`StageTask`).
"""

from __future__ import annotations

from celery import shared_task

from pipeline.building import Next, Outcome
from pipeline.building import build_image as build_stage
from pipeline.control import WAIT_LEASE_GRACE_S
from tasks.base import StageTask

MAX_TRANSIENT_RETRIES = 3


@shared_task(bind=True, base=StageTask, name="tasks.build.build_image", max_retries=None,
             stage="build", failed_result="failed")
def build_image(self: StageTask, build_id: str, transient: int = 0, waited: bool = False) -> str:
    """Solve, push and record build ``build_id``."""
    outcome = self.guarded(build_id, lambda: build_stage(
        self.services, build_id, self.worker, retries=transient,
        max_retries=MAX_TRANSIENT_RETRIES, announce_wait=not waited))
    if not isinstance(outcome, Outcome):
        return outcome  # the guard failed the build: its failed_result
    if outcome.action in (Next.WAIT, Next.RETRY):
        self.services.control.lease(build_id, outcome.delay + WAIT_LEASE_GRACE_S)
    if outcome.action is Next.WAIT:
        raise self.retry(countdown=outcome.delay,
                         kwargs={"transient": transient, "waited": True})
    if outcome.action is Next.RETRY:
        raise self.retry(countdown=outcome.delay,
                         kwargs={"transient": transient + 1, "waited": waited})
    return outcome.action.value
