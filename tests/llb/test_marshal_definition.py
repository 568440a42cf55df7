"""Definition-level behaviour: determinism, de-duplication, metadata, source maps, dump."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from llb.graph import (
    Definition,
    Range,
    SourceLocation,
    SourceMap,
    cache_mount,
    copy,
    image,
    marshal,
    mkdir,
    secret_mount,
    wire,
)
from llb.pb import ops_pb2 as pb

RECIPE = SourceMap("recipe.yaml", b"version: 3\nbuild:\n  steps: []\n")

PROGRAM = """
from llb.graph import image, marshal, mkdir, cache_mount, secret_mount, copy
base = image("127.0.0.1:5000/library/busybox:1", platform="linux/amd64")
st = base.run(["sh", "-c", "x"], env={"B": "1", "A": "2"}, mounts=[
    cache_mount("/c", "team/apt", "locked"), secret_mount("/run/s", "team.S")],
    custom_name="[build 1/2] x", description={"z": "1", "a": "2"}).root()
st = st.file(mkdir("/d", 0o755).copy(image("other"), "/f", "/d/"), custom_name="[build 2/2] f")
import sys; sys.stdout.write(marshal(st).to_bytes().hex())
"""


def _build():
    base = image("127.0.0.1:5000/library/busybox:1", platform="linux/amd64")
    st = base.run(
        ["sh", "-c", "x"],
        env={"B": "1", "A": "2"},
        mounts=[cache_mount("/c", "team/apt", "locked"), secret_mount("/run/s", "team.S")],
        custom_name="[build 1/2] x",
        description={"z": "1", "a": "2"},
    ).root()
    chain = mkdir("/d", 0o755).copy(image("other"), "/f", "/d/")
    return st.file(chain, custom_name="[build 2/2] f")


def test_same_graph_gives_same_bytes_across_processes():
    outputs = set()
    for seed in ("1", "2", "3"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        run = subprocess.run(
            [sys.executable, "-c", PROGRAM], env=env, capture_output=True, text=True, check=True
        )
        outputs.add(run.stdout)
    assert len(outputs) == 1
    assert outputs == {marshal(_build()).to_bytes().hex()}


def test_equal_ops_built_twice_are_stored_once():
    one, two = image("busybox"), image("busybox")
    st = one.file(copy(two, "/bin/busybox", "/copy"))
    definition = marshal(st)
    assert len(definition.ops) == 3  # one image, the file op, the terminal
    file_op = definition.op(definition.head[0])
    assert [i.digest for i in file_op.inputs] == [definition.digests[0]]  # equal inputs merge
    action = file_op.file.actions[0]
    assert (action.input, action.secondaryInput) == (0, 0)


def test_terminal_metadata_lists_meta_caps_only_when_used():
    plain = marshal(image("busybox").run(["true"]).root())
    assert plain.metadata(plain.terminal)["caps"] == {"constraints": True, "platform": True}
    used = marshal(
        image("busybox").run(["true"], custom_name="n", ignore_cache=True, export_cache=True).root()
    )
    assert used.metadata(used.terminal)["caps"] == {
        "constraints": True, "meta.description": True, "meta.exportcache": True,
        "meta.ignorecache": True, "platform": True,
    }  # fmt: skip
    assert used.metadata(used.head[0])["export_cache"] is True


def test_locations_fill_the_source_map_per_op():
    step = SourceLocation(RECIPE, (Range.lines(3, 4),))
    other = SourceLocation(SourceMap("other.yaml"), (Range.lines(1),))
    st = image("busybox", locations=[other]).run(["true"], locations=[step]).root()
    st = st.file(mkdir("/x", 0o755), locations=[step, other])
    definition = marshal(st)
    source = definition.source()
    assert [(i.filename, i.data) for i in source.infos] == [
        ("other.yaml", b""),
        ("recipe.yaml", RECIPE.data),
    ]
    image_d, exec_d, file_d = definition.digests[:3]
    assert set(source.locations) == {image_d, exec_d, file_d}
    exec_loc = source.locations[exec_d].locations
    assert [loc.sourceIndex for loc in exec_loc] == [1]
    assert exec_loc[0].ranges[0] == pb.Range(start=pb.Position(Line=3), end=pb.Position(Line=4))
    assert [loc.sourceIndex for loc in source.locations[file_d].locations] == [1, 0]


def test_bytes_round_trip_and_json_dump_is_stable():
    definition = marshal(_build())
    again = Definition.from_bytes(definition.to_bytes())
    assert again.ops == definition.ops and again.to_bytes() == definition.to_bytes()
    dump = json.loads(definition.to_json())
    assert [e["Digest"] for e in dump] == list(definition.digests)
    exec_entry = next(e for e in dump if "exec" in e["Op"].get("Op", {}))
    assert exec_entry["OpMetadata"]["description"]["llb.customname"] == "[build 1/2] x"
    assert exec_entry["Op"]["Op"]["exec"]["mounts"][1]["input"] == -1
    assert definition.to_json() == marshal(_build()).to_json()


def test_map_entries_are_sorted_on_the_wire():
    definition = marshal(_build())
    data = definition.to_bytes()
    keys = [b"\x0a\x01a\x12", b"\x0a\x0ellb.customname\x12", b"\x0a\x01z\x12"]
    positions = [data.index(k) for k in keys]
    assert positions == sorted(positions)
    assert list(definition.digests) != sorted(definition.digests)  # walk order is not sorted
    only_metadata = pb.Definition()
    for digest, md in definition.to_pb().metadata.items():
        only_metadata.metadata[digest].CopyFrom(md)
    section = wire.encode(only_metadata)
    positions = [section.index(d.encode()) for d in sorted(definition.digests)]
    assert positions == sorted(positions)


def test_definition_is_immutable_and_to_pb_is_a_copy():
    definition = marshal(image("busybox"))
    message = definition.to_pb()
    getattr(message, "def").append(b"junk")
    assert len(definition.to_pb().ListFields()[0][1]) == 2
    with pytest.raises(AttributeError):
        definition.ops = ()
