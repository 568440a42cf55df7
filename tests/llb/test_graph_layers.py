"""Layers (a chain marshalled as it is built) gives exactly the Definition of ``marshal``."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llb.graph import (
    GraphError,
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
    secret_mount,
    ssh_mount,
    tmpfs,
)
from llb.graph.layers import Layers

RECIPE = SourceMap("recipe.yaml", b"version: '3'\n")


def _base():
    return image("127.0.0.1:5000/library/busybox:1", platform="linux/amd64")


def _where(line: int) -> tuple[SourceLocation, ...]:
    return (SourceLocation(RECIPE, (Range.lines(line, line + 1),)),)


# One step each: (name, keyword arguments of run(), or None for a file op).
EXECS = [
    {"env": (("A", "1"), ("PATH", "/bin")), "cwd": "/home/devzero", "user": "devzero",
     "network": "host"},
    {"env": {"B": "2", "A": "3"}, "cwd": "rel", "security": "insecure", "hostname": "box"},
    {"mounts": [secret_mount("/run/s/x", "team.X", uid=1000, gid=1000),
                cache_mount("/var/cache/apt", "t/apt", sharing="locked")]},
    {"mounts": [tmpfs("/tmp", size=1 << 20), ssh_mount(id="key")], "network": "none"},
    {"mounts": [cache_mount("-odd", "odd")], "user": "0:0"},
    {},
]


def _graph_and_layers(plan: list[tuple[int, int]]):
    """The same chain built with the State API and with Layers: (state, layers)."""
    state = _base()
    layers = Layers(_base())
    launcher = image("127.0.0.1:5000/library/dzlaunch:1", platform="linux/amd64")
    for step, (kind, line) in enumerate(plan):
        name = f"[build {step + 1}/{len(plan)}] step"
        if kind < len(EXECS):
            options = dict(EXECS[kind], custom_name=name, locations=_where(line))
            args = ["/bin/sh", "-c", f"echo {step}"]
            state = state.run(args, **options).root()
            layers.run(args, **options)
        elif kind == len(EXECS):
            action = mkdir("/etc/x", 0o755, parents=True, owner="devzero").mkfile(
                "/etc/x/f", 0o644, f"n = {step}"
            )
            state = state.file(action, custom_name=name, locations=_where(line))
            layers.file(action, custom_name=name, locations=_where(line))
        else:
            source = launcher if step % 2 else git("https://github.com/o/r.git", "main")
            action = copy(source, "/", "/opt/x", owner=(1000, 1000), create_dest_path=True)
            state = state.file(action, custom_name=name)
            layers.file(action, custom_name=name)
    return state, layers


def test_a_recipe_shaped_chain_matches_marshal():
    plan = [(i % (len(EXECS) + 2), i + 3) for i in range(3 * (len(EXECS) + 2))]
    state, layers = _graph_and_layers(plan)
    expected, got = marshal(state), layers.definition()
    assert got.to_bytes() == expected.to_bytes()
    assert got.digests == expected.digests
    assert got.names() == expected.names()
    assert layers.head.output.index == state.output.index


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(EXECS) + 1), st.integers(1, 40)), max_size=12))
def test_any_chain_matches_marshal(plan):
    state, layers = _graph_and_layers(plan)
    assert layers.definition().to_bytes() == marshal(state).to_bytes()


def test_the_same_exec_twice_is_two_ops_and_repeats_are_merged_like_marshal():
    state, layers = _base(), Layers(_base())
    for _ in range(2):
        state = state.run(["true"], custom_name="same").root()
        layers.run(["true"], custom_name="same")
    assert layers.definition().to_bytes() == marshal(state).to_bytes()
    assert len(layers.definition()) == 4  # image, two execs (different inputs), terminal


def test_run_checks_its_arguments_like_exec():
    layers = Layers(_base())
    with pytest.raises(GraphError, match="at least one argument"):
        layers.run([])
    with pytest.raises(GraphError, match="environment variable name"):
        layers.run(["true"], env=(("A=B", "1"),))
    with pytest.raises(GraphError, match="mount destination"):
        layers.run(["true"], mounts=[cache_mount("", "c")])


def test_mounts_of_other_states_go_through_add():
    from llb.graph import bind

    layers = Layers(_base())
    data = _base().file(mkfile("/f", 0o644, "x"))
    with pytest.raises(GraphError, match="use add"):
        layers.run(["true"], mounts=[bind("/data", data)])
    state = layers.head.run(["true"], mounts=[bind("/data", data)]).root()
    layers.add(state)
    assert layers.definition().to_bytes() == marshal(state).to_bytes()
