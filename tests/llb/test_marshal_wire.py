"""The Go-order wire encoder: exact bytes for the rules, and round trips for random messages."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from llb.graph.wire import encode, encode_generic, to_dict
from llb.pb import ops_pb2 as pb

text = st.text(max_size=12)
int64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)


def test_oneof_member_comes_after_ordinary_fields():
    op = pb.Op(inputs=[pb.Input(digest="d")], source=pb.SourceOp(identifier="x"))
    op.constraints.SetInParent()
    assert encode(op).hex() == "0a030a0164" + "5a00" + "1a030a0178"
    assert op.SerializeToString().hex() == "0a030a0164" + "1a030a0178" + "5a00"


def test_zero_oneof_member_and_negative_ints():
    assert encode(pb.UserOpt(byID=0)) == b"\x10\x00"
    assert encode(pb.Mount(input=-1)) == b"\x08" + b"\xff" * 9 + b"\x01"
    assert encode(pb.Mount(input=0, output=0)) == b""


def test_repeated_int32_is_packed_and_maps_are_sorted():
    assert encode(pb.Meta(validExitCodes=[0, 1])) == bytes.fromhex("620200 01".replace(" ", ""))
    md = pb.OpMetadata(caps={"b": True, "a": True})
    assert encode(md) == bytes.fromhex("2a050a016110012a050a01621001")


def test_to_dict_nests_oneofs_like_the_go_dump():
    action = pb.FileAction(secondaryInput=-1, mkdir=pb.FileActionMkDir(path="/x", mode=0o755))
    assert to_dict(action) == {
        "secondaryInput": -1,
        "Action": {"mkdir": {"path": "/x", "mode": 0o755}},
    }


mounts = st.builds(
    pb.Mount,
    input=int64,
    selector=text,
    dest=text,
    output=int64,
    readonly=st.booleans(),
    mountType=st.sampled_from([0, 1, 2, 3, 4]),
    cacheOpt=st.none() | st.builds(pb.CacheOpt, ID=text, sharing=st.sampled_from([0, 1, 2])),
)
metas = st.builds(
    pb.Meta,
    args=st.lists(text, max_size=3),
    env=st.lists(text, max_size=3),
    cwd=text,
    validExitCodes=st.lists(st.integers(-(2**31), 2**31 - 1), max_size=3),
)
user_opts = st.one_of(
    st.builds(pb.UserOpt, byID=st.integers(0, 2**32 - 1)),
    st.builds(lambda n, i: pb.UserOpt(byName=pb.NamedUserOpt(name=n, input=i)), text, int64),
)
actions = st.builds(
    lambda i, o, path, user: pb.FileAction(
        input=i, output=o, mkdir=pb.FileActionMkDir(path=path, owner=pb.ChownOpt(user=user))
    ),
    int64,
    int64,
    text,
    user_opts,
)
ops = st.one_of(
    st.builds(
        lambda m, ms: pb.Op(exec=pb.ExecOp(meta=m, mounts=ms)), metas, st.lists(mounts, max_size=3)
    ),
    st.builds(lambda a: pb.Op(file=pb.FileOp(actions=a)), st.lists(actions, max_size=3)),
    st.builds(
        lambda i, attrs: pb.Op(source=pb.SourceOp(identifier=i, attrs=attrs)),
        text,
        st.dictionaries(text, text, max_size=3),
    ),
)


@settings(max_examples=60, deadline=None)
@given(ops)
def test_random_ops_round_trip(op):
    data = encode(op)
    parsed = pb.Op()
    parsed.ParseFromString(data)
    assert parsed == op
    assert encode(parsed) == data
    assert encode_generic(op) == data  # the C fast path writes what the walk writes


@settings(max_examples=60, deadline=None)
@given(st.lists(mounts, max_size=4), metas)
def test_without_oneofs_bytes_equal_pythons_deterministic_form(ms, meta):
    message = pb.ExecOp(meta=meta, mounts=ms)
    assert encode(message) == message.SerializeToString(deterministic=True)


def test_fast_path_is_used_only_where_python_order_is_go_order():
    from llb.graph.wire import _python_order_is_go_order as safe

    assert safe(pb.ExecOp.DESCRIPTOR) and safe(pb.FileOp.DESCRIPTOR) and safe(pb.UserOpt.DESCRIPTOR)
    assert not safe(pb.Op.DESCRIPTOR)  # oneof 2..7 before platform/constraints
    assert not safe(pb.SourceOp.DESCRIPTOR)  # map attrs
    assert not safe(pb.Definition.DESCRIPTOR)
