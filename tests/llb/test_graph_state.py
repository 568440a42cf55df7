"""State values: immutability, env/cwd semantics of the Go client, owners, errors."""

from __future__ import annotations

import dataclasses

import pytest

from llb.graph import (
    GraphError,
    NetMode,
    Owner,
    Platform,
    UserRef,
    image,
    marshal,
    owner,
    scratch,
)


def test_states_are_frozen_and_methods_return_new_states():
    base = image("busybox")
    changed = base.add_env("A", "1").with_dir("/work").with_user("devzero")
    assert base.env == () and base.cwd == "/" and base.user == ""
    assert changed.env == (("A", "1"),) and changed.cwd == "/work" and changed.user == "devzero"
    with pytest.raises(dataclasses.FrozenInstanceError):
        base.cwd = "/tmp"


def test_re_set_env_key_moves_last_like_go_addenv():
    st = image("busybox").with_env({"A": "1", "B": "2"}).add_env("A", "3")
    assert st.env == (("B", "2"), ("A", "3"))
    assert st.get_env("A") == "3" and st.get_env("C") is None


def test_env_order_reaches_exec_meta():
    st = image("busybox").with_env([("Z", "1"), ("A", "2")])
    op = _last_op(st.run(["env"], env={"M": "3"}).root())
    assert list(op.exec.meta.env) == ["Z=1", "A=2", "M=3"]


@pytest.mark.parametrize("bad", ["", "A=B"])
def test_invalid_env_names_are_refused(bad):
    with pytest.raises(GraphError):
        image("busybox").add_env(bad, "x")


def test_relative_dir_joins_current_and_absolute_is_kept():
    st = image("busybox").with_dir("/home/devzero")
    assert st.with_dir("src/../app").cwd == "/home/devzero/app"
    assert st.with_dir("/opt").cwd == "/opt"


def test_run_options_do_not_leak_into_the_result_state():
    base = image("busybox").add_env("KEEP", "1")
    after = base.run(["true"], env={"X": "1"}, cwd="/tmp", user="nobody", network="none").root()
    assert after.env == base.env and after.cwd == "/" and after.user == ""
    assert after.network is NetMode.SANDBOX


def test_state_settings_flow_into_later_execs():
    st = image("busybox").with_user("devzero").with_dir("/home/devzero").with_network("host")
    op = _last_op(st.run(["id"]).root())
    assert op.exec.meta.user == "devzero" and op.exec.meta.cwd == "/home/devzero"
    assert op.exec.network == NetMode.HOST


def test_unknown_network_mode_names_the_choices():
    with pytest.raises(GraphError, match="sandbox, host, none"):
        image("busybox").with_network("bridge")


def test_empty_args_are_refused():
    with pytest.raises(GraphError, match="at least one argument"):
        image("busybox").run([])


def test_scratch_cannot_be_marshalled():
    with pytest.raises(GraphError, match="scratch"):
        marshal(scratch())


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("devzero", Owner(UserRef(name="devzero"))),
        ("devzero:staff", Owner(UserRef(name="devzero"), UserRef(name="staff"))),
        ("1000:1000", Owner(UserRef(id=1000), UserRef(id=1000))),
        ("root", Owner(UserRef(id=0))),
        ((0, 0), Owner(UserRef(id=0), UserRef(id=0))),
        (7, Owner(UserRef(id=7))),
        (None, None),
    ],
)
def test_owner_spellings(spec, expected):
    assert owner(spec) == expected


@pytest.mark.parametrize(
    ("text", "platform"),
    [("linux/amd64", Platform("linux", "amd64")), ("linux/arm/v7", Platform("linux", "arm", "v7"))],
)
def test_platform_parse(text, platform):
    assert Platform.parse(text) == platform and str(platform) == text


def test_platform_parse_refuses_garbage():
    with pytest.raises(GraphError):
        Platform.parse("amd64")


def _last_op(state):
    definition = marshal(state)
    return definition.op(definition.head[0])
