"""The load test's web app, made in the production server's own process
(``python -m app tests.load.webapp:create()``): the stack's settings from the
environment, builds sent to the test pipeline's queues (``bench.logpath`` serves its
web tier the same way)."""

from __future__ import annotations

import json
import os

#: The test pipeline's Celery app name and task routes, as JSON.
CELERY_ENV = "RB_TEST_CELERY"


def celery_env(celery) -> dict[str, str]:
    """The variable :func:`create` reads, for the Celery app ``celery``."""
    return {CELERY_ENV: json.dumps({"main": celery.main,
                                    "routes": dict(celery.conf.task_routes)})}


def routed(make_app):
    """``make_app(settings)``'s app, its builds sent to the Celery app :data:`CELERY_ENV`
    names (a test's or bench's own queues), on the settings' Redis."""
    from core.config import Settings
    from tasks.celery_app import make_celery

    settings = Settings.from_env()
    run = json.loads(os.environ[CELERY_ENV])
    celery = make_celery(run["main"])
    celery.conf.broker_url = celery.conf.result_backend = settings.redis_url
    celery.conf.task_routes = run["routes"]
    app = make_app(settings)
    app.extensions["rb.services"].__dict__["celery"] = celery
    return app


def create():
    from tests.app.apikit import make_app

    return routed(make_app)
