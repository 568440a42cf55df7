"""Build plans over real compiles: a changed secret label names the steps that read it."""

from __future__ import annotations

from llb import TeamNames
from llb import plan as planning
from tests.llb.compile_helpers import compile_text

SECRETS = {"NPM": "2.1700000000000001", "OTHER": "1.1700000000000002"}
RECIPE = """\
version: "3"
build:
  steps:
    - type: command
      command: echo first
    - type: command
      name: use npm
      command: echo "$NPM" | wc -c
      environment:
        - {name: NPM, value: "{{secret:team.NPM}}"}
    - type: file
      path: /etc/other
      content: "{{secret:team.OTHER}}"
    - type: command
      name: also npm
      command: echo "$NPM" | wc -c
      environment:
        - {name: NPM, value: "{{secret:team.NPM}}"}
"""


def _plan(old: dict, new: dict) -> list[tuple[str, str | None, dict]]:
    before = planning.facts(compile_text(RECIPE, TeamNames(secrets=old)).definition)
    after = planning.facts(compile_text(RECIPE, TeamNames(secrets=new)).definition)
    return [(s.id, s.reason, s.details) for s in planning.plan(after, before)]


def test_a_recreated_secret_reruns_from_its_first_use():
    recreated = {**SECRETS, "NPM": "2.1800000000000000"}  # deleted, created, rotated once
    assert _plan(SECRETS, recreated) == [
        ("1-build-step-0", None, {}),
        ("1-build-step-1", planning.SECRET_ROTATED, {"secrets": ["team.NPM"]}),
        ("1-build-step-2", planning.EARLIER_CHANGED, {"step": "1-build-step-1"}),
        ("1-build-step-3", planning.SECRET_ROTATED, {"secrets": ["team.NPM"]}),
    ]


def test_a_secret_used_late_leaves_the_earlier_steps_cached():
    rotated = {**SECRETS, "OTHER": "2.1700000000000002"}
    assert _plan(SECRETS, rotated) == [
        ("1-build-step-0", None, {}),
        ("1-build-step-1", None, {}),
        ("1-build-step-2", planning.SECRET_ROTATED, {"secrets": ["team.OTHER"]}),
        ("1-build-step-3", planning.EARLIER_CHANGED, {"step": "1-build-step-2"}),
    ]


def test_the_same_labels_plan_everything_cached():
    assert {reason for _, reason, _ in _plan(SECRETS, dict(SECRETS))} == {None}
