"""Typed registry errors, chosen from an HTTP answer by one mapping function.

Only :class:`Transient` errors are retried; authentication, authorisation and missing
resources are reported at once.
"""

from __future__ import annotations

import requests


class RegistryError(Exception):
    """A registry (or token endpoint) answered with an error.

    Attributes:
        status: the HTTP status (0 for connection errors).
        codes: the distribution error codes in the body, e.g. ``["NAME_UNKNOWN"]``.
    """

    temporary = False

    def __init__(self, message: str, status: int = 0, codes: tuple[str, ...] = ()):
        super().__init__(message)
        self.status = status
        self.codes = codes


class Unauthorized(RegistryError):
    """No usable credentials or token: bad password, invalid or missing token."""


class Denied(RegistryError):
    """The registry refused an authenticated request.

    Authenticated, but the token lacks the action (``insufficient_scope``) or storage
    refused (``DENIED``).
    """


class NotFound(RegistryError):
    """Repository, manifest or blob unknown (404)."""


class InvalidRequest(RegistryError):
    """The registry refused the request as malformed (4xx other than auth and 404)."""


class Transient(RegistryError):
    """A connection error, 5xx or 429: worth retrying."""

    temporary = True


def _codes(response: requests.Response) -> tuple[str, ...]:
    try:
        errors = response.json().get("errors") or []
        return tuple(str(e.get("code", "")) for e in errors if isinstance(e, dict))
    except (ValueError, AttributeError):
        return ()


def challenge_error(response: requests.Response) -> str:
    """The ``error=`` value of a Bearer challenge (``invalid_token``, ``insufficient_scope``)."""
    from registry.auth import parse_challenge

    return parse_challenge(response.headers.get("WWW-Authenticate", "")).get("error", "")


def error_for(response: requests.Response, what: str) -> RegistryError:
    """Map a failed response to its error class.

    Args:
        response: the registry's answer (status >= 400).
        what: the operation, for the message (``"GET manifest team/app:1"``).
    """
    status, codes = response.status_code, _codes(response)
    message = f"{what}: HTTP {status} {' '.join(codes)}".rstrip()
    if status == 401:
        if challenge_error(response) == "insufficient_scope":
            return Denied(message + " (insufficient_scope)", status, codes)
        return Unauthorized(message, status, codes)
    if status == 403 or "DENIED" in codes:
        return Denied(message, status, codes)
    if status == 404:
        return NotFound(message, status, codes)
    if status == 429 or status >= 500:
        return Transient(message, status, codes)
    return InvalidRequest(message, status, codes)
