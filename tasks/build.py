"""The build task: thin; the work is in :mod:`pipeline.building`.

Waiting for a team slot and backing off after a transient fault both re-queue the
task (same task id, so Flower keeps one line per build); ``transient`` counts only
the faults, so waiting never uses up retries.  Each re-queue renews the build's
broker lease for the countdown plus a grace: if this worker dies holding the
message, the lease lapses and the reaper sends the build again.  An unexpected error fails the build
with its message rather than leaving it live.
"""

from __future__ import annotations

import logging

from celery import shared_task

from pipeline.building import build_image as build_stage
from pipeline.control import WAIT_LEASE_GRACE_S
from pipeline.finalize import fail_build
from tasks.services import services_for, worker_name

log = logging.getLogger(__name__)
MAX_TRANSIENT_RETRIES = 3


@shared_task(bind=True, name="tasks.build.build_image", max_retries=None)
def build_image(self, build_id: str, transient: int = 0, waited: bool = False) -> str:
    """Solve, push and record build ``build_id``."""
    services = services_for(self.app)
    try:
        outcome = build_stage(services, build_id, worker_name(self), retries=transient,
                              max_retries=MAX_TRANSIENT_RETRIES, announce_wait=not waited)
    except Exception as err:
        log.exception("build %s failed unexpectedly", build_id)
        fail_build(services, build_id, f"internal error in the build worker: {err}")
        return "failed"
    if outcome.action in ("wait", "retry"):
        services.control.lease(build_id, outcome.delay + WAIT_LEASE_GRACE_S)
    if outcome.action == "wait":
        raise self.retry(countdown=outcome.delay,
                         kwargs={"transient": transient, "waited": True})
    if outcome.action == "retry":
        raise self.retry(countdown=outcome.delay,
                         kwargs={"transient": transient + 1, "waited": waited})
    return outcome.action
