"""The Flask front end.  :func:`create_app` is the only place an app is made."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from core.config import Settings


def create_app(config: Settings | Mapping[str, Any] | None = None) -> Flask:
    """Build the app from ``config``.

    Args:
        config: a :class:`Settings`, a mapping of ``Settings`` field overrides applied
            to the environment's settings (tests), or None for the environment alone.
    """
    settings = _settings(config)
    app = Flask(__name__)
    from app.api import inputlimits

    inputlimits.init_app(app)  # first: path converters bind as routes are added
    app.config.update(SECRET_KEY=settings.flask_secret_key, JSON_SORT_KEYS=False)
    app.extensions["rb.settings"] = settings

    from app import health, registry_token
    from pipeline.registry_settings import registry_settings
    from registry import wiring

    app.register_blueprint(health.blueprint)
    registry = registry_settings(settings)
    registry_token.init_app(app, registry, wiring.authenticator_for(registry))
    from app import api, ui, ws

    api.init_app(app, settings)
    ws.init_app(app)
    ui.init_app(app)
    return app


def _settings(config: Settings | Mapping[str, Any] | None) -> Settings:
    if isinstance(config, Settings):
        return config
    settings = Settings.from_env()
    return settings.with_overrides(**config) if config else settings


def settings_of(app: Flask) -> Settings:
    return app.extensions["rb.settings"]
