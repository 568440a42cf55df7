"""Entry point for ``celery -A tasks.worker:app``: the one place a worker's app is made."""

from celery.signals import task_postrun, worker_process_init

from core import gcsettle
from tasks.celery_app import make_celery

app = make_celery()


# A pool process settles its heap once forked (everything imported is then frozen)
# and again between jobs if the jobs left many long-lived objects: a full garbage
# collection during a build would stall its log writer (see core/gcsettle.py).
@worker_process_init.connect(weak=False)
def _settle_after_fork(**_: object) -> None:
    gcsettle.settle()


@task_postrun.connect(weak=False)
def _settle_between_jobs(**_: object) -> None:
    gcsettle.settle_if_grown()
