"""Team robot credentials for the registry: created per team, stored hashed, rotatable.

The secret is returned once by :meth:`RobotCredentials.create` / ``rotate`` and only its
scrypt hash is kept, in a small SQLite file under the state directory.  The interface is
deliberately tiny (``verify``, ``create``, ``rotate``) so another backend (the app's
database) can take its place behind the token service.

The system credential (seeding, administration) is not stored here: its secret lives in
a mode-0600 file because the seeding process must read it back.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Protocol

from registry.naming import InvalidName, validate_team
from registry.tokens import Principal

ROBOT_SUFFIX = "+robot"
# 16 MiB of memory per check; the secrets are random 256-bit strings, so this is
# defence in depth rather than what stops guessing.
SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


class Authenticator(Protocol):
    """What the token service needs: credentials in, principal (or ``None``) out."""

    def verify(self, username: str, password: str) -> Principal | None:
        """The principal these credentials authenticate as, or None when they do not."""
        ...


class CredentialExists(ValueError):
    """``create`` was called for a team that already has a robot credential."""


def robot_username(team: str) -> str:
    """The registry user name of a team's robot, e.g. ``acme+robot``."""
    return validate_team(team) + ROBOT_SUFFIX


def _hash(secret: str, salt: bytes) -> bytes:
    return hashlib.scrypt(secret.encode(), salt=salt, **SCRYPT)


class RobotCredentials:
    """Team robot credentials kept as salted scrypt hashes in a SQLite file.

    Args:
        path: the database file (created with its table on first use).

    Example:
        >>> store = RobotCredentials(state_dir / "registry" / "credentials.sqlite")
        >>> username, secret = store.create("acme")   # show the secret once
        >>> store.verify(username, secret).team
        'acme'
    """

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db, db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS robots (team TEXT PRIMARY KEY, salt BLOB NOT NULL,"
                " hash BLOB NOT NULL, rotated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
            )

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def create(self, team: str) -> tuple[str, str]:
        """Make the team's robot credential.

        Returns:
            ``(username, secret)``; the secret is not recoverable afterwards.

        Raises:
            CredentialExists: the team already has one (use :meth:`rotate`).
            InvalidName: the team slug is invalid or reserved.
        """
        username = robot_username(team)
        secret, salt = secrets.token_urlsafe(32), os.urandom(16)
        try:
            with closing(self._connect()) as db, db:
                db.execute(
                    "INSERT INTO robots (team, salt, hash) VALUES (?, ?, ?)",
                    (team, salt, _hash(secret, salt)),
                )
        except sqlite3.IntegrityError:
            raise CredentialExists(f"team {team!r} already has a registry credential") from None
        return username, secret

    def rotate(self, team: str) -> tuple[str, str]:
        """Replace the team's secret.

        Replace the team's secret (creating the credential if missing); the old one stops
        working at once.  Tokens already issued stay valid until they expire.
        """
        username = robot_username(team)
        secret, salt = secrets.token_urlsafe(32), os.urandom(16)
        with closing(self._connect()) as db, db:
            db.execute(
                "INSERT INTO robots (team, salt, hash) VALUES (?, ?, ?) ON CONFLICT(team)"
                " DO UPDATE SET salt = excluded.salt, hash = excluded.hash,"
                " rotated_at = CURRENT_TIMESTAMP",
                (team, salt, _hash(secret, salt)),
            )
        return username, secret

    def verify(self, username: str, password: str) -> Principal | None:
        """Return the team's principal when ``password`` is its current secret."""
        if not username.endswith(ROBOT_SUFFIX):
            return None
        team = username[: -len(ROBOT_SUFFIX)]
        with closing(self._connect()) as db:
            row = db.execute("SELECT salt, hash FROM robots WHERE team = ?", (team,)).fetchone()
        if row is None or not hmac.compare_digest(_hash(password, row[0]), row[1]):
            return None
        return Principal(subject=username, team=team)


def _random_secret_file(path: Path) -> str:
    """The secret in ``path``, first writing a random one (mode 0600) if it is absent.

    ``O_EXCL`` makes concurrent first users (token service, workers) agree on one secret.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


class SystemCredential:
    """The all-powerful seeding credential; its secret sits in a mode-0600 file.

    Args:
        path: the secret file, created with a random secret when absent.
        username: the system user name (``RegistrySettings.system_user``).
    """

    def __init__(self, path: Path, username: str):
        self.username = username
        self.secret = _random_secret_file(path)

    def verify(self, username: str, password: str) -> Principal | None:
        """The system principal for the system user's secret, else None."""
        if username == self.username and hmac.compare_digest(
            password.encode(), self.secret.encode()
        ):
            return Principal(subject=username, is_system=True)
        return None


WORKER_SUFFIX = "+builder"


class WorkerCredentials:
    """Per-team credentials the build workers derive when they need them.

    The secret is an HMAC of the team's slug under a key only the token service and the
    workers hold (a mode-0600 file), so nothing is stored per team, a user rotating the
    team's robot never breaks a build in flight, and a worker acting for one team holds
    a credential that is worth nothing for another. Grants are those of the team's robot.

    Args:
        path: the key file, created with a random key when absent.
    """

    def __init__(self, path: Path):
        self._key = _random_secret_file(path).encode()

    def __repr__(self) -> str:
        return "WorkerCredentials(key='***')"

    def _secret(self, team: str) -> str:
        return hmac.new(self._key, team.encode(), "sha256").hexdigest()

    def for_team(self, team: str) -> tuple[str, str]:
        """``(username, secret)`` with which a build worker acts for ``team``."""
        validate_team(team)
        return team + WORKER_SUFFIX, self._secret(team)

    def verify(self, username: str, password: str) -> Principal | None:
        """The team's worker principal for a valid derived worker secret, else None."""
        if not username.endswith(WORKER_SUFFIX):
            return None
        try:
            team = validate_team(username[: -len(WORKER_SUFFIX)])
        except InvalidName:
            return None
        if not hmac.compare_digest(password.encode(), self._secret(team).encode()):
            return None
        return Principal(subject=username, team=team)


class ChainedAuthenticator:
    """Tries each authenticator in order; the first principal wins."""

    def __init__(self, *authenticators: Authenticator):
        self.authenticators = authenticators

    def verify(self, username: str, password: str) -> Principal | None:
        """The first principal any authenticator grants, else None."""
        for authenticator in self.authenticators:
            principal = authenticator.verify(username, password)
            if principal is not None:
                return principal
        return None


SYSTEM_SECRET_FILE = "system-secret"
ROBOTS_FILE = "credentials.sqlite"


def system_credential(directory: Path, username: str) -> SystemCredential:
    """The system credential of the registry whose state is in ``directory``."""
    return SystemCredential(directory / SYSTEM_SECRET_FILE, username)


def robot_store(directory: Path) -> RobotCredentials:
    """The team robot credentials of the registry whose state is in ``directory``."""
    return RobotCredentials(directory / ROBOTS_FILE)


WORKER_KEY_FILE = "worker-key"


def worker_credentials(directory: Path) -> WorkerCredentials:
    """The build workers' per-team credentials of the registry in ``directory``."""
    return WorkerCredentials(directory / WORKER_KEY_FILE)


def default_authenticator(directory: Path, system_user: str) -> ChainedAuthenticator:
    """System credential, team robots, then build workers: what the token service checks.

    Args:
        directory: ``RegistrySettings.state_dir``.
        system_user: ``RegistrySettings.system_user``.
    """
    return ChainedAuthenticator(system_credential(directory, system_user), robot_store(directory),
                                worker_credentials(directory))
