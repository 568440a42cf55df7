"""The pipeline services of a worker process, made on first use and kept on its app."""

from __future__ import annotations

import os

from celery import Celery, Task

from pipeline.services import Services
from tasks.celery_app import settings_of


def services_for(app: Celery) -> Services:
    """The worker's :class:`Services` (made after the fork, once per process)."""
    services = getattr(app, "_rb_services", None)
    if services is None or getattr(app, "_rb_pid", None) != os.getpid():
        services = Services.from_settings(settings_of(app))
        app._rb_services, app._rb_pid = services, os.getpid()
    return services


def worker_name(task: Task) -> str:
    """``<node name>/<pid>``: which worker process holds a build."""
    return f"{task.request.hostname or 'worker'}/{os.getpid()}"
