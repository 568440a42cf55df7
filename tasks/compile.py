"""The compile task: thin; the work is in :mod:`pipeline.compiling`."""

from __future__ import annotations

from celery import shared_task

from pipeline.compiling import compile_build as compile_stage
from pipeline.finalize import fail_build
from registry.errors import RegistryError
from tasks.services import services_for, worker_name

MAX_TRANSIENT_RETRIES = 3


@shared_task(bind=True, name="tasks.compile.compile_build", max_retries=None)
def compile_build(self, build_id: str) -> bool:
    """Compile build ``build_id``; True when it goes on to the build queue to be solved."""
    services = services_for(self.app)
    try:
        return compile_stage(services, build_id, worker_name(self))
    except RegistryError as err:
        if err.temporary and self.request.retries < MAX_TRANSIENT_RETRIES:
            raise self.retry(countdown=2 ** self.request.retries) from None
        fail_build(services, build_id, f"registry unavailable while compiling: {err}")
        return False
    except Exception as err:
        fail_build(services, build_id, f"internal error in the compile worker: {err}")
        raise
