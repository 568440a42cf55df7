"""Byte-identity with BuildKit's Go client: the graphs of shared/vectors/llb/A1..A9.

Each builder repeats, with our API, the Go calls the vector's ``description`` names;
the marshalled ops, digests, metadata, source map and whole Definition must equal
what ``client/llb`` v0.24 produced.
"""

from __future__ import annotations

import json

import pytest

from llb.graph import (
    State,
    cache_mount,
    copy,
    git,
    image,
    marshal,
    mkdir,
    secret_mount,
)

BUSYBOX = "127.0.0.1:5000/library/busybox:1"
SH = "/bin/sh"


def busybox() -> State:
    return image(BUSYBOX, platform="linux/amd64")


def a1() -> State:
    return busybox()


def a2() -> State:
    return busybox().run([SH, "-c", "echo hi"]).root()


def a3() -> State:
    return (
        busybox()
        .run(
            [SH, "-c", "echo hello"],
            env={"A": "1", "PATH": "/usr/bin:/bin"},
            cwd="/home/devzero",
            user="devzero",
            network="host",
            custom_name="[build 1/2] hello",
        )
        .root()
    )


def a4() -> State:
    secret = secret_mount("/run/dz/secrets/team.NPM", "team.NPM", uid=1000, gid=1000, mode=0o400)
    return busybox().run([SH, "-c", "test -s /run/dz/secrets/team.NPM"], mounts=[secret]).root()


def a5() -> State:
    apt = cache_mount("/var/cache/apt", "team-a/apt", sharing="locked")
    return busybox().run([SH, "-c", "ls -la /var/cache/apt"], mounts=[apt]).root()


def a6() -> State:
    chain = (
        mkdir("/usr/lib/devzero/startup-scripts", 0o755, parents=True)
        .mkfile("/etc/motd", 0o644, b"hello\n")
        .mkdir("/home/devzero", 0o755, parents=True, owner="devzero")
    )
    return busybox().file(chain)


def a7() -> State:
    other = image("127.0.0.1:5000/devzero/dzlaunch:1", platform="linux/amd64")
    action = copy(
        other, "/dzlaunch", "/usr/lib/devzero/bin/dzlaunch", create_dest_path=True, owner=(0, 0)
    )
    return busybox().file(action)


def a8() -> State:
    repo = git("https://127.0.0.1:9418/repo.git", "main")
    return busybox().file(copy(repo, "/", "/home/devzero/repo", owner="devzero"))


def a9() -> State:
    s1 = busybox().run([SH, "-c", "echo one > /one"]).root()
    s2 = s1.run([SH, "-c", "date > /two"], ignore_cache=True).root()
    return s2.run([SH, "-c", "cat /one /two > /three"]).root()


BUILDERS = {"A1": a1, "A2": a2, "A3": a3, "A4": a4, "A5": a5, "A6": a6, "A7": a7, "A8": a8,
            "A9": a9}  # fmt: skip


@pytest.fixture(params=sorted(BUILDERS))
def case(request, shared_dir):
    vector = json.loads((shared_dir / "vectors" / "llb" / f"{request.param}.json").read_text())
    return vector, marshal(BUILDERS[request.param]())


def test_every_vector_has_a_builder(shared_dir):
    names = {p.stem for p in (shared_dir / "vectors" / "llb").glob("A*.json")}
    assert names == set(BUILDERS)


def test_op_bytes_and_order(case):
    vector, definition = case
    assert [op.hex() for op in definition.ops] == [op["hex"] for op in vector["ops"]]


def test_digests(case):
    vector, definition = case
    assert list(definition.digests) == [op["digest"] for op in vector["ops"]]
    assert definition.terminal == vector["terminal"]
    assert definition.head[0] == vector["head"]


def test_metadata(case):
    vector, definition = case
    assert {d: definition.metadata(d) for d in definition.digests} == vector["metadata"]


def test_source_map(case):
    vector, definition = case
    source = definition.source()
    locations = {d: list(source.locations[d].locations) for d in source.locations}
    assert locations == vector["source"]["locations"]
    assert list(source.infos) == vector["source"]["infos"]


def test_whole_definition(case):
    vector, definition = case
    assert definition.to_bytes().hex() == vector["definition_hex"]
