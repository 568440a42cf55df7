"""One error shape for every API failure: ``{"error": {"code", "message", "details"}}``.

Handlers translate Flask/werkzeug and validation errors into that shape; an
unexpected exception is logged with its traceback and answered with a plain 500
that reveals nothing of the server.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Flask, jsonify, request
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 408: "request_timeout", 409: "conflict",
    413: "payload_too_large", 414: "uri_too_long", 415: "unsupported_media_type",
    422: "invalid", 426: "upgrade_required", 429: "too_many_requests",
    431: "headers_too_large", 500: "internal", 503: "unavailable",
}


class ApiError(Exception):
    """An error the API reports to the caller as is."""

    def __init__(self, status: int, message: str, code: str | None = None,
                 details: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or _CODES.get(status, "error")
        self.message = message
        self.details = details


def not_found(what: str = "resource") -> ApiError:
    return ApiError(404, f"{what} not found")


def error_body(status: int, message: str, code: str | None = None,
               details: Any = None) -> dict[str, Any]:
    """The error shape itself (also written by the HTTP server, outside Flask)."""
    return {"error": {"code": code or _CODES.get(status, "error"), "message": message,
                      "details": details if details is not None else {}}}


def error_response(status: int, message: str, code: str | None = None, details: Any = None):
    return jsonify(error_body(status, message, code, details)), status


def validation_details(exc: ValidationError) -> list[dict[str, Any]]:
    """Pydantic's errors without the input values (they may hold secrets)."""
    return [{"field": ".".join(str(p) for p in err["loc"]), "message": err["msg"]}
            for err in exc.errors(include_url=False, include_input=False)]


def _is_api_request() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def register_blueprint(bp: Blueprint) -> None:
    """Error handlers of the API blueprint (once, when it is defined)."""

    @bp.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return error_response(exc.status, exc.message, exc.code, exc.details)

    @bp.errorhandler(ValidationError)
    def _invalid(exc: ValidationError):
        return error_response(422, "the request body is invalid", "invalid",
                              {"errors": validation_details(exc)})


def register_app(app: Flask) -> None:
    """App-level handlers that shape errors of ``/api/`` paths (one set per app)."""

    # 404/405/413 may be raised before a blueprint is chosen (unknown URL, body too
    # large), so they are handled app-wide and shaped for /api/ paths only.
    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if not _is_api_request():
            return exc
        body, status = error_response(exc.code or 500, exc.description or exc.name)
        # Keep what the exception says besides its HTML body: Allow on a 405,
        # Retry-After, WWW-Authenticate.
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                body.headers.add(name, value)
        return body, status

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return _http_error(exc)
        log.exception("unhandled error on %s %s", request.method, request.path)
        if not _is_api_request():
            return "Internal Server Error", 500
        return error_response(500, "internal server error")
