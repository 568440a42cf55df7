"""How the pipeline reaches its workers: Celery's side of :class:`pipeline.submit.Dispatch`.

The pipeline decides *what* is sent (a build's compile → build chain, a resend, a
revoke); this module knows *how*: the stage tasks, found by the ``stage`` each
declares in its decorator (:class:`tasks.base.StageTask`), so no task name is spelled
outside the decorators, and their queues from ``task_routes``.  It never imports the
task modules themselves: the web tier must not load the build stage's BuildKit client.
"""

from __future__ import annotations

from fnmatch import fnmatch

from celery import Celery, chain


def queue_for(celery_app: Celery, task_name: str) -> str:
    """The queue ``task_routes`` sends ``task_name`` to (glob patterns, first match)."""
    routes = celery_app.conf.task_routes or {}
    if isinstance(routes, dict):
        for pattern, route in routes.items():
            if fnmatch(task_name, pattern):
                return route["queue"]
    return celery_app.conf.task_default_queue


def stage_task_name(celery_app: Celery, stage: str) -> str:
    """The registered name of the task that runs pipeline stage ``stage``.

    Raises:
        LookupError: no task of ``celery_app`` declares that stage.
    """
    for name, task in celery_app.tasks.items():
        if getattr(task, "stage", None) == stage:
            return name
    raise LookupError(f"no task runs the {stage!r} stage")


class CeleryDispatch:
    """Sends a build's stages through ``celery_app``'s broker and routes."""

    def __init__(self, celery_app: Celery) -> None:
        self.app = celery_app

    def build_queue(self) -> str:
        """The queue the build stage is routed to, recorded on the build at submit."""
        return queue_for(self.app, stage_task_name(self.app, "build"))

    def send_chain(self, build_id: str, *, compile_task_id: str, build_task_id: str,
                   build_queue: str) -> None:
        """``compile(build_id)`` then ``build(build_id)``, with the given task ids."""
        compile_task = stage_task_name(self.app, "compile")
        chain(
            self.app.signature(compile_task, args=(build_id,), immutable=True).set(
                queue=queue_for(self.app, compile_task), task_id=compile_task_id),
            self.app.signature(stage_task_name(self.app, "build"), args=(build_id,),
                               immutable=True).set(queue=build_queue, task_id=build_task_id),
        ).apply_async()

    def resend_build(self, build_id: str, *, build_task_id: str, build_queue: str) -> None:
        """The build stage again, on the queue and task id recorded at submit."""
        self.app.send_task(stage_task_name(self.app, "build"), args=(build_id,),
                           task_id=build_task_id, queue=build_queue)

    def revoke(self, task_ids: list[str]) -> None:
        """Drop these tasks if a worker has not started them yet."""
        self.app.control.revoke(task_ids)
