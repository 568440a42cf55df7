"""Entry point for ``celery -A tasks.worker:app``: the one place a worker's app is made.

Celery's loader imports this module to find ``app``, so the worker's settings are
read from the environment here, once, and handed to the factory.
"""

from celery.signals import task_postrun, worker_init, worker_process_init

from core import gcsettle
from core.config import Settings
from tasks.celery_app import make_celery, settings_of

app = make_celery(settings=Settings.from_env())


BUILD_QUEUE = "buildqd"


def _consumes(worker: object, queue: str) -> bool:
    """Whether the starting worker takes tasks from ``queue`` (unknown: assume yes)."""
    try:
        return queue in worker.app.amqp.queues.consume_from  # type: ignore[attr-defined]
    except AttributeError:
        return True


# A build worker on an engine whose steps would share the host's network (and so reach
# Redis, PostgreSQL, Flower and the token service) refuses to start, unless the operator
# said this is a single-team deployment (RB_ALLOW_UNISOLATED_ENGINE=true).
@worker_init.connect(weak=False)
def _refuse_unisolated_engine(sender: object = None, **_: object) -> None:
    refusal = settings_of(app).unisolated_engine_refusal()
    if refusal and _consumes(sender, BUILD_QUEUE):
        raise SystemExit(f"buildqd refuses to start: {refusal}")


# A pool process settles its heap once forked (everything imported is then frozen)
# and again between jobs if the jobs left many long-lived objects: a full garbage
# collection during a build would stall its log writer (see core/gcsettle.py).
@worker_process_init.connect(weak=False)
def _settle_after_fork(**_: object) -> None:
    gcsettle.settle()


@task_postrun.connect(weak=False)
def _settle_between_jobs(**_: object) -> None:
    gcsettle.settle_if_grown()
