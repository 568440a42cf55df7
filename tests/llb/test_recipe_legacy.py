"""``migrate``: legacy (v2 "dev/commands") recipes become version "3" recipes that compile.

The legacy files below are written for these tests in the shape DevZero's public docs
and the files its web UI committed (``DZ_RECIPE.yml``) show: ``dev.commands`` with
``run_at_startup_*`` names, ``repos`` as URLs, ``packages`` as Nix attribute paths,
``codeCloneRoot``, top-level ``env: [{key, value}]`` and ``compute`` / ``network``.
"""

from __future__ import annotations

import textwrap

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from llb import RecipeError, load_recipe
from llb.recipe.legacy import migrate
from llb.recipe.legacy_docker import DOCKER_STEPS_YAML
from llb.recipe.loader import LEGACY_V1, LEGACY_V2, PACKS
from tests.llb.compile_helpers import compile_text

# Build and startup commands, as on the "execution stages" page of the old docs.
STAGES = """\
# suggester tool version: 0.0.1+test
# Demo service workspace

dev:
  name: demo-service  # shown in the old UI
  codeCloneRoot: /workspace/src
  packages:
  - nixpkgs.git
  - nixpkgs.jq
  - nixpkgs.go
  - dz.docker
  repos:
  - https://github.com/example-org/demo-service/
  commands:
  # fetch the Go modules first
  - command: go mod download
    dir: demo-service   # relative to codeCloneRoot
    name: install cmd
  - command: |-
      echo "building"
      # part of the script, not a YAML comment
      make build
    directory: demo-service/web
    name: build web
  - command: touch ready.txt
    directory:
    name: marker
  # These steps run when a workspace starts
  - command: sudo systemctl start postgresql.service
    name: run_at_startup_postgres
env:
- key: PORT
  value: 3000
- key: GREETING
  value: "hello: world"
compute:
  compute_name: default
  os_family: UBUNTU_22_04
  region: us-west-1
  resources:
    cpus: 4+
    disk: 50
    volumes:
    - path: /home/devzero
      subPath: home
    - path: /var/lib/docker
      subPath: var-lib-docker
network:
  category: container
  network_name: default
description: Demo service
tags:
- Go
"""

# What the old "suggester" wrote: no codeCloneRoot (so /home/devzero), relative dirs.
SUGGESTED = """\
dev:
  commands:
  - command: npm install
    directory: shop
    name: install cmd
  - command: go mod download
    directory: .
    name: install_cmd_0
  - command: ls
    directory: ~/shop
    name: home relative
  name: ""
  packages:
  - nixpkgs.nodejs_18
  - nixpkgs.nodePackages.pnpm
  repos:
  - https://github.com/example-org/shop
"""


def migrated(text: str):
    result = migrate(textwrap.dedent(text), "old.yaml")
    return result, load_recipe(result.yaml, "new.yaml")


def messages(notes) -> list[tuple[int, str]]:
    return [(note.line, note.message) for note in notes]


def test_stages_recipe_maps_every_part_and_compiles():
    result, recipe = migrated(STAGES)
    compiled = compile_text(result.yaml)
    build = recipe.build_steps()
    assert [step.type for step in build] == [
        "apt-get",
        "apt-get",
        "command",
        "git-clone",
        "command",
        "command",
        "command",
    ]
    assert build[0].packages == ["git", "jq"]
    assert build[3].url == "https://github.com/example-org/demo-service"
    commands = build[4:]
    assert [c.name for c in commands] == ["install cmd", "build web", "marker"]
    assert commands[0].command == "go mod download"
    # v2 resolved relative directories against codeCloneRoot; v3 against /home/devzero
    assert commands[0].directory == "/workspace/src/demo-service"
    assert commands[1].directory == "/workspace/src/demo-service/web"
    assert commands[1].command == (
        'echo "building"\n# part of the script, not a YAML comment\nmake build'
    )
    assert commands[2].directory is None
    launch = recipe.launch.steps
    assert [(s.type, s.name, s.command) for s in launch] == [
        ("command", "run_at_startup_postgres", "sudo systemctl start postgresql.service")
    ]
    assert recipe.config.code_clone_root == "/workspace/src"
    assert [(v.path, v.sub_path) for v in recipe.config.volumes] == [
        ("/home/devzero", "home"),
        ("/var/lib/docker", "var-lib-docker"),
    ]
    assert [(e.name, e.value) for e in recipe.runtime.environment] == [
        ("PORT", "3000"),
        ("GREETING", "hello: world"),
    ]
    assert len([s for s in compiled.steps if s.id.startswith("1-build")]) == 7


