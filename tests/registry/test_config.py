"""The generated docker-registry configuration."""

from __future__ import annotations

import yaml

from pipeline.registry_settings import registry_settings
from registry.config import config_for, render_registry_config, write_registry_config
from registry.keys import bundle_kids, ensure_signing_key
from registry.wiring import authenticator_for, robot_credentials, system_credentials


def test_config_points_token_auth_at_our_realm_and_bundle(settings, tmp_path):
    conf = settings.with_overrides(
        state_dir=tmp_path,
        registry="127.0.0.1:5999",
        registry_realm="http://127.0.0.1:8999/v2/token",
    )
    document = yaml.safe_load(write_registry_config(registry_settings(conf)).read_text())
    token = document["auth"]["token"]
    assert token == {
        "realm": "http://127.0.0.1:8999/v2/token",
        "service": conf.registry_service,
        "issuer": conf.registry_issuer,
        "rootcertbundle": str(tmp_path / "registry" / "token-rootcerts.pem"),
    }
    key = ensure_signing_key(tmp_path / "registry")
    assert bundle_kids(tmp_path / "registry" / "token-rootcerts.pem") == {key.kid}
    assert document["http"]["addr"] == "127.0.0.1:5999"
    assert document["storage"]["delete"] == {"enabled": True}
    assert document["storage"]["filesystem"]["rootdirectory"] == str(
        tmp_path / "registry" / "storage"
    )


def test_http_secret_and_key_survive_rewrites(settings, tmp_path):
    conf = settings.with_overrides(state_dir=tmp_path)
    first = config_for(registry_settings(conf))
    second = config_for(registry_settings(conf))
    assert first == second  # same secret, same bundle: upload sessions survive restarts
    assert len(first.http_secret) == 64
    assert render_registry_config(first) == render_registry_config(second)


def test_wiring_shares_one_state_directory(settings, tmp_path):
    conf = settings.with_overrides(state_dir=tmp_path)
    username, secret = robot_credentials(registry_settings(conf)).create("acme")
    system = system_credentials(registry_settings(conf))
    authenticator = authenticator_for(registry_settings(conf))
    assert authenticator.verify(username, secret).team == "acme"
    assert authenticator.verify(system.username, system.password).is_system
    assert (tmp_path / "registry" / "system-secret").exists()
