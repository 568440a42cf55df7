"""The REST API (``/api/v1``): team-scoped JSON resources with an OpenAPI document.

``init_app`` wires the blueprint, its error shape, the request size limit and the
lazily built service clients into an app made by :func:`app.create_app`.
"""

from __future__ import annotations

from flask import Blueprint, Flask, g, request

from app.api import auth, context, errors
from app.api.services import init_services
from core.config import Settings

PREFIX = "/api/v1"
# Recipes are small text documents; anything larger is refused before parsing.
MAX_REQUEST_BYTES = 1024 * 1024
# Endpoints anyone may call: the document describing the API, and signing in.
PUBLIC_ENDPOINTS = {"api.openapi_document", "api.sign_in"}

bp = Blueprint("api", __name__, url_prefix=PREFIX)
errors.register_blueprint(bp)


@bp.before_request
def _authenticate() -> None:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    g.rb_caller = auth.authenticate(context.db())


def init_app(app: Flask, settings: Settings) -> None:
    """Register the API on ``app`` (call once, from the app factory)."""
    from app.api import (  # noqa: F401  (route modules register on bp)
        builds,
        members,
        migrate,
        openapi,
        plans,
        recipes,
        secrets,
        team,
    )

    init_services(app, settings)
    if not app.config.get("MAX_CONTENT_LENGTH"):
        app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    context.init_app(app)
    errors.register_app(app)
    app.register_blueprint(bp)
