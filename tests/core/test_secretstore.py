"""Both secret store backends honour one contract; backend specifics tested after.

The Vault backend runs against real OpenBao: the stack's server for the contract,
isolation, versions, renewal and audit tests, and a private server (same stack code)
for sealing and stopping it.  No test double is left: the server produces every case.
"""

from __future__ import annotations

import logging
import shutil
import stat
import threading
import time
import uuid
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from hvac import exceptions as vault_errors

from core.config import Settings
from core.secretstore import (
    InvalidSecretName,
    SecretAccessDenied,
    SecretNotFound,
    SecretStoreError,
    SecretStoreUnavailable,
    secret_store_from_settings,
)
from core.secretstore.local import LocalSecretStore
from core.secretstore.vault import (
    READ,
    TOKEN_ROLES,
    WRITE,
    AppRoleLogin,
    VaultSecretStore,
    team_policy_name,
)
from stack import vault_server
from tests.vaultkit import private_openbao, stack_vault

CANARY = "canary-9f1c2e-value"


@pytest.fixture
def team_a() -> str:
    # Fresh team ids: the stack's OpenBao keeps every earlier run's secrets.
    return f"t-a-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def team_b() -> str:
    return f"t-b-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def vault(settings: Settings):
    """The stack's OpenBao (its layout)."""
    return stack_vault(settings)


@pytest.fixture
def vault_store(vault) -> VaultSecretStore:
    store = secret_store_from_settings(vault.settings)
    assert isinstance(store, VaultSecretStore)
    return store


@pytest.fixture(params=["vault", "local"])
def store(request: pytest.FixtureRequest, settings: Settings, tmp_path: Path):
    if request.param == "vault":
        return request.getfixturevalue("vault_store")
    return secret_store_from_settings(settings.with_overrides(
        vault_addr="", state_dir=tmp_path, secret_store_key=""))


def test_versions_count_up_and_each_stays_readable(store, team_a) -> None:
    assert store.put(team_a, "NPM_KEY", "one") == 1
    assert store.put(team_a, "NPM_KEY", b"two") == 2
    assert store.get(team_a, "NPM_KEY") == b"two"
    assert store.get(team_a, "NPM_KEY", version=1) == b"one"
    assert store.versions(team_a, "NPM_KEY") == [1, 2]


def test_binary_values_round_trip(store, team_a) -> None:
    value = bytes(range(256))
    store.put(team_a, "BLOB", value)
    assert store.get(team_a, "BLOB") == value


def test_missing_secrets_and_versions(store, team_a) -> None:
    with pytest.raises(SecretNotFound):
        store.get(team_a, "NOPE")
    store.put(team_a, "X", "v")
    with pytest.raises(SecretNotFound) as err:
        store.get(team_a, "X", version=7)
    assert err.value.version == 7 and "X version 7" in str(err.value)
    with pytest.raises(SecretNotFound):
        store.versions(team_a, "NOPE")


def test_teams_are_isolated(store, team_a, team_b) -> None:
    store.put(team_a, "TOKEN", "for a")
    store.put(team_b, "OTHER", "for b")
    with pytest.raises(SecretNotFound):
        store.get(team_b, "TOKEN")
    assert store.list_names(team_a) == ["TOKEN"]
    assert store.list_names(team_b) == ["OTHER"]
    assert store.list_names(team_a + "-c") == []


def test_delete_removes_every_version(store, team_a) -> None:
    store.put(team_a, "GONE", "1")
    store.put(team_a, "GONE", "2")
    store.put(team_a, "KEPT", "k")
    store.delete(team_a, "GONE")
    store.delete(team_a, "NEVER_EXISTED")
    with pytest.raises(SecretNotFound):
        store.get(team_a, "GONE", version=1)
    assert store.list_names(team_a) == ["KEPT"]


@pytest.mark.parametrize("team,name", [("team-a", "../etc"), ("team-a", "A/B"),
                                       ("team-a", "1ABC"), ("../x", "OK"), ("a/b", "OK")])
def test_path_like_names_are_refused(store, team: str, name: str) -> None:
    with pytest.raises(InvalidSecretName):
        store.put(team, name, "v")


