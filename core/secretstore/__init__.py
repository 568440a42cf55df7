"""Team secret values: Vault KV v2 when configured, else a local encrypted store."""

from __future__ import annotations

from core.config import Settings
from core.secretstore.base import (
    InvalidSecretName,
    SecretAccessDenied,
    SecretNotFound,
    SecretStore,
    SecretStoreError,
    SecretStoreUnavailable,
)

__all__ = ["InvalidSecretName", "SecretAccessDenied", "SecretNotFound", "SecretStore",
           "SecretStoreError", "SecretStoreUnavailable", "secret_store_from_settings"]

KEY_FILE = "secret-store.key"


def secret_store_from_settings(settings: Settings) -> SecretStore:
    """Vault when ``vault_addr`` is set; otherwise the local store under ``state_dir``.

    The local store's key is ``secret_store_key`` or, when that is empty, a key
    file created (mode 0600) in ``state_dir``.  Nothing connects until first use.
    """
    if settings.vault_addr:
        from core.secretstore.vault import VaultSecretStore

        return VaultSecretStore.from_settings(settings)
    from core.secretstore.local import LocalSecretStore, load_or_create_key

    key = settings.secret_store_key or load_or_create_key(settings.state_dir / KEY_FILE)
    return LocalSecretStore(settings.state_dir / "secrets", key)
