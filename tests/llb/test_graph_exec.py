"""Exec ops beyond the vectors: mount order, outputs, inputs and caps per mount type."""

from __future__ import annotations

import pytest

from llb.graph import (
    GraphError,
    bind,
    cache_mount,
    image,
    marshal,
    mkdir,
    scratch,
    secret_mount,
    ssh_mount,
    tmpfs,
)
from llb.pb import ops_pb2 as pb


def _exec(state):
    definition = marshal(state)
    digest = definition.head[0]
    return definition, definition.op(digest), set(definition.metadata(digest)["caps"])


def test_mounts_sorted_by_dest_then_secrets_in_given_order():
    data = scratch().file(mkdir("/d", 0o755))
    es = image("busybox").run(
        ["true"],
        mounts=[
            secret_mount("/run/s/z", "z"),
            bind("/work", data),
            cache_mount("/cache", "c"),
            secret_mount("/run/s/a", "a"),
            tmpfs("/tmp"),
        ],
    )
    _, op, caps = _exec(es.root())
    dests = [m.dest for m in op.exec.mounts]
    assert dests == ["/", "/cache", "/tmp", "/work", "/run/s/z", "/run/s/a"]
    outputs = {m.dest: m.output for m in op.exec.mounts}
    assert outputs == {"/": 0, "/cache": -1, "/tmp": -1, "/work": 1, "/run/s/z": 0, "/run/s/a": 0}
    assert caps == {
        "exec.meta.base", "exec.mount.bind", "exec.mount.cache", "exec.mount.cache.sharing",
        "exec.mount.tmpfs", "exec.mount.secret",
    }  # fmt: skip


def test_tmpfs_writes_an_empty_size_option_and_size_needs_its_cap():
    _, op, caps = _exec(image("busybox").run(["true"], mounts=[tmpfs("/tmp")]).root())
    mount = op.exec.mounts[1]
    assert mount.mountType == pb.TMPFS and mount.HasField("TmpfsOpt") and mount.input == -1
    assert "exec.mount.tmpfs.size" not in caps
    _, op, caps = _exec(image("busybox").run(["true"], mounts=[tmpfs("/tmp", size=1 << 20)]).root())
    assert op.exec.mounts[1].TmpfsOpt.size == 1 << 20 and "exec.mount.tmpfs.size" in caps


def test_mount_output_feeds_the_next_op_with_its_output_index():
    data = scratch().file(mkdir("/d", 0o755))
    es = image("busybox").run(["touch", "/out/x"], mounts=[bind("/out", data)])
    result = es.mount_output("/out").file(mkdir("/more", 0o755))
    definition = marshal(result)
    file_op = definition.op(definition.head[0])
    assert file_op.inputs[0].digest == definition.digests[-3]  # the exec
    assert file_op.inputs[0].index == 1  # "/" is output 0, "/out" output 1


def test_readonly_bind_has_no_output_and_mount_output_is_its_source():
    data = scratch().file(mkdir("/d", 0o755))
    es = image("busybox").run(["ls"], mounts=[bind("/data", data, readonly=True, selector="/d")])
    _, op, caps = _exec(es.root())
    mount = op.exec.mounts[1]
    assert mount.readonly and mount.output == -1 and mount.selector == "/d"
    assert {"exec.mount.bind", "exec.mount.selector"} <= caps
    assert es.mount_output("/data").output == data.output
    with pytest.raises(GraphError):
        es.mount_output("/nowhere")


def test_same_state_mounted_twice_is_one_input():
    base = image("busybox")
    _, op, _ = _exec(base.run(["true"], mounts=[bind("/again", base, readonly=True)]).root())
    assert len(op.inputs) == 1 and [m.input for m in op.exec.mounts] == [0, 0]


def test_exec_on_scratch_has_no_input_and_no_bind_cap():
    _, op, caps = _exec(scratch().run(["/bin/true"]).root())
    assert len(op.inputs) == 0 and op.exec.mounts[0].input == -1
    assert caps == {"exec.meta.base"}


def test_ssh_mount_sets_default_target_and_ssh_auth_sock():
    _, op, caps = _exec(image("busybox").run(["ssh-add", "-l"], mounts=[ssh_mount()]).root())
    assert op.exec.mounts[1].dest == "/run/buildkit/ssh_agent.0"
    assert op.exec.mounts[1].SSHOpt.mode == 0o600
    assert "SSH_AUTH_SOCK=/run/buildkit/ssh_agent.0" in op.exec.meta.env
    assert "exec.mount.ssh" in caps


def test_security_insecure_and_network_none_add_caps():
    es = image("busybox").run(["true"], security="insecure", network="none", hostname="box")
    _, op, caps = _exec(es.root())
    assert op.exec.security == pb.INSECURE and op.exec.network == pb.NONE
    assert op.exec.meta.hostname == "box"
    assert {"exec.meta.security", "exec.meta.network"} <= caps


def test_cache_mount_sharing_names():
    for name, value in (("shared", pb.SHARED), ("private", pb.PRIVATE), ("locked", pb.LOCKED)):
        es = image("busybox").run(["true"], mounts=[cache_mount("/c", "id", name)])
        _, op, _ = _exec(es.root())
        assert op.exec.mounts[1].cacheOpt.sharing == value
