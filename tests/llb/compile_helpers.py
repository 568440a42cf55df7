"""Helpers for compiler tests: compile text, decode ops, payloads and file actions."""

from __future__ import annotations

import base64
import json
import textwrap

from llb import CompileInputs, TeamNames, compile_recipe, load_recipe
from llb.graph.definition import Definition
from llb.pb import ops_pb2 as pb

BASE = "127.0.0.1:5000/library/devbox@sha256:" + "1" * 64
DZLAUNCH = "127.0.0.1:5000/library/dzlaunch@sha256:" + "2" * 64


def inputs(team: TeamNames | None = None, **overrides) -> CompileInputs:
    options = dict(
        base_image=BASE,
        dzlaunch_image=DZLAUNCH,
        network_mode="host",
        team=team,
        team_namespace="team-a",
    )
    options.update(overrides)
    return CompileInputs(**options)


def compile_text(text: str, team: TeamNames | None = None, **overrides):
    recipe = load_recipe(textwrap.dedent(text), "recipe.yaml")
    return compile_recipe(recipe, inputs(team, **overrides))


def ops(result) -> list[tuple[str, pb.Op, dict]]:
    """(digest, op, metadata) for every op but the terminal one, in Definition order."""
    definition = Definition.from_bytes(result.definition)
    return [(d, definition.op(d), definition.metadata(d)) for d in definition.digests[:-1]]


def named(result, prefix: str, exact: bool = False) -> tuple[str, pb.Op]:
    for digest, op, meta in ops(result):
        name = meta["description"].get("llb.customname", "")
        if name == prefix or (not exact and name.startswith(prefix)):
            return digest, op
    raise KeyError(prefix)


def payload_of(op: pb.Op) -> dict:
    args = list(op.exec.meta.args)
    assert args[:3] == ["/usr/lib/devzero/bin/dzlaunch", "--mode", "build"]
    return json.loads(base64.b64decode(args[3]))


def launch_manifest(result) -> dict:
    _, op = named(result, "[launch] write")
    return json.loads(op.file.actions[-1].mkfile.data)
