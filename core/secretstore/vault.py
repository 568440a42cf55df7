"""Team secrets in HashiCorp Vault's KV v2 engine, through hvac.

Secret ``NAME`` of team ``T`` lives at ``teams/T/NAME`` under the configured
mount, as ``{"value": <text>}`` (or ``{"value_b64": …}`` for non-UTF-8 bytes) so
it stays readable in Vault's own UI.  The hvac client is made on first use, and a
403/401 (token expired or rotated) re-authenticates once with a fresh token from
``token_provider`` before giving up.  hvac's errors are translated here: callers
see only :mod:`core.secretstore.base` errors, which never contain values.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import hvac
from hvac import exceptions as vault_errors

from core.config import Settings
from core.secretstore.base import (
    SecretNotFound,
    SecretStore,
    SecretStoreError,
    as_bytes,
    check_names,
)

T = TypeVar("T")
_AUTH_ERRORS = (vault_errors.Forbidden, vault_errors.Unauthorized)


class VaultSecretStore(SecretStore):
    """KV v2 backend.

    Args:
        addr: Vault's address, e.g. ``http://127.0.0.1:8200``.
        mount: The KV v2 mount point (``secret`` by default in Vault dev servers).
        token_provider: Returns a current token; called at first use and again
            after an authentication failure.
        timeout_s: Per-request timeout.
    """

    def __init__(self, addr: str, mount: str, token_provider: Callable[[], str],
                 *, timeout_s: float = 10.0) -> None:
        self.addr = addr
        self.mount = mount
        self._token_provider = token_provider
        self._timeout_s = timeout_s
        self._client: hvac.Client | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> VaultSecretStore:
        return cls(settings.vault_addr, settings.vault_mount, lambda: settings.vault_token)

    def __repr__(self) -> str:
        return f"VaultSecretStore(addr={self.addr!r}, mount={self.mount!r})"

    # Client and error handling ----------------------------------------------------

    def _get_client(self, fresh: bool = False) -> hvac.Client:
        with self._lock:
            if self._client is None or fresh:
                self._client = hvac.Client(url=self.addr, token=self._token_provider(),
                                           timeout=self._timeout_s)
            return self._client

    def _call(self, operation: Callable[[Any], T]) -> T:
        """Run ``operation(kv_v2)``, re-authenticating once on 401/403."""
        try:
            try:
                return operation(self._get_client().secrets.kv.v2)
            except _AUTH_ERRORS:
                return operation(self._get_client(fresh=True).secrets.kv.v2)
        except vault_errors.InvalidPath:
            raise
        except _AUTH_ERRORS:
            raise SecretStoreError(f"Vault at {self.addr} refused our token") from None
        except vault_errors.VaultError as exc:
            raise SecretStoreError(f"Vault error: {type(exc).__name__}") from None
        except OSError as exc:  # requests' connection errors derive from OSError
            raise SecretStoreError(f"Vault at {self.addr} is unreachable: {exc}") from None

    @staticmethod
    def _path(team: str, name: str | None = None) -> str:
        return f"teams/{team}" if name is None else f"teams/{team}/{name}"

    # SecretStore ------------------------------------------------------------------

    def put(self, team: str, name: str, value: bytes | str) -> int:
        check_names(team, name)
        raw = as_bytes(value)
        try:
            document = {"value": raw.decode("utf-8")}
        except UnicodeDecodeError:
            document = {"value_b64": base64.b64encode(raw).decode()}
        reply = self._call(lambda kv: kv.create_or_update_secret(
            path=self._path(team, name), secret=document, mount_point=self.mount))
        return int(reply["data"]["version"])

    def get(self, team: str, name: str, version: int | None = None) -> bytes:
        check_names(team, name)
        try:
            reply = self._call(lambda kv: kv.read_secret_version(
                path=self._path(team, name), version=version, mount_point=self.mount,
                raise_on_deleted_version=True))
        except vault_errors.InvalidPath:
            raise SecretNotFound(team, name, version) from None
        document = reply["data"]["data"] or {}
        if "value_b64" in document:
            return base64.b64decode(document["value_b64"])
        if "value" in document:
            return as_bytes(document["value"])
        raise SecretStoreError(f"secret {name} of team {team} has no value field")

    def versions(self, team: str, name: str) -> list[int]:
        check_names(team, name)
        try:
            reply = self._call(lambda kv: kv.read_secret_metadata(
                path=self._path(team, name), mount_point=self.mount))
        except vault_errors.InvalidPath:
            raise SecretNotFound(team, name) from None
        live = [int(number) for number, meta in reply["data"]["versions"].items()
                if not meta.get("deletion_time") and not meta.get("destroyed")]
        if not live:
            raise SecretNotFound(team, name)
        return sorted(live)

    def delete(self, team: str, name: str) -> None:
        check_names(team, name)
        try:
            self._call(lambda kv: kv.delete_metadata_and_all_versions(
                path=self._path(team, name), mount_point=self.mount))
        except vault_errors.InvalidPath:
            pass

    def list_names(self, team: str) -> list[str]:
        check_names(team)
        try:
            reply = self._call(lambda kv: kv.list_secrets(path=self._path(team),
                                                          mount_point=self.mount))
        except vault_errors.InvalidPath:
            return []
        return sorted(key for key in reply["data"]["keys"] if not key.endswith("/"))
