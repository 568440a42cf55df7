"""The Celery app, made from ``celeryconfig`` by a factory (no import-time global)."""

from __future__ import annotations

from celery import Celery

TASK_MODULES = ["tasks.maintenance", "tasks.compile", "tasks.build"]


def make_celery(name: str = "recipe-builder") -> Celery:
    app = Celery(name)
    app.config_from_object("celeryconfig")
    app.autodiscover_tasks(lambda: TASK_MODULES, related_name=None, force=True)
    return app
