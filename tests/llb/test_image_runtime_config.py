"""The image config of a workspace (docs/design.md, "The image's runtime config"):
sessions run as devzero in /home/devzero through dzlaunch's session entrypoint, with
PATH, the top-level environment and runtime.environment; no secret in the config."""

from __future__ import annotations

import json

from llb import TeamNames
from llb.compiler.image_config import ImageConfig
from tests.llb.compile_helpers import compile_text

DZLAUNCH = "/usr/lib/devzero/bin/dzlaunch"
DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
TEAM = TeamNames(variables={"MIRROR": "https://mirror.example"}, secrets={"NPM_TOKEN": "4"})

RECIPE = """\
version: "3"
environment:
  - name: GREETING
    value: hello $USER
  - name: MIRROR_URL
    value: "{{secret:team.MIRROR}}"
  - name: NPM_TOKEN
    value: "{{secret:team.NPM_TOKEN}}"
  - name: MODE
    value: build
build:
  environment:
    - name: BUILD_ONLY
      value: "1"
launch:
  environment:
    - name: LAUNCH_ONLY
      value: "1"
runtime:
  environment:
    - name: MODE
      value: interactive
    - name: PATH
      value: /opt/tools/bin:$PATH
    - name: API_KEY
      value: "key={{secret:user.API_KEY}}"
    - name: EDITOR
      value: vim
"""


def test_sessions_enter_through_dzlaunch_as_devzero_in_its_home():
    config = compile_text('version: "3"\n').image_config
    assert config["User"] == "root"  # the launch steps under the default Cmd need root
    assert config["WorkingDir"] == "/home/devzero"
    assert config["Entrypoint"] == [DZLAUNCH, "--mode", "session", "--user", "devzero"]
    # No command given: run the launch steps, then keep the workspace alive.
    assert config["Cmd"] == ["--launch", "/bin/sh", "-c", "exec tail -f /dev/null"]
    assert config["Env"] == [DEFAULT_PATH]


def test_env_is_path_then_literal_top_level_then_literal_runtime_values():
    config = compile_text(RECIPE, TEAM).image_config
    assert config["Env"] == [
        DEFAULT_PATH,  # runtime's PATH uses $PATH: the entrypoint's script extends this one
        "GREETING=hello $USER",  # top-level values are literal, as in build and launch
        "MIRROR_URL=https://mirror.example",  # a plain team variable, resolved at compile
        "MODE=interactive",  # runtime.environment wins by name
        "EDITOR=vim",
    ]


def test_no_secret_and_no_unexpanded_value_in_the_config():
    config = compile_text(RECIPE, TEAM).image_config
    names = [entry.split("=", 1)[0] for entry in config["Env"]]
    # A secret's value is only known at run time: never in Env, and the secret-backed
    # top-level variable stays a build/launch variable.
    assert "NPM_TOKEN" not in names and "API_KEY" not in names
    assert "{{" not in json.dumps(config)
    # Phase scopes stay in their phase.
    assert "BUILD_ONLY" not in names and "LAUNCH_ONLY" not in names
    # The entrypoint names the session's secret files, to warn when one is missing.
    assert config["Entrypoint"][5:] == ["--secret-file", "/run/devzero/secrets/user.API_KEY"]


def test_top_level_path_replaces_the_default_like_in_build_steps():
    config = compile_text("""\
        version: "3"
        environment:
          - name: PATH
            value: /opt/only/bin:/usr/bin:/bin
        """).image_config
    assert config["Env"] == ["PATH=/opt/only/bin:/usr/bin:/bin"]


def test_the_config_crosses_the_queue_with_its_entrypoint():
    config = compile_text(RECIPE, TEAM).image_config
    typed = ImageConfig.from_oci(config)
    assert typed.to_oci() == config
    assert json.loads(typed.to_json())["config"]["Entrypoint"] == config["Entrypoint"]
