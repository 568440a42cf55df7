"""No secret value ever reaches the Definition, the image config or the step info.

Secret values are never a compile input, but the team data does carry plain
variable values; a name that is both plain and secret must be treated as secret.
The canary values are planted wherever a mistake could leak them.
"""

from __future__ import annotations

import base64
import json

from llb import TeamNames
from tests.llb.compile_helpers import compile_text

CANARY = "c4n4ry-v4lue-8d1f2e"
RECIPE = """\
version: "3"
environment:
  - {name: TOP, value: "{{secret:team.CANARY_TOP}}"}
build:
  environment:
    - {name: API, value: "Bearer {{secret:team.CANARY_API}}"}
  steps:
    - type: command
      command: echo building
      environment: [{name: PW, value: "{{secret:devzero.GITHUB_ACCESS_TOKEN}}"}]
      secret_mounts:
        - {path: /etc/gitconfig, value: "{{secret:devzero.GITHUB_GIT_CONFIG}}"}
        - {path: /etc/composed, value: "user={{secret:team.CANARY_API}}"}
    - type: file
      path: /etc/app.key
      content: "{{secret:team.CANARY_FILE}}"
    - type: git-clone
      url: https://github.com/org/private
      credentials: {type: github-token, value: "{{secret:team.CANARY_TOKEN}}"}
launch:
  steps:
    - type: command
      command: echo launched
      environment: [{name: U, value: "{{secret:user.CANARY_USER}}"}]
runtime:
  environment:
    - {name: R, value: "{{secret:team.CANARY_API}}"}
"""
NAMES = ["CANARY_TOP", "CANARY_API", "CANARY_FILE", "CANARY_TOKEN"]


def _forms(value: str) -> list[bytes]:
    raw = value.encode()
    forms = [raw, base64.b64encode(raw)]
    # base64 of the value at every alignment inside a longer text
    for shift in range(3):
        encoded = base64.b64encode(b"x" * shift + raw)[4 if shift else 0 :]
        forms.append(encoded[: len(encoded) * 3 // 4])
    return forms


def test_canary_values_never_appear():
    # Each name is also a plain variable holding the canary: the secret must win.
    team = TeamNames(
        variables={name: f"{CANARY}-{name}" for name in NAMES},
        secrets={name: "5" for name in NAMES},
    )
    result = compile_text(RECIPE, team)
    haystacks = [
        result.definition,
        json.dumps(result.image_config).encode(),
        json.dumps([s.__dict__ for s in result.steps]).encode(),
        json.dumps(result.derived_secrets).encode(),
    ]
    for name in NAMES:
        for form in _forms(f"{CANARY}-{name}"):
            for haystack in haystacks:
                assert form not in haystack
    # the references themselves are there: the secrets are wired, not dropped
    assert set(result.secret_ids) >= {"team.CANARY_API", "team.CANARY_FILE", "team.CANARY_TOKEN"}
    assert result.derived_secrets == {
        "1-build-step-0.secret_mounts.1": "user={{secret:team.CANARY_API}}"
    }


def test_plain_variables_are_injected():
    team = TeamNames(variables={name: f"plain-{name}" for name in NAMES})
    result = compile_text(RECIPE, team)
    assert b"API=Bearer plain-CANARY_API" in result.definition
    assert "team.CANARY_API" not in result.secret_ids
