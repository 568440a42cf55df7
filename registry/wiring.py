"""Building the registry pieces from settings: what the app, the worker and the
services script call, so none of them needs to know the file layout under
``<state_dir>/registry``."""

from __future__ import annotations

from core.config import Settings
from registry.auth import Credentials
from registry.client import RegistryClient
from registry.config import registry_state_dir
from registry.credentials import (
    ChainedAuthenticator,
    RobotCredentials,
    WorkerCredentials,
    default_authenticator,
    robot_store,
    system_credential,
    worker_credentials,
)


def authenticator_for(settings: Settings) -> ChainedAuthenticator:
    """The token service's credential check: the system user, then team robots."""
    return default_authenticator(registry_state_dir(settings), settings.registry_system_user)


def robot_credentials(settings: Settings) -> RobotCredentials:
    """The team robot store (``create(team)``, ``rotate(team)``, ``verify``)."""
    return robot_store(registry_state_dir(settings))


def team_worker_credentials(settings: Settings) -> WorkerCredentials:
    """The per-team credentials build workers derive (``for_team(team)``)."""
    return worker_credentials(registry_state_dir(settings))


def system_credentials(settings: Settings) -> Credentials:
    """The seeding/administration credential (its secret is created on first use)."""
    cred = system_credential(registry_state_dir(settings), settings.registry_system_user)
    return Credentials(cred.username, cred.secret)


def system_client(settings: Settings) -> RegistryClient:
    """A client for ``settings.registry_url`` holding the system credential."""
    return RegistryClient(settings.registry_url, system_credentials(settings))
