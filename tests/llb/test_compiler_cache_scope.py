"""Cache scope in the LLB: exec ops are per team, secret steps per secret version label.

BuildKit (and a registry cache) keys an exec by its op digest, so what keeps two
teams' records apart, and what reruns a step after its secret changed, has to be
in the op itself.
"""

from __future__ import annotations

import pytest

from core.config import REPO_ROOT
from llb import TeamNames, compile_recipe, load_recipe
from llb.compiler.constants import TEAM_ENV
from llb.graph.definition import Definition
from llb.pb import ops_pb2 as pb
from tests.llb.compile_helpers import compile_text, inputs

TEAM = TeamNames(secrets={"NPM_TOKEN": "2.1700000000000001", "DEPLOY_KEY": "1.1700000000000002",
                          "CONF": "4.1700000000000003"})

# Every kind of exec the compiler emits, and a step that sets the team variable
# itself: it must not be able to take another team's value. The first step is not
# apt-get, whose cache mount is per team already and would hide a shared first exec.
RECIPE = """\
version: "3"
environment:
  - {name: DZ_BUILD_TEAM, value: team-a}
build:
  steps:
    - type: command
      command: echo plain
    - type: apt-get
      packages: [jq]
    - type: command
      name: use npm
      command: echo "$NPM_TOKEN" | wc -c
      environment:
        - {name: NPM_TOKEN, value: "{{secret:team.NPM_TOKEN}}"}
    - type: directory
      path: /srv/data
    - type: git-clone
      url: git@github.com:org/private.git
      credentials: {type: ssh-private-key, value: "{{secret:team.DEPLOY_KEY}}"}
    - type: git-clone
      url: https://github.com/org/public.git
    - type: file
      path: /etc/app.conf
      content: "token={{secret:team.CONF}}"
launch:
  steps:
    - type: command
      command: echo launched
"""


def _ops(result) -> dict[str, pb.Op]:
    definition = Definition.from_bytes(result.definition)
    return {d: definition.op(d) for d in definition.digests[:-1]}


def _kind(ops: dict[str, pb.Op], kind: str) -> set[str]:
    return {d for d, op in ops.items() if op.WhichOneof("op") == kind}


def _descendants(ops: dict[str, pb.Op], roots: set[str]) -> set[str]:
    found = set(roots)
    for digest, op in ops.items():  # Definition order: inputs come before their users
        if any(i.digest in found for i in op.inputs):
            found.add(digest)
    return found


def _step_digest(result, step_id: str) -> str:
    return next(s.digest for s in result.steps if s.id == step_id)


def test_every_exec_op_carries_the_team():
    ops = _ops(compile_text(RECIPE, TEAM, team_namespace="team-b"))
    execs = _kind(ops, "exec")
    assert len(execs) == 6  # apt-get, two commands, directory, ssh clone, secret file
    for digest in execs:
        env = list(ops[digest].exec.meta.env)
        assert env[-1] == f"{TEAM_ENV}=team-b"
        assert f"{TEAM_ENV}=team-a" not in env  # the recipe's own value is overridden


def test_two_teams_share_no_exec_op_and_every_source_op():
    a = _ops(compile_text(RECIPE, TEAM, team_namespace="team-a"))
    b = _ops(compile_text(RECIPE, TEAM, team_namespace="team-b"))
    assert _kind(a, "exec") and not _kind(a, "exec") & set(b)
    assert _kind(b, "exec") and not _kind(b, "exec") & set(a)
    # base image, launcher and the public clone: content-addressed, may be shared
    assert _kind(a, "source") == _kind(b, "source")
    assert len(_kind(a, "source")) == 3


@pytest.mark.parametrize("path", sorted((REPO_ROOT / "examples").glob("*.yaml")),
                         ids=lambda p: p.stem)
def test_examples_are_scoped_per_team(path):
    recipe = load_recipe(path.read_text(), path.name)
    team = TeamNames(variables={"REGISTRY_URL": "https://npm.example"}, secrets={"API_TOKEN": "3"})
    a = _ops(compile_recipe(recipe, inputs(team, team_namespace="team-a")))
    b = _ops(compile_recipe(recipe, inputs(team, team_namespace="team-b")))
    assert not _kind(a, "exec") & set(b)
    assert _kind(a, "source") == _kind(b, "source")


def test_a_compile_without_a_namespace_is_scoped_as_local():
    ops = _ops(compile_text(RECIPE, TEAM, team_namespace=None))
    for digest in _kind(ops, "exec"):
        assert ops[digest].exec.meta.env[-1] == f"{TEAM_ENV}=local"


@pytest.mark.parametrize(("secret", "step"), [
    ("NPM_TOKEN", "1-build-step-2"),
    ("DEPLOY_KEY", "1-build-step-4"),
    ("CONF", "1-build-step-6"),
])
def test_a_new_label_changes_exactly_the_steps_that_read_the_secret(secret, step):
    # Same version number, new generation: the secret was deleted and created again.
    version = TEAM.secrets[secret].partition(".")[0]
    recreated = TeamNames(secrets={**TEAM.secrets, secret: f"{version}.1800000000000000"})
    before, after = compile_text(RECIPE, TEAM), compile_text(RECIPE, recreated)
    old, new = _ops(before), _ops(after)

    changed = set(old) - set(new)
    assert changed == _descendants(old, {_step_digest(before, step)})
    for digest in changed - {_step_digest(before, step)}:
        # a descendant changed only because an input did
        own = pb.Op()
        own.CopyFrom(old[digest])
        del own.inputs[:]
        assert any(_without_inputs(op) == own for op in new.values())


def test_an_unchanged_label_changes_nothing():
    same = TeamNames(secrets=dict(TEAM.secrets))
    assert compile_text(RECIPE, TEAM).definition == compile_text(RECIPE, same).definition


def _without_inputs(op: pb.Op) -> pb.Op:
    copy = pb.Op()
    copy.CopyFrom(op)
    del copy.inputs[:]
    return copy
