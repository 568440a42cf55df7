"""The ``make demo`` driver builds example recipes through the API and streams logs."""

from __future__ import annotations

import shutil

from core.config import REPO_ROOT
from stack.demo_driver import run_demo
from tests.app.pipekit import *  # noqa: F403


def test_demo_builds_the_examples_and_prints_image_refs(stack, tmp_path, capfd):
    examples = tmp_path / "examples"
    examples.mkdir()
    shutil.copy(REPO_ROOT / "examples" / "busybox-tiny.yaml", examples)
    settings = stack.settings.with_overrides(public_url=stack.url)
    assert run_demo(settings, examples) == 0
    out = capfd.readouterr().out
    # The log is streamed: pipeline header lines and BuildKit's own vertex lines.
    assert "Build completed" in out and "[build 1/4]" in out
    assert f"{stack.settings.registry}/demo/busybox-tiny:" in out
    assert f"Web UI: {stack.url}/" in out and "dz login --url" in out
    # Running it again reuses the team and makes a new version (cached build).
    assert run_demo(settings, examples) == 0


SECRET_RECIPE = """\
version: "3"
image: {registry}/library/busybox:latest
build:
  steps:
    - type: command
      shell: /bin/sh -e {{}}
      user: root
      environment:
        - name: DEMO_TOKEN
          value: "{{{{secret:team.DEMO_TOKEN}}}}"
      command: 'test -n "$DEMO_TOKEN" && echo "token of ${{#DEMO_TOKEN}} characters"'
"""


def test_demo_stores_its_secret_in_openbao_and_never_shows_it(stack, tmp_path, capfd):
    examples = tmp_path / "examples"
    examples.mkdir()
    (examples / "with-secret.yaml").write_text(
        SECRET_RECIPE.format(registry=stack.settings.registry))
    settings = stack.settings.with_overrides(public_url=stack.url)
    assert run_demo(settings, examples) == 0
    out = capfd.readouterr().out
    assert "demo team secrets set: DEMO_TOKEN (stored in OpenBao at" in out
    assert "token of " in out and " characters" in out
    # The placeholder value has a recognisable prefix: it must not be printed.
    assert "demo-demo_token-" not in out
