"""The base class of the pipeline's tasks: one build id, and faults handled alike.

Every pipeline task runs one stage for one build.  A fault the stage did not turn
into a build outcome must never leave the build live, so :meth:`StageTask.guarded`
ends it as failed with the error's message; a temporary registry fault is retried
first, with exponential backoff, by the tasks that declare ``registry_retries``.
Options given to ``@shared_task(base=StageTask, ...)`` become class attributes, so
each task states its policy in its decorator.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from celery import Task
from celery.exceptions import Retry

from pipeline.finalize import fail_build
from pipeline.services import Services
from registry.errors import RegistryError
from tasks.services import services_for, worker_name

log = logging.getLogger(__name__)
T = TypeVar("T")


class StageTask(Task):
    """A task running one pipeline stage (see the module docstring).

    Attributes:
        stage: the stage's name in error messages (``compile``, ``build``).
        doing: what the stage does, for registry faults (``compiling``).
        registry_retries: how often a temporary registry fault is retried (0: never;
            such a fault is then an unexpected error like any other).
        reraise: raise unexpected errors after failing the build (the chain stops and
            Flower shows the task failed) rather than return ``failed_result``.
        failed_result: the task's result when the build was failed here.
    """

    stage: str = "pipeline"
    doing: str = "building"
    registry_retries: int = 0
    reraise: bool = False
    failed_result: Any = None

    @property
    def services(self) -> Services:
        """This worker process's services."""
        return services_for(self.app)

    @property
    def worker(self) -> str:
        """``<node>/<pid>``, recorded on the build this process holds."""
        return worker_name(self)

    def guarded(self, build_id: str, work: Callable[[], T]) -> T | Any:
        """``work()``, with the shared handling of the faults it lets through."""
        try:
            return work()
        except Retry:
            raise
        except RegistryError as err:
            if not self.registry_retries:
                return self._unexpected(build_id, err)
            if err.temporary and self.request.retries < self.registry_retries:
                raise self.retry(countdown=2 ** self.request.retries) from None
            fail_build(self.services, build_id,
                       f"registry unavailable while {self.doing}: {err}")
            return self.failed_result
        except Exception as err:
            return self._unexpected(build_id, err)

    def _unexpected(self, build_id: str, err: Exception) -> Any:
        if not self.reraise:  # a re-raised error is logged by Celery itself
            log.exception("build %s failed unexpectedly", build_id)
        fail_build(self.services, build_id, f"internal error in the {self.stage} worker: {err}")
        if self.reraise:
            raise err
        return self.failed_result
