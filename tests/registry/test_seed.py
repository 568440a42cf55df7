"""Base-image seeding through the client, with the system credential."""

from __future__ import annotations

import gzip
import json

import pytest

from registry.errors import Denied
from registry.seed import seed_rootfs, tar_digest, tar_directory


@pytest.fixture
def rootfs_tar(tmp_path):
    root = tmp_path / "rootfs"
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "hello").write_text("#!/bin/sh\necho hello\n")
    (root / "etc").mkdir()
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    return tar_directory(root, tmp_path / "rootfs.tar")


def uploads_counter(client):
    posts = []
    client.transport.session.hooks["response"].append(
        lambda r, *a, **k: posts.append(r.url) if r.request.method == "POST" else None
    )
    return posts


def test_seed_pushes_a_pullable_single_layer_image(token_registry, rootfs_tar):
    with token_registry.client(token_registry.system()) as system:
        result = seed_rootfs(system, "library/seedtest", "latest", rootfs_tar, {"Cmd": ["/bin/sh"]})
    assert not result.skipped
    with token_registry.client(token_registry.team("acme")) as acme:
        manifest = acme.get_manifest("library/seedtest", "latest")
        assert manifest.digest == result.digest
        config_digest, layer_digest = manifest.blobs()
        config = json.loads(acme.get_blob("library/seedtest", config_digest))
        layer = gzip.decompress(acme.get_blob("library/seedtest", layer_digest))
    assert layer == rootfs_tar.read_bytes()
    assert config["rootfs"]["diff_ids"] == [tar_digest(rootfs_tar)]
    assert config["config"] == {"Cmd": ["/bin/sh"]}


def test_seeding_again_uploads_nothing(token_registry, rootfs_tar):
    with token_registry.client(token_registry.system()) as system:
        first = seed_rootfs(system, "library/idem", "v1", rootfs_tar)
        posts = uploads_counter(system)
        again = seed_rootfs(system, "library/idem", "v1", rootfs_tar)
    assert again.skipped and again.digest == first.digest
    assert posts == []


def test_changed_content_or_config_is_pushed_again(token_registry, rootfs_tar, tmp_path):
    with token_registry.client(token_registry.system()) as system:
        first = seed_rootfs(system, "library/changing", "v1", rootfs_tar)
        new_config = seed_rootfs(system, "library/changing", "v1", rootfs_tar, {"User": "1000"})
        assert not new_config.skipped and new_config.digest != first.digest
        other = tmp_path / "other"
        other.mkdir()
        (other / "file").write_text("different")
        changed = seed_rootfs(
            system, "library/changing", "v1", tar_directory(other, tmp_path / "o.tar")
        )
    assert not changed.skipped and changed.digest not in (first.digest, new_config.digest)


def test_a_team_cannot_seed_library(token_registry, rootfs_tar):
    with token_registry.client(token_registry.team("acme")) as acme:
        with pytest.raises(Denied):
            seed_rootfs(acme, "library/evil", "latest", rootfs_tar)
