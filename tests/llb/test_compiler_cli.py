"""``dz compile``: exit codes, stderr diagnostics, -o bytes, --json dump, team names."""

from __future__ import annotations

import json

from click.testing import CliRunner

from core.config import REPO_ROOT
from dz.cli import dz
from llb.graph.definition import Definition

TINY = str(REPO_ROOT / "examples" / "busybox-tiny.yaml")


def test_compile_writes_definition_and_dumps_json(tmp_path):
    out = tmp_path / "def.pb"
    result = CliRunner().invoke(dz, ["compile", TINY, "--json", "-o", str(out)])
    assert result.exit_code == 0, result.output
    definition = Definition.from_bytes(out.read_bytes())
    dump = json.loads(result.stdout)
    assert [entry["Digest"] for entry in dump] == list(definition.digests)


def test_errors_go_to_stderr_with_exit_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text('version: "3"\nbuild:\n  steps:\n    - type: git\n      url: x\n')
    result = CliRunner().invoke(dz, ["compile", str(bad)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"{bad}:4:13: build.steps[0]: unknown step type 'git'; did you mean 'git-clone'?" in (
        result.stderr
    )


def test_team_names_file_enables_unknown_secret_checks(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text('version: "3"\nenvironment:\n  - {name: A, value: "{{secret:team.NOPE}}"}\n')
    names = tmp_path / "team.json"
    names.write_text(json.dumps({"namespace": "team-a", "secrets": {"OTHER": "1"}}))
    offline = CliRunner().invoke(dz, ["compile", str(recipe)])
    assert offline.exit_code == 0
    checked = CliRunner().invoke(dz, ["compile", str(recipe), "--team-names", str(names)])
    assert checked.exit_code == 2
    assert "environment[0].value: unknown secret team.NOPE" in checked.stderr
