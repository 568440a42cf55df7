"""Settings come from RB_* variables with working defaults, and every one is documented."""

from __future__ import annotations

import dataclasses

import pytest

from core.config import REPO_ROOT, Settings

FIELDS = [f.name for f in dataclasses.fields(Settings)]


def test_defaults_work_with_the_repo_started_services(tmp_path):
    s = Settings.from_env({"RB_STATE_DIR": str(tmp_path)})
    assert s.state_dir == tmp_path.resolve()
    assert s.database_url == f"sqlite:///{tmp_path.resolve() / 'recipe-builder.db'}"
    assert s.buildkit_addr == f"unix://{tmp_path.resolve() / 'buildkitd' / 'buildkitd.sock'}"
    assert s.network_mode == "unset"  # the stack's buildkitd isolates steps on its bridge
    assert s.unisolated_engine_refusal() is None
    assert s.registry_url == "http://127.0.0.1:5000"
    assert s.default_base_image == "127.0.0.1:5000/library/devbox:bookworm"
    assert s.dzlaunch_image.startswith("127.0.0.1:5000/library/dzlaunch:")


def test_docker_engine_defaults_to_host_network_and_is_refused_for_teams():
    s = Settings.from_env({"RB_BUILDKIT_ADDR": "docker:///run/docker.sock"})
    assert s.network_mode == "host"  # Docker's daemon runs without a bridge
    assert "RB_ALLOW_UNISOLATED_ENGINE" in s.unisolated_engine_refusal()
    allowed = Settings.from_env({"RB_BUILDKIT_ADDR": "docker:///run/docker.sock",
                                 "RB_ALLOW_UNISOLATED_ENGINE": "true"})
    assert allowed.unisolated_engine_refusal() is None


def test_host_network_on_buildkitd_is_refused_for_teams(tmp_path):
    s = Settings.from_env({"RB_STATE_DIR": str(tmp_path), "RB_NETWORK_MODE": "host"})
    assert "RB_NETWORK_MODE=host" in s.unisolated_engine_refusal()


def test_control_plane_passwords_are_generated_once_and_private(tmp_path):
    first = Settings.from_env({"RB_STATE_DIR": str(tmp_path)})
    again = Settings.from_env({"RB_STATE_DIR": str(tmp_path)})
    assert first.redis_url == again.redis_url and first.postgres_url == again.postgres_url
    redis_password = (tmp_path / "secrets" / "redis-app").read_text().strip()
    assert first.redis_url == f"redis://app:{redis_password}@127.0.0.1:6379/0"
    assert len(redis_password) >= 24
    assert (tmp_path / "secrets" / "redis-app").stat().st_mode & 0o077 == 0
    other = Settings.from_env({"RB_STATE_DIR": str(tmp_path / "elsewhere")})
    assert other.redis_url != first.redis_url  # each stack its own password


def test_the_stacks_openbao_is_the_default_secret_store(tmp_path):
    s = Settings.from_env({"RB_STATE_DIR": str(tmp_path)})
    assert s.vault_addr == "http://127.0.0.1:8200" and s.vault_mount == "secret"
    assert s.vault_token == "" and s.vault_token_ttl_s == 300
    for value, name in ((s.vault_web_role_id, "vault-web-role-id"),
                        (s.vault_web_secret_id, "vault-web-secret-id"),
                        (s.vault_build_role_id, "vault-build-role-id"),
                        (s.vault_build_secret_id, "vault-build-secret-id")):
        path = tmp_path / "secrets" / name
        assert value == path.read_text().strip() and len(value) >= 24
        assert path.stat().st_mode & 0o077 == 0
    assert len({s.vault_web_secret_id, s.vault_build_secret_id}) == 2
    local = Settings.from_env({"RB_STATE_DIR": str(tmp_path), "RB_VAULT_ADDR": ""})
    assert local.vault_addr == ""  # empty selects the local encrypted store


def test_derived_values_follow_what_they_derive_from():
    s = Settings.from_env({"RB_REGISTRY": "reg.internal:5443", "RB_WEB_PORT": "9000"})
    assert s.registry_url == "http://reg.internal:5443"
    assert s.public_url == "http://127.0.0.1:9000"
    assert s.default_base_image == "reg.internal:5443/library/devbox:bookworm"


def test_env_round_trip():
    s = Settings.from_env({"RB_LOG_CAP_BYTES": "1024", "RB_DEBUG": "yes"})
    assert (s.log_cap_bytes, s.debug) == (1024, True)
    assert Settings.from_env(s.as_env()) == s


def test_bad_numbers_are_refused():
    with pytest.raises(ValueError):
        Settings.from_env({"RB_WEB_PORT": "eighty"})
    for level in ("10", "-1", "fast"):
        with pytest.raises(ValueError, match="RB_LAYER_COMPRESSION_LEVEL"):
            Settings.from_env({"RB_LAYER_COMPRESSION_LEVEL": level})


def test_layer_compression_is_gzip_unless_asked_and_checked_at_start():
    assert Settings.from_env({}).layer_compression == "gzip"
    assert Settings.from_env({"RB_LAYER_COMPRESSION": "zstd"}).layer_compression == "zstd"
    with pytest.raises(ValueError, match="RB_LAYER_COMPRESSION must be one of"):
        Settings.from_env({"RB_LAYER_COMPRESSION": "lz4"})


def test_layer_compression_level_defaults_to_the_fastest_gzip():
    assert Settings.from_env({}).compression_level == 1
    assert Settings.from_env({"RB_LAYER_COMPRESSION_LEVEL": "default"}).compression_level is None
    assert Settings.from_env({"RB_LAYER_COMPRESSION_LEVEL": "6"}).compression_level == 6


@pytest.mark.parametrize("doc", [".env.example", "README.md"])
def test_every_setting_is_documented(doc):
    text = (REPO_ROOT / doc).read_text()
    missing = [f"RB_{name.upper()}" for name in FIELDS if f"RB_{name.upper()}" not in text]
    assert missing == [], f"{doc} does not mention {missing}"


def test_no_module_but_config_reads_rb_variables():
    readers = []
    for path in REPO_ROOT.glob("*/**/*.py"):
        if ".venv" in path.parts or path.parts[len(REPO_ROOT.parts)] in {"tests", "bench"}:
            continue
        text = path.read_text()
        reads = ('environ.get("RB_', 'environ["RB_', 'getenv("RB_')
        if any(r in text for r in reads) and path != REPO_ROOT / "core" / "config.py":
            readers.append(str(path.relative_to(REPO_ROOT)))
    assert readers == [], f"settings read outside core/config.py: {readers}"
