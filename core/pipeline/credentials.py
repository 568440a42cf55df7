"""Registry credentials for the pipeline, behind one small interface.

The registry may run open (no auth) or with token auth.  A provider answers two
questions for a team: which credentials the BuildKit session and the push use
(:data:`buildkit.session.CredentialLookup`), and which ``registry.auth.Credentials``
the OCI client uses to resolve tags and copy tags.  Pick one with
:func:`provider_from_settings`; other providers (per-team robots) fit the same shape.
"""

from __future__ import annotations

from typing import Protocol

from buildkit.session import RegistryCredentials
from core.config import Settings
from registry.auth import Credentials
from registry.client import RegistryClient


class CredentialProvider(Protocol):
    """Credentials a team's build uses against the registry."""

    def client_credentials(self, team_slug: str) -> Credentials | None:
        """For :class:`registry.client.RegistryClient` (None = anonymous)."""

    def session_credentials(self, team_slug: str, host: str) -> RegistryCredentials | None:
        """For the BuildKit session and the Engine push (None = anonymous)."""


class AnonymousProvider:
    """An open registry (``scripts/services up`` without token auth)."""

    def client_credentials(self, team_slug: str) -> Credentials | None:
        return None

    def session_credentials(self, team_slug: str, host: str) -> RegistryCredentials | None:
        return None


class SystemProvider:
    """Token auth, acting with the registry's system credential.

    Only the pipeline's own registry host gets the credential; any other host is
    anonymous, so the credential never leaves for a foreign registry.
    """

    def __init__(self, registry_host: str, username: str, secret: str) -> None:
        self.registry_host = registry_host
        self._username = username
        self._secret = secret

    def __repr__(self) -> str:
        return f"SystemProvider({self.registry_host!r}, {self._username!r}, secret='***')"

    def client_credentials(self, team_slug: str) -> Credentials | None:
        return Credentials(self._username, self._secret)

    def session_credentials(self, team_slug: str, host: str) -> RegistryCredentials | None:
        if host != self.registry_host:
            return None
        return RegistryCredentials(self._username, self._secret)


def registry_requires_auth(settings: Settings) -> bool:
    """Whether the registry answers ``/v2/`` with an auth challenge."""
    with RegistryClient(settings.registry_url) as client:
        return bool(client.ping())


def provider_from_settings(settings: Settings) -> CredentialProvider:
    """System credential when the registry challenges, anonymous otherwise."""
    if not registry_requires_auth(settings):
        return AnonymousProvider()
    from registry.wiring import system_credentials

    system = system_credentials(settings)
    return SystemProvider(settings.registry, system.username, system.password)


def registry_client(settings: Settings, provider: CredentialProvider,
                    team_slug: str) -> RegistryClient:
    """An OCI client acting for ``team_slug``."""
    return RegistryClient(settings.registry_url, provider.client_credentials(team_slug))
