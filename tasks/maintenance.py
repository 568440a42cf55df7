"""Maintenance tasks."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="tasks.maintenance.ping")
def ping() -> str:
    """A no-op round trip through a queue: proves a worker consumes it."""
    return "pong"


@shared_task(name="tasks.maintenance.reap")
def reap(stale_after_s: float | None = None) -> dict[str, list[str]]:
    """End builds whose worker stopped its heartbeat, resend waiting builds whose
    message died with a worker, close and archive orphaned logs."""
    from celery import current_app

    from pipeline.reaper import STALE_AFTER_S
    from pipeline.reaper import reap as reap_builds
    from tasks.dispatch import CeleryDispatch
    from tasks.services import services_for

    def resend(build) -> None:
        # The queue and task id recorded at submit: same routing, same Flower line.
        CeleryDispatch(current_app).resend_build(build.id, build_task_id=build.build_task_id,
                                                 build_queue=build.queue)

    return reap_builds(services_for(current_app),
                       stale_after_s=STALE_AFTER_S if stale_after_s is None else stale_after_s,
                       redispatch=resend)


@shared_task(name="tasks.maintenance.archive_log")
def archive_log(build_id: str) -> str:
    """Archive an ended build log to the object store; returns the archive key."""
    from celery import current_app

    from tasks.services import services_for

    return services_for(current_app).bus.archive(build_id)