def test_values_stay_out_of_reprs_errors_and_logs(store, team_a, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    store.put(team_a, "CANARY", CANARY)
    assert store.get(team_a, "CANARY") == CANARY.encode()
    with pytest.raises(SecretNotFound) as err:
        store.get(team_a, "CANARY", version=9)
    texts = [repr(store), repr(store.for_team(team_a)), str(err.value), repr(err.value),
             caplog.text]
    assert not any(CANARY in text for text in texts)


# Vault specifics: against the stack's OpenBao ---------------------------------------


def test_vault_layout_and_laziness(vault, team_a) -> None:
    store = VaultSecretStore("http://127.0.0.1:9", "secret", build_login=None,
                             web_login=None)
    assert store.stats == {"logins": 0, "team_tokens": 0, "renewals": 0}  # nothing yet
    store = secret_store_from_settings(vault.settings)
    store.put(team_a, "NPM_KEY", "text")
    store.put(team_a, "BIN", b"\xff\x00")
    kv = vault_server.root_client(vault).secrets.kv.v2
    mount = vault.settings.vault_mount
    read = kv.read_secret_version(path=f"teams/{team_a}/NPM_KEY", mount_point=mount,
                                  raise_on_deleted_version=True)
    assert read["data"]["data"] == {"value": "text"}
    read = kv.read_secret_version(path=f"teams/{team_a}/BIN", mount_point=mount,
                                  raise_on_deleted_version=True)
    assert read["data"]["data"] == {"value_b64": "/wA="}


def test_team_tokens_carry_only_their_teams_policy(vault_store, team_a) -> None:
    vault_store.put(team_a, "K", "v")
    vault_store.get(team_a, "K")
    for access in (READ, WRITE):
        token = vault_store._teams[(team_a, access)].client
        info = token.auth.token.lookup_self()["data"]
        assert sorted(info["policies"]) == ["default", team_policy_name(team_a, access)]
        assert 0 < info["ttl"] <= vault_store.team_token_ttl_s
        assert info["meta"] == {"team": team_a, "access": access}


def test_vault_refuses_another_teams_path_with_403(vault_store, team_a, team_b) -> None:
    """Simulate the bug: a build of team A asks the store for team B's secret.  The
    request carries A's token, and Vault itself answers 403."""
    vault_store.put(team_a, "OWN", "a's")
    vault_store.put(team_b, "DEPLOY_KEY", CANARY)
    build_of_a = vault_store.for_team(team_a)
    with pytest.raises(SecretAccessDenied) as err:
        build_of_a.get(team_b, "DEPLOY_KEY")
    assert f"teams/{team_b}/DEPLOY_KEY" in str(err.value)
    assert f"scoped to team {team_a}" in str(err.value) and CANARY not in str(err.value)
    for write in (lambda: build_of_a.put(team_b, "DEPLOY_KEY", "overwritten"),
                  lambda: build_of_a.delete(team_b, "DEPLOY_KEY"),
                  lambda: build_of_a.list_names(team_b)):
        with pytest.raises(SecretAccessDenied):
            write()
    # The refusal is Vault's own: A's token on B's path, straight through hvac.
    token = vault_store._team_token(team_a, READ).client
    with pytest.raises(vault_errors.Forbidden):
        token.secrets.kv.v2.read_secret_version(
            path=f"teams/{team_b}/DEPLOY_KEY", mount_point=vault_store.mount,
            raise_on_deleted_version=True)
    assert vault_store.get(team_b, "DEPLOY_KEY") == CANARY.encode()  # B's own token: fine


def test_service_tokens_cannot_read_secrets_or_mint_other_access(vault_store,
                                                                 team_a) -> None:
    vault_store.put(team_a, "K", "v")
    build = vault_store._service(READ).client
    with pytest.raises(vault_errors.Forbidden):  # the service token itself reads nothing
        build.secrets.kv.v2.read_secret_version(path=f"teams/{team_a}/K",
                                                mount_point=vault_store.mount,
                                                raise_on_deleted_version=True)
    with pytest.raises(vault_errors.InvalidRequest):  # the read role never grants write
        build.auth.token.create(role_name=TOKEN_ROLES[READ],
                                policies=[team_policy_name(team_a, WRITE)], ttl="60s")
    with pytest.raises(vault_errors.Forbidden):  # nor may it use the write role
        build.auth.token.create(role_name=TOKEN_ROLES[WRITE],
                                policies=[team_policy_name(team_a, WRITE)], ttl="60s")
    with pytest.raises(vault_errors.Forbidden):
        build.sys.create_or_update_acl_policy(team_policy_name(team_a, READ), 'path "*" {}')


def test_policy_names_keep_teams_apart_despite_lowercasing() -> None:
    assert team_policy_name("Team-A", READ) != team_policy_name("team-a", READ)
    assert team_policy_name("team-a", READ) == "team-team-a-read"
    with pytest.raises(InvalidSecretName):
        team_policy_name("../x", READ)


def test_deleted_and_destroyed_versions_are_not_found(vault, vault_store, team_a) -> None:
    for value in ("one", "two", "three"):
        vault_store.put(team_a, "ROTATED", value)
    kv = vault_server.root_client(vault).secrets.kv.v2
    kv.delete_secret_versions(path=f"teams/{team_a}/ROTATED", versions=[1],
                              mount_point=vault_store.mount)
    kv.destroy_secret_versions(path=f"teams/{team_a}/ROTATED", versions=[2],
                               mount_point=vault_store.mount)
    for version in (1, 2):
        with pytest.raises(SecretNotFound) as err:
            vault_store.get(team_a, "ROTATED", version=version)
        assert f"ROTATED version {version}" in str(err.value)
    assert vault_store.versions(team_a, "ROTATED") == [3]
    assert vault_store.get(team_a, "ROTATED") == b"three"


def test_team_token_is_renewed_near_expiry_and_replaced_when_gone(vault, team_a) -> None:
    settings = vault.settings.with_overrides(vault_token_ttl_s=6)
    store = secret_store_from_settings(settings)
    store.put(team_a, "K", "v")
    build = store.for_team(team_a)  # held across the whole "build"
    assert build.get(team_a, "K") == b"v"
    first = store._teams[(team_a, READ)].client.token
    time.sleep(4.5)  # under a third of the lifetime left: renewed, same token
    assert build.get(team_a, "K") == b"v"
    assert store.stats["renewals"] >= 1
    assert store._teams[(team_a, READ)].client.token == first
    info = store._teams[(team_a, READ)].client.auth.token.lookup_self()["data"]
    assert info["ttl"] > 3
    # Revoked (or expired) behind the store's back: Vault's 403, a new token, success.
    vault_server.root_client(vault).auth.token.revoke(first)
    made = store.stats["team_tokens"]
    assert build.get(team_a, "K") == b"v"
    assert store.stats["team_tokens"] == made + 1
    assert store._teams[(team_a, READ)].client.token != first
    # Left to expire outright: a new one is made before use.
    second = store._teams[(team_a, READ)].client.token
    time.sleep(6.5)
    assert build.get(team_a, "K") == b"v"
    assert store._teams[(team_a, READ)].client.token != second


def test_audit_log_holds_hmacs_never_values(vault, vault_store, team_a) -> None:
    canary = f"{CANARY}-{uuid.uuid4().hex}"
    vault_store.put(team_a, "AUDITED", canary)
    assert vault_store.get(team_a, "AUDITED") == canary.encode()
    log = vault_server.audit_log(vault)
    assert stat.S_IMODE(log.stat().st_mode) & 0o077 == 0
    text = log.read_text()
    assert f"teams/{team_a}/AUDITED" in text  # the requests were audited
    assert canary not in text
    hashed = vault_server.root_client(vault).adapter.post(
        "/v1/sys/audit-hash/file", json={"input": canary})["data"]["hash"]
    assert hashed.startswith("hmac-sha256:") and hashed in text


def test_wrong_service_credentials_are_refused(vault, team_a) -> None:
    store = VaultSecretStore(vault.settings.vault_addr, vault.settings.vault_mount,
                             build_login=AppRoleLogin("nobody", "wrong"), web_login=None)
    with pytest.raises(SecretAccessDenied, match="AppRole login"):
        store.get(team_a, "K")
    with pytest.raises(SecretStoreError, match="RB_VAULT_WEB_ROLE_ID"):
        store.put(team_a, "K", "v")


# Faults: a private OpenBao of these tests ------------------------------------------


@pytest.fixture(scope="module")
def own_vault(tmp_path_factory, settings: Settings):
    with private_openbao(settings, tmp_path_factory.mktemp("openbao")) as layout:
        yield layout


def test_sealed_server_is_unavailable_until_unsealed(own_vault, team_a) -> None:
    store = secret_store_from_settings(own_vault.settings)
    store.put(team_a, "K", "v")
    vault_server.seal(own_vault)
    try:
        for call in (lambda: store.get(team_a, "K"), lambda: store.put(team_a, "K", "w"),
                     lambda: secret_store_from_settings(own_vault.settings).get(team_a, "K")):
            with pytest.raises(SecretStoreUnavailable, match="^secret store unavailable") as err:
                call()
            assert "sealed" in str(err.value)
    finally:
        vault_server.unseal(own_vault)
    assert store.get(team_a, "K") == b"v"
    assert store.versions(team_a, "K") == [1]  # the refused write left nothing


def test_stopped_server_is_unavailable_and_restart_keeps_everything(own_vault,
                                                                    team_a) -> None:
    store = secret_store_from_settings(own_vault.settings)
    store.put(team_a, "K", "kept")
    assert vault_server.down(own_vault)
    try:
        with pytest.raises(SecretStoreUnavailable, match="^secret store unavailable") as err:
            store.get(team_a, "K")
        assert "unreachable" in str(err.value)
    finally:
        assert vault_server.up(own_vault) == "started (unsealed)"
    # Persistent storage, unsealed by the stack: the value and even the cached team
    # token survive the restart.
    assert store.get(team_a, "K") == b"kept"


def test_nothing_listening_is_unavailable(free_port) -> None:
    store = VaultSecretStore(f"http://127.0.0.1:{free_port()}", "secret",
                             build_login=lambda: "any", web_login=None, timeout_s=2)
    with pytest.raises(SecretStoreUnavailable, match="unreachable"):
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
