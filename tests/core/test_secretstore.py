"""Both secret store backends honour one contract; backend specifics tested after."""

from __future__ import annotations

import logging
import shutil
import stat
import threading
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from core.config import Settings
from core.secretstore import (
    InvalidSecretName,
    SecretNotFound,
    SecretStoreError,
    secret_store_from_settings,
)
from core.secretstore.local import LocalSecretStore
from core.secretstore.vault import VaultSecretStore
from tests.core.vault_double import VaultDouble

CANARY = "canary-9f1c2e-value"


@pytest.fixture
def vault():
    with VaultDouble(mount="kv", token="t1") as double:
        yield double


@pytest.fixture(params=["vault", "local"])
def store(request: pytest.FixtureRequest, settings: Settings, tmp_path: Path):
    if request.param == "vault":
        double = request.getfixturevalue("vault")
        return secret_store_from_settings(settings.with_overrides(
            vault_addr=double.url, vault_mount="kv", vault_token="t1"))
    return secret_store_from_settings(settings.with_overrides(
        vault_addr="", state_dir=tmp_path, secret_store_key=""))


def test_versions_count_up_and_each_stays_readable(store) -> None:
    assert store.put("team-a", "NPM_KEY", "one") == 1
    assert store.put("team-a", "NPM_KEY", b"two") == 2
    assert store.get("team-a", "NPM_KEY") == b"two"
    assert store.get("team-a", "NPM_KEY", version=1) == b"one"
    assert store.versions("team-a", "NPM_KEY") == [1, 2]


def test_binary_values_round_trip(store) -> None:
    value = bytes(range(256))
    store.put("team-a", "BLOB", value)
    assert store.get("team-a", "BLOB") == value


def test_missing_secrets_and_versions(store) -> None:
    with pytest.raises(SecretNotFound):
        store.get("team-a", "NOPE")
    store.put("team-a", "X", "v")
    with pytest.raises(SecretNotFound) as err:
        store.get("team-a", "X", version=7)
    assert err.value.version == 7 and "X version 7" in str(err.value)
    with pytest.raises(SecretNotFound):
        store.versions("team-a", "NOPE")


def test_teams_are_isolated(store) -> None:
    store.put("team-a", "TOKEN", "for a")
    store.put("team-b", "OTHER", "for b")
    with pytest.raises(SecretNotFound):
        store.get("team-b", "TOKEN")
    assert store.list_names("team-a") == ["TOKEN"]
    assert store.list_names("team-b") == ["OTHER"]
    assert store.list_names("team-c") == []


def test_delete_removes_every_version(store) -> None:
    store.put("team-a", "GONE", "1")
    store.put("team-a", "GONE", "2")
    store.put("team-a", "KEPT", "k")
    store.delete("team-a", "GONE")
    store.delete("team-a", "NEVER_EXISTED")
    with pytest.raises(SecretNotFound):
        store.get("team-a", "GONE", version=1)
    assert store.list_names("team-a") == ["KEPT"]


@pytest.mark.parametrize("team,name", [("team-a", "../etc"), ("team-a", "A/B"),
                                       ("team-a", "1ABC"), ("../x", "OK"), ("a/b", "OK")])
def test_path_like_names_are_refused(store, team: str, name: str) -> None:
    with pytest.raises(InvalidSecretName):
        store.put(team, name, "v")


def test_values_stay_out_of_reprs_errors_and_logs(store, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    store.put("team-a", "CANARY", CANARY)
    assert store.get("team-a", "CANARY") == CANARY.encode()
    with pytest.raises(SecretNotFound) as err:
        store.get("team-a", "CANARY", version=9)
    texts = [repr(store), str(err.value), repr(err.value), caplog.text]
    assert not any(CANARY in text for text in texts)


# Vault specifics -------------------------------------------------------------------


def test_vault_layout_and_laziness(vault: VaultDouble) -> None:
    store = VaultSecretStore(vault.url, "kv", lambda: "t1")
    assert vault.requests == []  # nothing happens until first use
    store.put("team-a", "NPM_KEY", "text")
    store.put("team-a", "BIN", b"\xff\x00")
    assert vault.secrets["teams/team-a/NPM_KEY"]["versions"][1]["data"] == {"value": "text"}
    assert vault.secrets["teams/team-a/BIN"]["versions"][1]["data"] == {"value_b64": "/wA="}
    assert ("POST", "/v1/kv/data/teams/team-a/NPM_KEY") in vault.requests


def test_vault_reauthenticates_once_after_rotation(vault: VaultDouble) -> None:
    tokens = iter(["t1", "t2"])
    store = VaultSecretStore(vault.url, "kv", lambda: next(tokens))
    store.put("team-a", "K", "v1")
    vault.rotate_token("t2")
    assert store.put("team-a", "K", "v2") == 2  # 403, fresh token, retried
    vault.rotate_token("t3")
    with pytest.raises(SecretStoreError, match="refused"):
        VaultSecretStore(vault.url, "kv", lambda: "t2").get("team-a", "K")


def test_vault_unreachable_is_a_store_error() -> None:
    with VaultDouble() as double:
        url = double.url
    store = VaultSecretStore(url, "secret", lambda: "root-token", timeout_s=2)
    with pytest.raises(SecretStoreError, match="unreachable"):
        store.get("team-a", "K")


# Local specifics -------------------------------------------------------------------


def test_local_key_file_is_private_and_shared(settings: Settings, tmp_path: Path) -> None:
    configured = settings.with_overrides(vault_addr="", state_dir=tmp_path, secret_store_key="")
    first = secret_store_from_settings(configured)
    first.put("team-a", "K", CANARY)
    key_file = tmp_path / "secret-store.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert secret_store_from_settings(configured).get("team-a", "K") == CANARY.encode()
    on_disk = b"".join(p.read_bytes() for p in (tmp_path / "secrets").rglob("*") if p.is_file())
    assert CANARY.encode() not in on_disk


def test_local_wrong_key_and_moved_tokens_are_refused(tmp_path: Path) -> None:
    store = LocalSecretStore(tmp_path, Fernet.generate_key())
    store.put("team-a", "K", "v")
    with pytest.raises(SecretStoreError, match="cannot be decrypted"):
        LocalSecretStore(tmp_path, Fernet.generate_key()).get("team-a", "K")
    (tmp_path / "team-b").mkdir()
    shutil.copy(tmp_path / "team-a" / "K.json", tmp_path / "team-b" / "K.json")
    with pytest.raises(SecretStoreError, match="tampered"):
        store.get("team-b", "K")


def test_local_concurrent_puts_lose_no_version(tmp_path: Path) -> None:
    store = LocalSecretStore(tmp_path, Fernet.generate_key())
    got: list[int] = []
    threads = [threading.Thread(target=lambda i=i: got.append(store.put("t", "K", f"v{i}")))
               for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(got) == list(range(1, 9))
    assert store.versions("t", "K") == list(range(1, 9))
