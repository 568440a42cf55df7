"""Authenticated, retrying HTTP to one registry.

Every request names the scopes it needs; the transport pings ``/v2/`` once for the
challenge, attaches the cached token for those scopes, and on a ``401`` drops the token
and tries once more with a fresh one.  :meth:`Transport.retrying` re-runs a whole
operation with exponential backoff, but only for :class:`~registry.errors.Transient`
failures (connection errors, 5xx, 429).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urljoin, urlparse

import requests

from registry.auth import Credentials, TokenSource, parse_challenge
from registry.errors import RegistryError, Transient, error_for

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff for transient failures: ``base_delay * 2**n`` capped at ``max_delay``."""

    attempts: int = 6
    base_delay: float = 0.25
    max_delay: float = 4.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry ``attempt`` (exponential, capped)."""
        return min(self.base_delay * 2**attempt, self.max_delay)


DEFAULT_RETRY = RetryPolicy()


class Transport:
    """HTTP to one registry with Bearer tokens and retries.

    Args:
        base_url: e.g. ``http://127.0.0.1:5000``.
        credentials: Basic credentials for the token endpoint, ``None`` for anonymous.
        retry: the backoff policy for transient errors.
        timeout: seconds per HTTP request.
        session: an existing session (default: a new one owned by the transport).
    """

    def __init__(
        self,
        base_url: str,
        credentials: Credentials | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        timeout: float = 60,
        session: requests.Session | None = None,
    ):
        self.base_url = base_url.rstrip("/") + "/"
        self.host = urlparse(self.base_url).netloc
        self.retry = retry
        self.timeout = timeout
        self.session = session or requests.Session()
        self.tokens = TokenSource(self.session, credentials, timeout=timeout)
        self._challenge: dict[str, str] | None = None

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` on the registry."""
        return urljoin(self.base_url, path.lstrip("/"))

    def challenge(self) -> dict[str, str]:
        """The registry's auth challenge from ``GET /v2/`` (cached; empty when open)."""
        if self._challenge is None:
            response = self._send("GET", self.url("/v2/"))
            if response.status_code == 401:
                self._challenge = parse_challenge(response.headers.get("WWW-Authenticate", ""))
            elif response.status_code == 200:
                self._challenge = {}
            else:
                raise error_for(response, "GET /v2/")
        return self._challenge

    def forget_challenge(self) -> None:
        """Ping again before the next request (the registry may have been reconfigured)."""
        self._challenge = None

    def request(
        self,
        method: str,
        path_or_url: str,
        scopes: Sequence[str],
        expected: Sequence[int],
        what: str,
        **kwargs,
    ) -> requests.Response:
        """Send one request with a token for ``scopes``; raise the typed error otherwise.

        Args:
            method: HTTP method.
            path_or_url: a ``/v2/…`` path or an absolute URL (upload locations).
            scopes: what the request needs, e.g. ``["repository:acme/app:pull"]``.
            expected: statuses that count as success.
            what: a description for error messages.
            **kwargs: passed to ``requests`` (``data`` must be re-sendable bytes).

        Raises:
            RegistryError: the typed error for the final answer.
        """
        url = path_or_url if "://" in path_or_url else self.url(path_or_url)
        challenge = self.challenge()
        response = self._send(method, url, challenge, scopes, **kwargs)
        if response.status_code == 401 and challenge:
            # The cached token may have expired or been signed by a rotated key.
            self.tokens.forget(self.host, scopes)
            response = self._send(method, url, challenge, scopes, **kwargs)
        if response.status_code not in expected:
            raise error_for(response, what)
        return response

    def _send(self, method, url, challenge=None, scopes=(), **kwargs) -> requests.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if challenge:
            headers["Authorization"] = "Bearer " + self.tokens.token(self.host, challenge, scopes)
        try:
            return self.session.request(
                method, url, headers=headers, timeout=self.timeout, allow_redirects=False, **kwargs
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise Transient(f"{method} {url}: {exc.__class__.__name__}") from None

    def retrying(self, operation: Callable[[], T], what: str) -> T:
        """Run ``operation``, re-running it after transient failures with backoff."""
        for attempt in range(self.retry.attempts):
            try:
                return operation()
            except RegistryError as exc:
                if not exc.temporary or attempt == self.retry.attempts - 1:
                    raise
                delay = self.retry.delay(attempt)
                log.warning("%s: %s; retrying in %.2fs", what, exc, delay)
                if exc.status == 0:
                    self.forget_challenge()
                time.sleep(delay)
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Close the HTTP session."""
        self.session.close()
