"""Entry point for ``celery -A tasks.worker:app``: the one place a worker's app is made."""

from tasks.celery_app import make_celery

app = make_celery()