def test_changes_are_reported_at_the_old_lines():
    result, _ = migrated(STAGES)
    changes = messages(result.changes)
    assert (6, "dev.codeCloneRoot: -> config.code_clone_root /workspace/src") in changes
    assert (17, "dev.commands[0].dir: dir -> directory") in changes
    assert (
        29,
        "dev.commands[3]: -> launch.steps (its name starts with run_at_startup_), type: command",
    ) in changes
    assert any(
        line == 32 and msg.startswith("env[0]: {key: PORT} -> {name: PORT} in runtime.environment")
        for line, msg in changes
    )
    assert any(line == 13 and "git-clone" in msg for line, msg in changes)
    assert any(line == 11 and "Docker Engine" in msg for line, msg in changes)


def test_what_cannot_be_translated_is_listed_and_kept_as_todo_comments():
    result, _ = migrated(STAGES)
    untranslated = dict(messages(result.untranslated))
    assert set(untranslated) == {5, 10, 36, 48, 51, 52}
    assert untranslated[10].startswith(
        "dev.packages[2]: nixpkgs.go: no Debian package of the same name; try golang-go"
    )
    assert untranslated[36].startswith("compute: ")
    assert "TODO(dz migrate): nixpkgs.go: no Debian package of the same name" in result.yaml
    for kept in (
        "#   region: us-west-1",
        "# network:",
        "#   name: demo-service  # shown in the old UI",
        "# description: Demo service",
        "# - Go",
    ):
        assert kept in result.yaml.splitlines()


def test_comments_are_carried_to_the_values_they_annotate():
    result, _ = migrated(STAGES)
    lines = result.yaml.splitlines()
    assert lines[:2] == ["# suggester tool version: 0.0.1+test", "# Demo service workspace"]
    before = lines.index("    # fetch the Go modules first")
    assert lines[before + 1] == "    - type: command"
    assert "      directory: /workspace/src/demo-service  # relative to codeCloneRoot" in lines
    startup = lines.index("    # These steps run when a workspace starts")
    assert lines[startup - 2 : startup] == ["launch:", "  steps:"]
    # every comment of the old file survives somewhere
    for old in STAGES.splitlines():
        if "#" in old and "part of the script" not in old:
            comment = old[old.index("#") :]
            assert comment in result.yaml, comment


def test_suggested_recipe_without_clone_root():
    result, recipe = migrated(SUGGESTED)
    build = recipe.build_steps()
    assert [s.type for s in build] == ["git-clone", "command", "command", "command"]
    # relative stays relative (both formats use /home/devzero); '.' is the default
    assert [s.directory for s in build[1:]] == ["shop", None, "/home/devzero/shop"]
    assert recipe.config is None or recipe.config.code_clone_root in (None, "/home/devzero")
    reasons = [msg for _, msg in messages(result.untranslated)]
    assert any("nixpkgs.nodejs_18" in r and "try nodejs" in r for r in reasons)
    assert any("nixpkgs.nodePackages.pnpm" in r for r in reasons)
    assert (12, "dev.name: empty, dropped") in messages(result.changes)
    assert 'name: ""' not in result.yaml
    compile_text(result.yaml)


def test_directory_with_a_variable_is_not_guessed():
    result, recipe = migrated("""\
        dev:
          commands:
          - command: make
            directory: $HOME/src
            name: build
        """)
    assert recipe.build_steps()[0].directory is None
    assert messages(result.untranslated) == [
        (4, "dev.commands[0].directory: '$HOME/src' needs expansion, which v3 does not do")
    ]
    assert "TODO(dz migrate): directory '$HOME/src' was not translated" in result.yaml


