"""Building the registry pieces from settings.

What the app, the worker and the services script call, so none of them needs to know
the file layout under ``RegistrySettings.state_dir``.
"""

from __future__ import annotations

from registry.auth import Credentials
from registry.client import RegistryClient
from registry.credentials import (
    ChainedAuthenticator,
    RobotCredentials,
    WorkerCredentials,
    default_authenticator,
    robot_store,
    system_credential,
    worker_credentials,
)
from registry.settings import RegistrySettings


def authenticator_for(settings: RegistrySettings) -> ChainedAuthenticator:
    """The token service's credential check: the system user, then team robots."""
    return default_authenticator(settings.state_dir, settings.system_user)


def robot_credentials(settings: RegistrySettings) -> RobotCredentials:
    """The team robot store (``create(team)``, ``rotate(team)``, ``verify``)."""
    return robot_store(settings.state_dir)


def team_worker_credentials(settings: RegistrySettings) -> WorkerCredentials:
    """The per-team credentials build workers derive (``for_team(team)``)."""
    return worker_credentials(settings.state_dir)


def system_credentials(settings: RegistrySettings) -> Credentials:
    """The seeding/administration credential (its secret is created on first use)."""
    cred = system_credential(settings.state_dir, settings.system_user)
    return Credentials(cred.username, cred.secret)


def system_client(settings: RegistrySettings) -> RegistryClient:
    """A client for ``settings.url`` holding the system credential."""
    return RegistryClient(settings.url, system_credentials(settings))
