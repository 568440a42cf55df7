"""The compile task: thin; the work is in :mod:`pipeline.compiling`."""

from __future__ import annotations

from celery import shared_task

from pipeline.compiling import compile_build as compile_stage
from tasks.base import StageTask

MAX_TRANSIENT_RETRIES = 3


@shared_task(bind=True, base=StageTask, name="tasks.compile.compile_build", max_retries=None,
             stage="compile", doing="compiling", registry_retries=MAX_TRANSIENT_RETRIES,
             reraise=True, failed_result=False)
def compile_build(self: StageTask, build_id: str) -> bool:
    """Compile build ``build_id``; True when it goes on to the build queue to be solved."""
    return self.guarded(build_id, lambda: compile_stage(self.services, build_id, self.worker))