def test_env_inside_dev_and_tricky_values_survive():
    result, recipe = migrated("""\
        dev:
          commands:
          - command: 'echo "a: b" # not a comment'
            name: '- dash'
          env:
          - key: TOKEN
            value: "{{secret:team.TOKEN}}"
        """)
    step = recipe.build_steps()[0]
    assert (step.command, step.name) == ('echo "a: b" # not a comment', "- dash")
    assert [(e.name, e.value) for e in recipe.runtime.environment] == [
        ("TOKEN", "{{secret:team.TOKEN}}")
    ]


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(
    st.text(
        st.characters(
            codec="utf-8",
            exclude_categories=("Cs", "Cc", "Zl", "Zp"),
            include_characters="\n\t \r\x85\u2028",
        ),
        min_size=1,
        max_size=60,
    ).filter(lambda t: t.strip())
)
@example("first\nsecond\x85third")  # NEL: a line break to YAML inside a block scalar
@example("  indented first line\nsecond")
@example("keep\ntrailing\n\n")
@example("a: b\n# not a comment\n- not an item\n")
@example("'quoted'\n\"double\"\ttab")
def test_any_command_text_is_kept_exactly(command):
    old = "dev:\n  commands:\n  - name: x\n    command: " + _json_yaml(command) + "\n"
    try:
        load_recipe(
            'version: "3"\nbuild:\n  steps:\n    - type: command\n      command: '
            + _json_yaml(command)
            + "\n",
            "probe.yaml",
        )
    except RecipeError:
        return  # text v3 itself refuses (e.g. a secret reference in a command)
    result = migrate(old, "old.yaml")
    assert load_recipe(result.yaml, "new.yaml").build_steps()[0].command == command


def _json_yaml(text: str) -> str:
    """``text`` as a double-quoted scalar that escapes everything but letters and digits
    (an independent encoding, so the emitter under test is not checked against itself)."""
    escaped = (_kept(c) or f"\\u{ord(c):04x}" for c in text)
    return '"' + "".join(escaped) + '"'


def _kept(char: str) -> str:
    return char if char.isascii() and char.isalnum() or ord(char) > 0xFFFF else ""


def test_legacy_compile_error_names_dz_migrate():
    with pytest.raises(RecipeError) as err:
        load_recipe(STAGES, "old.yaml")
    assert err.value.diagnostics[0].message == LEGACY_V2
    assert "dz migrate" in LEGACY_V2
    assert "dz migrate" in LEGACY_V1


def test_packs_message_shows_docker_steps_that_compile():
    assert PACKS.endswith(DOCKER_STEPS_YAML.rstrip())
    steps = PACKS.split(":\n", 1)[1]
    recipe = load_recipe('version: "3"\n' + steps + "\n", "docker.yaml")
    apt = recipe.build_steps()[0]
    assert "docker-ce" in apt.packages
    assert apt.extra_repositories[0].repository.endswith("/linux/debian")
    compile_text('version: "3"\n' + steps + "\n")
    with pytest.raises(RecipeError) as err:
        load_recipe('version: "3"\npacks:\n  - name: Docker\n', "r.yaml")
    assert "usermod -aG docker devzero" in err.value.diagnostics[0].message


def test_a_v3_recipe_comes_back_unchanged():
    text = 'version: "3"\n# keep\nbuild:\n  steps:\n    - type: command\n      command: ls\n'
    result = migrate(text, "r.yaml")
    assert (result.yaml, result.changes, result.untranslated) == (text, [], [])


def test_v1_blocks_are_reported_and_kept_as_comments():
    result = migrate("softwarepolicy:\n  languages: [go]\n", "old.yaml")
    assert [n.line for n in result.untranslated] == [1]
    assert "#   languages: [go]" in result.yaml.splitlines()
    assert yaml.safe_load(result.yaml) == {"version": "3"}
    compile_text(result.yaml)


def test_not_a_legacy_recipe_is_an_error():
    with pytest.raises(RecipeError, match="no 'dev:' key"):
        migrate("build: {}\n", "x.yaml")
    with pytest.raises(RecipeError):
        migrate("dev: [\n", "x.yaml")


def test_shared_v3_recipes_pass_through_untouched(shared_dir):
    for path in sorted((shared_dir / "recipes").glob("*.yaml")):
        text = path.read_text()
        result = migrate(text, path.name)
        assert (result.yaml, result.changes) == (text, []), path.name
