"""The Celery app, made from the application's :class:`~core.config.Settings` by a factory.

``celeryconfig`` holds only what never depends on the deployment (serializers, routes,
acknowledgement); the broker, the result backend and the redelivery timeout come from
the settings passed in, which the app keeps so its worker processes build their
services from the same settings (:func:`settings_of`).
"""

from __future__ import annotations

from celery import Celery

from core.config import Settings
from pipeline.control import redelivery_after_s

TASK_MODULES = ["tasks.maintenance", "tasks.compile", "tasks.build"]


def make_celery(name: str = "recipe-builder", settings: Settings | None = None) -> Celery:
    """A configured app; ``settings`` defaults to the process environment's."""
    settings = settings if settings is not None else Settings.from_env()
    app = Celery(name)
    app.config_from_object("celeryconfig")
    app.conf.update(
        broker_url=settings.redis_url,
        result_backend=settings.redis_url,
        # Redis redelivers unacknowledged tasks after this; it must outlast the longest
        # build.  (A waiting build's message held by a killed worker is resent sooner
        # by the reaper: see the leases in pipeline/control.py.)
        broker_transport_options={
            "visibility_timeout": redelivery_after_s(settings.build_timeout_s)},
    )
    app.rb_settings = settings  # read back by settings_of(); Celery ignores the attribute
    app.autodiscover_tasks(lambda: TASK_MODULES, related_name=None, force=True)
    return app


def settings_of(app: Celery) -> Settings:
    """The settings ``app`` was made from (the environment's for a foreign app)."""
    settings = getattr(app, "rb_settings", None)
    return settings if settings is not None else Settings.from_env()
