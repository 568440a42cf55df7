"""A local encrypted secret store: Fernet tokens in per-secret files under state_dir.

Each version's token encrypts the value together with its team, name and version,
so a token copied into another team's file refuses to decrypt there.  Writers take
a per-team file lock, so concurrent workers never lose a version.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from core.secretstore.base import (
    SecretNotFound,
    SecretStore,
    SecretStoreError,
    as_bytes,
    check_names,
)


def load_or_create_key(path: Path) -> bytes:
    """The Fernet key in ``path``, creating it (mode 0600) when absent.

    Creation is atomic (write a temp file, then hard-link it into place), so two
    processes starting together end up sharing one key.
    """
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".key-")
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, Fernet.generate_key())
        os.close(fd)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process won; use its key
    finally:
        os.unlink(tmp)
    return path.read_bytes().strip()


class LocalSecretStore(SecretStore):
    """Secrets in ``root/<team>/<NAME>.json``, each version a Fernet token."""

    def __init__(self, root: Path, key: bytes | str) -> None:
        self.root = Path(root)
        self._fernet = Fernet(key)

    def __repr__(self) -> str:
        return f"LocalSecretStore({str(self.root)!r})"

    def _file(self, team: str, name: str) -> Path:
        return self.root / team / f"{name}.json"

    @contextmanager
    def _team_lock(self, team: str) -> Iterator[None]:
        directory = self.root / team
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(directory / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _load(self, team: str, name: str) -> dict[str, str]:
        try:
            return json.loads(self._file(team, name).read_text())["versions"]
        except FileNotFoundError:
            raise SecretNotFound(team, name) from None

    def _save(self, team: str, name: str, versions: dict[str, str]) -> None:
        path = self._file(team, name)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "w") as out:  # mkstemp files are already 0600
            json.dump({"versions": versions}, out)
        os.replace(tmp, path)

    def _seal(self, team: str, name: str, version: int, value: bytes) -> str:
        envelope = {"team": team, "name": name, "version": version,
                    "value": base64.b64encode(value).decode()}
        return self._fernet.encrypt(json.dumps(envelope).encode()).decode()

    def _open(self, team: str, name: str, version: int, token: str) -> bytes:
        try:
            envelope = json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken:
            raise SecretStoreError(
                f"secret {name} v{version} of team {team} cannot be decrypted with this key"
            ) from None
        if (envelope["team"], envelope["name"], envelope["version"]) != (team, name, version):
            raise SecretStoreError(f"secret {name} v{version} of team {team} was tampered with")
        return base64.b64decode(envelope["value"])

    def put(self, team: str, name: str, value: bytes | str) -> int:
        check_names(team, name)
        with self._team_lock(team):
            try:
                versions = self._load(team, name)
            except SecretNotFound:
                versions = {}
            version = max(map(int, versions), default=0) + 1
            versions[str(version)] = self._seal(team, name, version, as_bytes(value))
            self._save(team, name, versions)
        return version

    def get(self, team: str, name: str, version: int | None = None) -> bytes:
        check_names(team, name)
        versions = self._load(team, name)
        wanted = version if version is not None else max(map(int, versions))
        token = versions.get(str(wanted))
        if token is None:
            raise SecretNotFound(team, name, version)
        return self._open(team, name, wanted, token)

    def versions(self, team: str, name: str) -> list[int]:
        check_names(team, name)
        return sorted(map(int, self._load(team, name)))

    def delete(self, team: str, name: str) -> None:
        check_names(team, name)
        with self._team_lock(team):
            self._file(team, name).unlink(missing_ok=True)

    def list_names(self, team: str) -> list[str]:
        check_names(team)
        directory = self.root / team
        if not directory.is_dir():
            return []
        return sorted(p.stem for p in directory.glob("*.json"))
