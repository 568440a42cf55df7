"""``dz migrate OLD.yaml [-o NEW.yaml]``: the v3 file, a line per change on stderr, and
the exit codes (2: unreadable input, 1: the result still needs the user's hand)."""

from __future__ import annotations

from click.testing import CliRunner

from dz.cli import dz
from llb import load_recipe
from tests.llb.compile_helpers import compile_text

LEGACY = """\
dev:
  commands:
  - command: npm ci
    directory: web   # the checkout
    name: install
  - command: npm start &
    name: run_at_startup_web
  repos:
  - https://github.com/example-org/web
  packages:
  - nixpkgs.nodejs
  - nixpkgs.python38
env:
- key: NODE_ENV
  value: development
"""


def test_writes_the_v3_file_and_reports_each_line(tmp_path):
    old, new = tmp_path / "DZ_RECIPE.yml", tmp_path / "recipe.yaml"
    old.write_text(LEGACY)
    result = CliRunner().invoke(dz, ["migrate", str(old), "-o", str(new)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    report = result.stderr.splitlines()
    assert f"{old}:3: dev.commands[0]: -> build.steps, type: command" in report
    assert (
        f"{old}:6: dev.commands[1]: -> launch.steps (its name starts with run_at_startup_), "
        "type: command" in report
    )
    assert (
        f"{old}:11: dev.packages[0]: nixpkgs.nodejs -> apt-get install nodejs "
        "(the same name in Debian)" in report
    )
    assert any(
        line.startswith(f"{old}:12: not translated: dev.packages[1]: nixpkgs.python38")
        for line in report
    )
    assert (
        report[-1]
        == f"{new}: version 3 recipe written; 5 change(s), 1 item(s) left as TODO comments"
    )
    text = new.read_text()
    assert "      directory: web  # the checkout" in text.splitlines()
    recipe = load_recipe(text, str(new))
    assert [s.type for s in recipe.build_steps()] == ["apt-get", "git-clone", "command"]
    assert recipe.launch.steps[0].command == "npm start &"
    assert [(e.name, e.value) for e in recipe.runtime.environment] == [("NODE_ENV", "development")]
    compile_text(text)


def test_without_output_the_recipe_goes_to_stdout(tmp_path):
    old = tmp_path / "old.yaml"
    old.write_text(LEGACY)
    result = CliRunner().invoke(dz, ["migrate", str(old)])
    assert result.exit_code == 0, result.stderr
    assert load_recipe(result.stdout, "stdout.yaml").build_steps()[2].name == "install"


def test_compile_of_the_legacy_file_names_dz_migrate(tmp_path):
    old = tmp_path / "old.yaml"
    old.write_text(LEGACY)
    result = CliRunner().invoke(dz, ["compile", str(old)])
    assert result.exit_code == 2
    assert "dz migrate" in result.stderr


def test_unreadable_input_exits_2(tmp_path):
    old = tmp_path / "old.yaml"
    old.write_text("dev: [\n")
    result = CliRunner().invoke(dz, ["migrate", str(old)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{old}:")


def test_a_result_that_does_not_validate_exits_1(tmp_path):
    old = tmp_path / "old.yaml"
    old.write_text("dev:\n  codeCloneRoot: /src\nenv:\n- key: 1BAD\n  value: x\n")
    result = CliRunner().invoke(dz, ["migrate", str(old)])
    assert result.exit_code == 1
    assert "the new recipe does not validate yet" in result.stderr
    assert "1BAD" in result.stderr
