"""Caps per op against a daemon's cap set, and the 4 MiB Definition budget."""

from __future__ import annotations

import json

import pytest

from llb.graph import (
    V0_8_LLB_CAPS,
    DefinitionTooLargeError,
    UnsupportedCapsError,
    check_caps,
    check_size,
    copy,
    image,
    marshal,
    mkfile,
    required_caps,
    tmpfs,
)

DOCKER_20_10 = "Docker 20.10 (BuildKit v0.8)"


def test_v0_8_cap_list_matches_the_protocol_doc():
    assert len(V0_8_LLB_CAPS) == 42
    assert {"exec.mount.secret", "source.git.mountsshsock", "soruce.http.uidgid"} <= V0_8_LLB_CAPS
    assert not {"mergeop", "diffop", "exec.meta.ulimit", "exec.mount.tmpfs.size"} & V0_8_LLB_CAPS


def test_every_reference_vector_fits_docker_20_10(shared_dir):
    from tests.llb.test_marshal_vectors import BUILDERS

    for name, build in BUILDERS.items():
        vector = json.loads((shared_dir / "vectors" / "llb" / f"{name}.json").read_text())
        check_caps(marshal(build()), V0_8_LLB_CAPS, DOCKER_20_10)
        assert all(set(md["caps"]) <= V0_8_LLB_CAPS for md in vector["metadata"].values())


def test_newer_feature_is_refused_naming_the_step_and_cap():
    st = image("busybox").run(
        ["true"], mounts=[tmpfs("/scratch", size=64 << 20)], custom_name="[build 2/5] big tmp"
    )
    definition = marshal(st.root())
    with pytest.raises(UnsupportedCapsError) as info:
        check_caps(definition, V0_8_LLB_CAPS, DOCKER_20_10)
    message = str(info.value)
    assert "Docker 20.10 (BuildKit v0.8)" in message
    assert "[build 2/5] big tmp: needs BuildKit capability 'exec.mount.tmpfs.size'" in message
    assert [m.cap for m in info.value.missing] == ["exec.mount.tmpfs.size"]
    check_caps(definition, V0_8_LLB_CAPS | {"exec.mount.tmpfs.size"})


def test_copy_patterns_need_v0_9_even_though_go_does_not_record_the_cap():
    action = copy(image("src"), "/", "/dst", include_patterns=("*.py",))
    definition = marshal(image("busybox").file(action))
    file_digest = definition.head[0]
    assert "file.copy.includepatterns" not in definition.metadata(file_digest)["caps"]
    assert "file.copy.includepatterns" in required_caps(definition)[file_digest]
    with pytest.raises(UnsupportedCapsError, match="file.copy.includepatterns"):
        check_caps(definition, V0_8_LLB_CAPS)


def test_missing_base_cap_is_reported_per_op():
    definition = marshal(image("busybox").run(["true"]).root())
    with pytest.raises(UnsupportedCapsError) as info:
        check_caps(definition, V0_8_LLB_CAPS - {"exec.meta.base", "source.image"})
    assert sorted(m.cap for m in info.value.missing) == ["exec.meta.base", "source.image"]


def test_size_budget():
    small = marshal(image("busybox").file(mkfile("/f", 0o644, b"x" * 1000)))
    assert check_size(small) == len(small.to_bytes())
    big = marshal(image("busybox").file(mkfile("/f", 0o644, b"x" * (4 << 20))))
    with pytest.raises(DefinitionTooLargeError, match="largest op"):
        check_size(big)
    assert check_size(big, limit=16 << 20) > 4 << 20
