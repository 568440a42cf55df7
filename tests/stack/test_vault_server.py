"""The stack's OpenBao: persistent, initialised once, unsealed by ``up``, provisioned
with KV v2, a file audit device, the services' AppRoles and token roles."""

from __future__ import annotations

import stat
from pathlib import Path

import hvac
import pytest
from hvac import exceptions as vault_errors

from core.config import (
    VAULT_BUILD_ROLE_ID,
    VAULT_BUILD_SECRET_ID,
    VAULT_WEB_ROLE_ID,
    VAULT_WEB_SECRET_ID,
)
from core.secretstore.vault import READ, SERVICE_POLICIES, TOKEN_ROLES, WRITE, service_policy
from stack import procs, vault_server
from tests.vaultkit import private_openbao, stack_vault


@pytest.fixture
def vault(settings):
    return stack_vault(settings)


def test_keys_and_credentials_are_private_files(vault):
    secrets = vault.root / "secrets"
    for name in (vault_server.UNSEAL_KEY, vault_server.ROOT_TOKEN, VAULT_WEB_ROLE_ID,
                 VAULT_WEB_SECRET_ID, VAULT_BUILD_ROLE_ID, VAULT_BUILD_SECRET_ID):
        mode = stat.S_IMODE((secrets / name).stat().st_mode)
        assert mode == 0o600, (name, oct(mode))
    assert stat.S_IMODE(vault_server.vault_dir(vault).stat().st_mode) == 0o700


def test_up_again_reuses_the_running_server(vault):
    pid = procs.read_pid(vault.run(vault_server.NAME))
    assert vault_server.up(vault) in {"running", "reused"}
    assert procs.read_pid(vault.run(vault_server.NAME)) == pid
    assert vault_server.status(vault).ok


def test_server_is_persistent_with_kv2_and_a_file_audit_device(vault):
    root = vault_server.root_client(vault)
    config = (vault_server.vault_dir(vault) / "config.hcl").read_text()
    assert 'storage "raft"' in config and "tls_disable = true" in config
    pid = procs.read_pid(vault.run(vault_server.NAME))
    if pid is not None:  # ours: a configured server, not -dev (in-memory, auto-unsealed)
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        assert b"server" in argv and not any(a.startswith(b"-dev") for a in argv)
    mount = root.sys.list_mounted_secrets_engines()["data"][vault.settings.vault_mount + "/"]
    assert mount["type"] == "kv" and mount["options"]["version"] == "2"
    devices = root.sys.list_enabled_audit_devices()["data"]
    assert devices["file/"]["options"]["file_path"] == str(vault_server.audit_log(vault))


def test_services_log_in_with_their_own_approle_and_policy(vault):
    settings = vault.settings
    for access, (role_id, secret_id) in {
            READ: (settings.vault_build_role_id, settings.vault_build_secret_id),
            WRITE: (settings.vault_web_role_id, settings.vault_web_secret_id)}.items():
        client = hvac.Client(url=settings.vault_addr)
        auth = client.auth.approle.login(role_id, secret_id)["auth"]
        assert sorted(auth["token_policies"]) == ["default", SERVICE_POLICIES[access]]
        client.token = auth["client_token"]
        root = vault_server.root_client(vault)
        assert root.sys.read_acl_policy(SERVICE_POLICIES[access])["data"]["policy"] == \
            service_policy(access)
        role = root.auth.token.read_role(TOKEN_ROLES[access])["data"]
        assert role["allowed_policies_glob"] == [f"team-*-{access}"]
        assert role["allowed_policies"] == [] and role["orphan"] is False
        client.auth.token.revoke_self()
    with pytest.raises(vault_errors.InvalidRequest):
        hvac.Client(url=settings.vault_addr).auth.approle.login(
            settings.vault_build_role_id, settings.vault_web_secret_id)


def test_restart_unseals_and_keeps_data_and_a_new_secret_id_replaces_the_old(
        tmp_path, settings):
    with private_openbao(settings, tmp_path) as layout:
        root = vault_server.root_client(layout)
        root.secrets.kv.v2.create_or_update_secret(path="teams/t/K", secret={"value": "v"},
                                                   mount_point=settings.vault_mount)
        assert vault_server.down(layout)
        assert not vault_server.status(layout).ok
        assert vault_server.up(layout) == "started (unsealed)"
        read = root.secrets.kv.v2.read_secret_version(path="teams/t/K",
                                                      mount_point=settings.vault_mount,
                                                      raise_on_deleted_version=True)
        assert read["data"]["data"] == {"value": "v"}
        # Sealed while running: `up` unseals it in place.
        vault_server.seal(layout)
        assert "sealed" in vault_server.status(layout).detail
        assert vault_server.up(layout) == "running (unsealed)"
        # Rotating the build worker's secret id: the old one stops working.
        rotated = layout.settings.with_overrides(vault_build_secret_id="rotated-secret-id")
        vault_server.provision(rotated, (layout.root / "secrets" /
                                         vault_server.ROOT_TOKEN).read_text().strip())
        client = hvac.Client(url=layout.settings.vault_addr)
        assert client.auth.approle.login(settings.vault_build_role_id, "rotated-secret-id")
        with pytest.raises(vault_errors.InvalidRequest):
            client.auth.approle.login(settings.vault_build_role_id,
                                      settings.vault_build_secret_id)
    assert not vault_server.status(layout).ok  # down stopped it


def test_empty_address_means_no_vault(settings, tmp_path):
    from stack.layout import Layout

    layout = Layout(settings.with_overrides(vault_addr="", state_dir=tmp_path))
    assert vault_server.up(layout).startswith("not used")
    assert vault_server.status(layout).ok
