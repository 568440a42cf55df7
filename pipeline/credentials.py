"""Registry credentials for the pipeline, behind one small interface.

The registry may run open (no auth) or with token auth.  A provider answers two
questions for a team: which credentials the BuildKit session and the push use
(the solve turns them into a BuildKit credential lookup), and which ``registry.auth.Credentials``
the OCI client uses to resolve tags and copy tags.  Pick one with
:func:`provider_from_settings`; the token-auth one acts as the team's build worker.
"""

from __future__ import annotations

from typing import Protocol

from core.config import Settings
from registry.auth import Credentials
from registry.client import RegistryClient


class CredentialProvider(Protocol):
    """Credentials a team's build uses against the registry."""

    def client_credentials(self, team_slug: str) -> Credentials | None:
        """For :class:`registry.client.RegistryClient` (None = anonymous)."""

    def session_credentials(self, team_slug: str, host: str) -> Credentials | None:
        """For the BuildKit session and the Engine push (None = anonymous).

        A plain ``registry.auth.Credentials``: the build step turns it into BuildKit's
        type, so the web app can use this module without depending on BuildKit.
        """


class AnonymousProvider:
    """An open registry (``scripts/services up`` without token auth)."""

    def client_credentials(self, team_slug: str) -> Credentials | None:
        return None

    def session_credentials(self, team_slug: str, host: str) -> Credentials | None:
        return None


class TeamWorkerProvider:
    """Token auth, acting as the team's build worker (``<team>+builder``).

    Each build gets credentials that reach only its own team's repositories (and pull
    on ``library/``), never the system credential. Only the pipeline's own registry
    host gets them; any other host is anonymous, so they never leave for a foreign
    registry.
    """

    def __init__(self, registry_host: str, worker_credentials) -> None:
        self.registry_host = registry_host
        self._workers = worker_credentials

    def __repr__(self) -> str:
        return f"TeamWorkerProvider({self.registry_host!r})"

    def client_credentials(self, team_slug: str) -> Credentials | None:
        return Credentials(*self._workers.for_team(team_slug))

    def session_credentials(self, team_slug: str, host: str) -> Credentials | None:
        if host != self.registry_host:
            return None
        return Credentials(*self._workers.for_team(team_slug))


def registry_requires_auth(settings: Settings) -> bool:
    """Whether the registry answers ``/v2/`` with an auth challenge."""
    with RegistryClient(settings.registry_url) as client:
        return bool(client.ping())


def provider_from_settings(settings: Settings) -> CredentialProvider:
    """The team's worker credential when the registry challenges, anonymous otherwise."""
    if not registry_requires_auth(settings):
        return AnonymousProvider()
    from pipeline.registry_settings import registry_settings
    from registry.wiring import team_worker_credentials

    workers = team_worker_credentials(registry_settings(settings))
    return TeamWorkerProvider(settings.registry, workers)


def registry_client(settings: Settings, provider: CredentialProvider,
                    team_slug: str) -> RegistryClient:
    """An OCI client acting for ``team_slug``."""
    return RegistryClient(settings.registry_url, provider.client_credentials(team_slug))
