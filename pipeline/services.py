"""The clients a pipeline process needs, made from settings in one place.

A worker makes one :class:`Services` lazily (first task) and keeps it on its Celery
app; tests and the API make their own.  Nothing connects at import time.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.clients import redis_client
from core.config import Settings
from core.db import make_engine, make_session_factory
from core.logbus import LogBus
from core.objectstore import ObjectStore, object_store_from_settings
from core.secretstore import SecretStore, secret_store_from_settings
from pipeline.control import Control
from pipeline.credentials import CredentialProvider, provider_from_settings, registry_client
from registry.client import RegistryClient


@dataclass
class Services:
    """Settings plus every client the pipeline uses."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    redis: Redis
    bus: LogBus
    store: ObjectStore
    control: Control
    secret_store: SecretStore
    _credentials: CredentialProvider | None = field(default=None, repr=False)
    _registries: dict[str, RegistryClient] = field(default_factory=dict, repr=False)
    _registries_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> Services:
        engine = overrides.pop("engine", None) or make_engine(settings)
        redis = overrides.pop("redis", None) or redis_client(settings, socket_timeout=30)
        store = overrides.pop("store", None) or object_store_from_settings(settings)
        return cls(
            settings=settings, engine=engine, sessions=make_session_factory(engine), redis=redis,
            bus=overrides.pop("bus", None) or LogBus.from_settings(settings, redis, store),
            store=store, control=Control(redis),
            secret_store=(overrides.pop("secret_store", None)
                          or secret_store_from_settings(settings)),
            _credentials=overrides.pop("credentials", None),
        )

    def registry_for(self, team_slug: str) -> RegistryClient:
        """The process's one registry client acting for ``team_slug``.

        Kept for the life of the process, so its per-scope token cache and its HTTP
        connections serve every build of the team instead of being fetched and opened
        again for each pin, cache check and tag.
        """
        with self._registries_lock:
            client = self._registries.get(team_slug)
            if client is None:
                client = registry_client(self.settings, self.credentials, team_slug)
                self._registries[team_slug] = client
            return client

    @property
    def credentials(self) -> CredentialProvider:
        """The registry credential provider, chosen on first use (it asks the registry)."""
        if self._credentials is None:
            self._credentials = provider_from_settings(self.settings)
        return self._credentials
