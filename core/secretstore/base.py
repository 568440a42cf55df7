"""The secret store interface shared by the Vault and local backends.

Values are bytes and never appear in reprs, exceptions or logs; only names and
versions do.  ``team`` is the owning team's id (stable across renames); the
store keeps every team's secrets apart.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_TEAM = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class SecretStoreError(Exception):
    """The store failed (unreachable, refused, corrupt); the message has no value."""


class SecretStoreUnavailable(SecretStoreError):
    """The store cannot answer now (down, sealed, unreachable): a transient condition,
    distinct from a refusal, so callers can say so (HTTP 503, a build's reason)."""

    MESSAGE = "secret store unavailable"

    def __init__(self, detail: str = "") -> None:
        super().__init__(f"{self.MESSAGE} ({detail})" if detail else self.MESSAGE)


class SecretAccessDenied(SecretStoreError):
    """The store itself refused the request (Vault's 403): the credential in use may not
    touch that team's secrets."""


class SecretNotFound(SecretStoreError, KeyError):
    """No such secret (or no such version of it) for the team."""

    def __init__(self, team: str, name: str, version: int | None = None) -> None:
        which = f" version {version}" if version is not None else ""
        super().__init__(f"secret {name}{which} of team {team} not found")
        self.team, self.name, self.version = team, name, version

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


class InvalidSecretName(SecretStoreError, ValueError):
    """A team or secret name the store refuses (it would be part of a path)."""


def check_names(team: str, name: str | None = None) -> None:
    """Refuse names that could escape their team's space or be ambiguous."""
    if not _TEAM.fullmatch(team):
        raise InvalidSecretName(f"invalid team {team!r}")
    if name is not None and not _NAME.fullmatch(name):
        raise InvalidSecretName(
            f"invalid secret name {name!r}: use letters, digits and _, not starting with a digit"
        )


def as_bytes(value: bytes | str) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


class SecretStore(ABC):
    """Versioned team secrets.  Versions count 1, 2, … per secret."""

    @abstractmethod
    def put(self, team: str, name: str, value: bytes | str) -> int:
        """Store a new version of ``team``'s secret ``name``; returns its version."""

    @abstractmethod
    def get(self, team: str, name: str, version: int | None = None) -> bytes:
        """The value of a version (default: the newest).  Raises SecretNotFound."""

    @abstractmethod
    def versions(self, team: str, name: str) -> list[int]:
        """Readable versions, oldest first.  Raises SecretNotFound."""

    @abstractmethod
    def delete(self, team: str, name: str) -> None:
        """Remove the secret with all its versions; absent is not an error."""

    @abstractmethod
    def list_names(self, team: str) -> list[str]:
        """Names of the team's secrets, sorted."""

    def for_team(self, team: str) -> SecretStore:
        """A view acting with ``team``'s credential only (one build, one request).

        A backend whose server enforces per-team access (Vault) returns a view whose
        calls for any other team are refused by the server; the local store has no
        credentials to scope and returns itself.
        """
        check_names(team)
        return self
