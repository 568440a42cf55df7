"""The direct writer (llb.graph.opbytes) writes what the descriptor-driven encoder writes.

:func:`llb.graph.wire.encode` of a protobuf message is the reference for Go's field
order; every message the marshaller now writes by hand must be byte-equal to it.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from llb.graph import (
    Range,
    SourceLocation,
    SourceMap,
    cache_mount,
    copy,
    git,
    image,
    marshal,
    mkdir,
    mkfile,
    opbytes,
    rm,
    secret_mount,
    ssh_mount,
    tmpfs,
)
from llb.graph.wire import encode
from llb.pb import ops_pb2 as pb

text = st.text(max_size=8)
int64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)


@given(int64)
def test_varint_is_the_go_encoding_of_int64(value):
    assert opbytes.number(2, value) == encode(pb.Input(index=value))


@given(text, st.integers(0, 2**31))
def test_op_input(digest, index):
    assert opbytes.op_input(digest, index) == encode(pb.Op(inputs=[pb.Input(digest=digest,
                                                                               index=index)]))


@given(int64, text, text, int64, st.booleans(), st.sampled_from([0, 3]), text,
       st.sampled_from([0, 1, 2]))
def test_mount_with_cache_options(input_, selector, dest, output, readonly, kind, cache_id,
                                  sharing):
    options = opbytes.cache_options(cache_id, sharing) if kind == 3 else b""
    expected = pb.ExecOp(mounts=[pb.Mount(input=input_, selector=selector, dest=dest,
                                          output=output, readonly=readonly, mountType=kind)])
    if kind == 3:
        expected.mounts[0].cacheOpt.CopyFrom(pb.CacheOpt(ID=cache_id, sharing=sharing))
    got = opbytes.mount(input_, selector, dest, output, readonly, kind, options)
    assert got == encode(expected)


@given(st.lists(text, max_size=3), st.lists(text, max_size=3), text, text, text)
def test_exec_meta(args, env, cwd, user, hostname):
    meta = pb.Meta(args=args, env=env, cwd=cwd, user=user, hostname=hostname,
                   removeMountStubsRecursive=True)
    got = opbytes.exec_meta(opbytes.texts(1, args),
                            opbytes.texts(2, env) + opbytes.meta_tail(cwd, user, hostname))
    assert got == encode(pb.ExecOp(meta=meta))


@given(st.dictionaries(text, text, max_size=3), st.booleans(), st.none() | st.booleans(),
       st.frozensets(st.sampled_from(["source.image", "exec.meta.base", "file.base"])))
def test_op_metadata(description, ignore_cache, export_cache, caps):
    expected = pb.OpMetadata(ignore_cache=ignore_cache, description=description)
    if export_cache is not None:
        expected.export_cache.Value = export_cache
        expected.export_cache.SetInParent()
    for cap in caps:
        expected.caps[cap] = True
    assert opbytes.op_metadata(ignore_cache, description, export_cache, caps) == encode(expected)


RECIPE = SourceMap("r.yaml", b"a: 1\n")
steps = st.lists(st.sampled_from(["exec", "env", "secret", "cache", "tmpfs", "ssh", "mkdir",
                                  "mkfile", "rm", "copy", "git"]), max_size=8)


@settings(max_examples=60, deadline=None)
@given(steps, st.integers(1, 30))
def test_every_marshalled_op_and_definition_is_in_go_order(kinds, line):
    state = image("127.0.0.1:5000/library/busybox:1", platform="linux/arm64/v8")
    where = (SourceLocation(RECIPE, (Range.lines(line, line + 2),)),)
    for i, kind in enumerate(kinds):
        name = {"custom_name": f"step {i}", "locations": where}
        if kind in ("exec", "env", "secret", "cache", "tmpfs", "ssh"):
            mounts = {"secret": [secret_mount("/run/s", "s", uid=1000, optional=True)],
                      "cache": [cache_mount("/c", "c", sharing="private")],
                      "tmpfs": [tmpfs("/t", size=5)], "ssh": [ssh_mount()]}.get(kind, [])
            env = {"A": str(i), "PATH": "/bin"} if kind == "env" else ()
            state = state.run(["sh", "-c", str(i)], env=env, mounts=mounts, user="1:1",
                              network="none" if i % 2 else "host", **name).root()
        elif kind == "mkdir":
            state = state.file(mkdir("d", 0o700, parents=True, owner="root:staff"), **name)
        elif kind == "mkfile":
            state = state.file(mkfile("/f", 0o600, b"" if i % 2 else b"x", owner=0), **name)
        elif kind == "rm":
            state = state.file(rm("/f", allow_not_found=True), ignore_cache=True)
        else:
            source = git("https://github.com/o/r.git") if kind == "git" else image("busybox")
            state = state.file(copy(source, "/", "/x/", mode=0o644, owner="devzero"),
                               export_cache=bool(i % 2), **name)
    if state.output is None:
        return
    definition = marshal(state)
    for op in definition.ops:
        message = pb.Op()
        message.ParseFromString(op)
        assert encode(message) == op
    assert encode(definition.to_pb()) == definition.to_bytes()
