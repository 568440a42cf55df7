"""The clients the API, UI and websocket relay use, built lazily from settings.

One :class:`Services` lives in ``app.extensions["rb.services"]``; nothing connects
until a request first needs it, and each client is made once per app.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from flask import Flask, current_app
from sqlalchemy.orm import Session, sessionmaker

from core.config import Settings

EXTENSION = "rb.services"
#: Redis connections the web process may open: one per live log follower, plus requests.
WEB_REDIS_CONNECTIONS = 4096


class Services:
    """Lazily built clients for one app (tests pass their own settings)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def engine(self) -> Any:
        from core.db import make_engine

        return make_engine(self.settings)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        from core.db import make_session_factory

        return make_session_factory(self.engine)

    @cached_property
    def redis(self) -> Any:
        from core.clients import redis_client

        # Blocking reads of the log bus wait up to a few seconds; keep the socket
        # timeout above that so a quiet build is not mistaken for a dead server.
        # Every log follower (websocket or ?follow=1) holds a connection during its
        # blocking read, so the pool must outgrow redis-py's default cap of 100
        # (tests/load follows 500 at once); the server's maxclients is the real bound.
        return redis_client(self.settings, socket_timeout=30, health_check_interval=15,
                            max_connections=WEB_REDIS_CONNECTIONS)

    @cached_property
    def object_store(self) -> Any:
        from core.objectstore import object_store_from_settings

        return object_store_from_settings(self.settings)

    @cached_property
    def logbus(self) -> Any:
        from core.logbus import LogBus

        return LogBus.from_settings(self.settings, self.redis, self.object_store)

    @cached_property
    def celery(self) -> Any:
        from tasks.celery_app import make_celery

        return make_celery(settings=self.settings)

    @cached_property
    def dispatch(self) -> Any:
        from tasks.dispatch import CeleryDispatch

        return CeleryDispatch(self.celery)

    @cached_property
    def secrets(self) -> Any:
        from core.secretstore import secret_store_from_settings

        return secret_store_from_settings(self.settings)

    @cached_property
    def robots(self) -> Any:
        from pipeline.registry_settings import registry_settings
        from registry.wiring import robot_credentials

        return robot_credentials(registry_settings(self.settings))


def init_services(app: Flask, settings: Settings) -> Services:
    services = app.extensions.get(EXTENSION)
    if services is None:
        services = app.extensions[EXTENSION] = Services(settings)
    return services


def services() -> Services:
    """The services of the current app."""
    return current_app.extensions[EXTENSION]
