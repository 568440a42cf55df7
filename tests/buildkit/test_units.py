"""Pure parts of the client: addresses, Engine API helpers, image config, protos."""

from __future__ import annotations

import base64
import filecmp
import importlib.util
import json
import subprocess

import pytest

from buildkit.engine import registry_auth
from buildkit.errors import DaemonUnreachable
from buildkit.options import ImageConfig
from buildkit.transport import Connection, parse_address
from core.config import REPO_ROOT


@pytest.mark.parametrize("text,kind,target", [
    ("docker:///var/run/docker.sock", "docker", "/var/run/docker.sock"),
    ("unix:///run/buildkit/buildkitd.sock", "unix", "/run/buildkit/buildkitd.sock"),
    ("tcp://10.0.0.5:1234", "tcp", "10.0.0.5:1234"),
])
def test_addresses_parse_by_scheme(text, kind, target):
    address = parse_address(text)
    assert (address.kind, address.target) == (kind, target)
    assert str(address) == text


@pytest.mark.parametrize("text", ["http://x", "docker://", "/var/run/docker.sock"])
def test_other_addresses_are_refused(text):
    with pytest.raises(ValueError, match="unsupported BuildKit address"):
        parse_address(text)


def test_registry_auth_is_urlsafe_base64_with_padding():
    header = registry_auth("bob", "p?>~", "127.0.0.1:5000")
    assert "+" not in header and "/" not in header and len(header) % 4 == 0
    assert json.loads(base64.urlsafe_b64decode(header)) == {
        "username": "bob", "password": "p?>~", "serveraddress": "127.0.0.1:5000"}
    assert registry_auth() == "e30="
    token = json.loads(base64.urlsafe_b64decode(registry_auth(identity_token="t", server="h")))
    assert token == {"identitytoken": "t", "serveraddress": "h"}


def test_image_config_json_holds_only_what_was_set():
    doc = json.loads(ImageConfig(env=("PATH=/bin",), cmd=()).to_json("linux", "arm64"))
    assert doc["config"] == {"Env": ["PATH=/bin"], "Cmd": []}
    assert (doc["os"], doc["architecture"]) == ("linux", "arm64")
    assert doc["rootfs"] == {"type": "layers", "diff_ids": []}


def test_docker_connection_keeps_a_private_directory_and_removes_it(tmp_path):
    conn = Connection(parse_address(f"docker://{tmp_path / 'absent.sock'}"))
    assert conn.private_dir.stat().st_mode & 0o777 == 0o700
    conn.close()
    assert not conn.private_dir.exists()


def test_a_dead_docker_socket_file_is_unreachable(tmp_path):
    import buildkit
    (tmp_path / "dead.sock").write_text("")
    with pytest.raises(DaemonUnreachable):
        buildkit.connect(f"docker://{tmp_path / 'dead.sock'}", timeout=2)


def test_generated_buildkit_protos_are_up_to_date(tmp_path):
    subprocess.run([str(REPO_ROOT / "scripts" / "gen-protos"), str(tmp_path)], check=True)
    fresh = sorted(p.name for p in (tmp_path / "buildkit" / "pb").iterdir())
    committed = REPO_ROOT / "buildkit" / "pb"
    for name in fresh:
        fresh_file = tmp_path / "buildkit" / "pb" / name
        assert filecmp.cmp(fresh_file, committed / name, shallow=False), name


def test_no_second_google_rpc_status_is_installed():
    # Ours is the only definition of google.rpc.Status; googleapis-common-protos
    # would register the same symbol and the two cannot share the descriptor pool.
    assert importlib.util.find_spec("google.rpc") is None
