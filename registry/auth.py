"""Bearer token negotiation for the distribution client.

Challenges, token fetches, and a cache keyed by ``(registry, scopes)``.

One :class:`TokenSource` belongs to one set of credentials, so a team's token can never be
sent on another team's behalf; within it, each distinct scope set has its own token,
reused until shortly before it expires and dropped when the registry refuses it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import requests

from registry.errors import RegistryError, Transient, Unauthorized, error_for

_PARAM = re.compile(r'(\w+)="([^"]*)"')
# Renew a little early so a token does not lapse between fetch and use.
EXPIRY_MARGIN_S = 10


@dataclass(frozen=True)
class Credentials:
    """Basic credentials for the token endpoint (a team robot or the system user)."""

    username: str
    password: str

    def __repr__(self) -> str:  # keep secrets out of logs and tracebacks
        return f"Credentials(username={self.username!r}, password='***')"


def pull_scope(repository: str) -> str:
    """The token scope to pull from ``repository``."""
    return f"repository:{repository}:pull"


def push_scope(repository: str) -> str:
    """The token scope to push to ``repository`` (pull and push)."""
    # The registry needs pull as well as push for every upload request.
    return f"repository:{repository}:pull,push"


def delete_scope(repository: str) -> str:
    """The token scope to delete from ``repository``."""
    return f"repository:{repository}:delete"


def parse_challenge(header: str) -> dict[str, str]:
    """Parse ``Bearer realm="…",service="…"[,scope="…"][,error="…"]``.

    Returns:
        The parameters, plus ``scheme`` (lower case); empty when there is no header.
    """
    if not header:
        return {}
    scheme, _, rest = header.partition(" ")
    params = {k.lower(): v for k, v in _PARAM.findall(rest)}
    params["scheme"] = scheme.lower()
    return params


class TokenSource:
    """Fetches and caches registry tokens for one set of credentials.

    Args:
        session: the HTTP session to use.
        credentials: Basic credentials, or ``None`` for anonymous tokens.
        timeout: seconds per token request.
        clock: monotonic clock (injectable for tests of expiry).
    """

    def __init__(
        self,
        session: requests.Session,
        credentials: Credentials | None,
        timeout: float = 30,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.session = session
        self.credentials = credentials
        self.timeout = timeout
        self.clock = clock
        self._cache: dict[tuple[str, tuple[str, ...]], tuple[str, float]] = {}

    def token(self, registry: str, challenge: dict[str, str], scopes: Sequence[str]) -> str:
        """A token for ``scopes`` on ``registry``, from the cache when still fresh.

        Raises:
            Unauthorized: the token endpoint refused the credentials.
            Transient: the endpoint could not be reached or failed (5xx/429).
        """
        key = (registry, tuple(sorted(scopes)))
        cached = self._cache.get(key)
        if cached and cached[1] > self.clock():
            return cached[0]
        token, expires_in = self.fetch(challenge, scopes)
        self._cache[key] = (token, self.clock() + max(expires_in - EXPIRY_MARGIN_S, 0))
        return token

    def forget(self, registry: str, scopes: Sequence[str]) -> None:
        """Drop a cached token the registry refused (expired, key rotated, …)."""
        self._cache.pop((registry, tuple(sorted(scopes))), None)

    def fetch(self, challenge: dict[str, str], scopes: Sequence[str]) -> tuple[str, int]:
        """Ask the realm for a token; returns ``(token, expires_in)``."""
        realm = challenge.get("realm")
        if challenge.get("scheme") != "bearer" or not realm:
            raise RegistryError(f"registry did not offer Bearer auth: {challenge!r}")
        params: list[tuple[str, str]] = [("scope", s) for s in scopes]
        if challenge.get("service"):
            params.insert(0, ("service", challenge["service"]))
        auth = None
        if self.credentials is not None:
            auth = (self.credentials.username, self.credentials.password)
            params.append(("account", self.credentials.username))
        try:
            response = self.session.get(realm, params=params, auth=auth, timeout=self.timeout)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise Transient(f"token endpoint {realm}: {exc.__class__.__name__}") from None
        if response.status_code != 200:
            error = error_for(response, f"token request to {realm}")
            raise error if error.temporary else Unauthorized(str(error), error.status)
        body = response.json()
        token = body.get("token") or body.get("access_token")
        if not token:
            raise Unauthorized(f"token endpoint {realm} answered without a token")
        return token, int(body.get("expires_in") or 60)
