"""File op chains: input numbering, path resolution, owners and scratch."""

from __future__ import annotations

import pytest

from llb.graph import GraphError, copy, image, marshal, mkdir, mkfile, rm, scratch


def _file(state):
    definition = marshal(state)
    return definition, definition.op(definition.head[0])


def test_chained_actions_reference_earlier_results_and_only_the_last_is_an_output():
    src_a = image("a")
    src_b = image("b")
    chain = copy(src_a, "/x", "/x").mkdir("/y", 0o700).copy(src_b, "/z", "/z").rm("/tmp/junk")
    definition, op = _file(image("base").file(chain))
    actions = op.file.actions
    assert [(a.input, a.secondaryInput, a.output) for a in actions] == [
        (0, 1, -1),
        (3, -1, -1),  # 3 inputs + result of action 0
        (4, 2, -1),
        (5, -1, 0),
    ]
    # Op inputs follow first use; the walk visits base, then copy sources last-first.
    identifiers = [definition.op(d).source.identifier for d in definition.digests[:3]]
    assert identifiers == [
        "docker-image://docker.io/library/base:latest",
        "docker-image://docker.io/library/b:latest",
        "docker-image://docker.io/library/a:latest",
    ]
    assert [i.digest for i in op.inputs] == [definition.digests[i] for i in (0, 2, 1)]


def test_relative_paths_resolve_against_each_states_cwd():
    source = image("src").with_dir("/build")
    target = image("dst").with_dir("/home/devzero")
    chain = mkdir("cfg", 0o755).mkfile("cfg/a.txt", 0o600, "x").copy(source, "out/", "app/")
    _, op = _file(target.file(chain))
    mk, mf, cp = op.file.actions
    assert mk.mkdir.path == "/home/devzero/cfg" and mf.mkfile.path == "/home/devzero/cfg/a.txt"
    assert cp.copy.src == "/build/out" and cp.copy.dest == "/home/devzero/app/"


def test_mode_is_masked_and_data_may_be_text():
    _, op = _file(image("busybox").file(mkfile("/f", 0o104755, "héllo")))
    assert op.file.actions[0].mkfile.mode == 0o755
    assert op.file.actions[0].mkfile.data == "héllo".encode()


def test_owner_by_name_on_scratch_resolves_against_no_input():
    _, op = _file(scratch().file(mkdir("/d", 0o755, owner="devzero:staff")))
    action = op.file.actions[0]
    assert len(op.inputs) == 0 and action.input == -1
    assert action.mkdir.owner.user.byName.input == -1
    assert action.mkdir.owner.group.byName.name == "staff"


def test_copy_mode_and_timestamp_and_flags():
    action = copy(
        image("src"), "/a/*", "/b", mode=0o644, created_ns=1_700_000_000_000_000_000,
        allow_wildcard=True, dir_contents_only=True, follow_symlinks=True,
    )  # fmt: skip
    _, op = _file(image("dst").file(action))
    c = op.file.actions[0].copy
    assert c.mode == 0o644 and c.timestamp == 1_700_000_000_000_000_000
    assert c.allowWildcard and c.dirCopyContents and c.followSymlink


def test_rm_flags_and_file_op_has_no_platform():
    _, op = _file(image("busybox").file(rm("/x", allow_not_found=True, allow_wildcard=True)))
    assert op.file.actions[0].rm.allowNotFound and op.file.actions[0].rm.allowWildcard
    assert not op.HasField("platform") and op.HasField("constraints")


def test_file_needs_a_file_action():
    with pytest.raises(GraphError, match="FileAction"):
        image("busybox").file("mkdir /x")
