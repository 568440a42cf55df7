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
    assert s.buildkit_addr == f"docker://{tmp_path.resolve() / 'docker' / 'docker.sock'}"
    assert s.network_mode == "host"  # Docker's daemon runs without a bridge
    assert s.registry_url == "http://127.0.0.1:5000"
    assert s.default_base_image == "127.0.0.1:5000/library/devbox:bookworm"
    assert s.dzlaunch_image.startswith("127.0.0.1:5000/library/dzlaunch:")


def test_a_standalone_buildkitd_defaults_to_its_own_network():
    s = Settings.from_env({"RB_BUILDKIT_ADDR": "unix:///run/buildkit/buildkitd.sock"})
    assert s.network_mode == "unset"


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
