"""Loading recipes: real shared recipes, every rejection the spec demands, positions."""

from __future__ import annotations

import textwrap

import pytest

from llb.recipe import RecipeError, load_recipe
from llb.recipe.loader import LEGACY_V1, LEGACY_V2, PACKS


def errors_of(text: str) -> list[str]:
    with pytest.raises(RecipeError) as info:
        load_recipe(textwrap.dedent(text), "r.yaml")
    return [d.headline() for d in info.value.diagnostics if d.severity == "error"]


def test_every_shared_recipe_loads(shared_dir):
    recipes = sorted((shared_dir / "recipes").glob("*.yaml"))
    assert len(recipes) >= 10
    for path in recipes:
        recipe = load_recipe(path.read_text(), path.name)
        assert recipe.version == "3"
        assert recipe.build_steps() or recipe.launch_steps() or recipe.runtime


def test_serialized_forms_mean_unset(shared_dir):
    text = (shared_dir / "recipes" / "40-neondb-todo-serialized.yaml").read_text()
    recipe = load_recipe(text, "40.yaml")
    clone = recipe.build_steps()[1]
    assert (clone.branch, clone.directory, clone.credentials) == (None, None, None)
    assert recipe.config.code_clone_credentials is None
    assert recipe.runtime.environment == []


def test_integer_version_and_scalar_env_text_as_written():
    recipe = load_recipe(
        "version: 3\nenvironment:\n  - {name: A, value: 1.10}\n  - {name: B, value: 0644}\n"
        "  - {name: C, value: yes}\n",
        "r.yaml",
    )
    assert [e.value for e in recipe.environment] == ["1.10", "0644", "yes"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dev:\n  name: x\n", f"r.yaml:1:1: dev: {LEGACY_V2}"),
        ("softwarepolicy: {}\n", f"r.yaml:1:1: softwarepolicy: {LEGACY_V1}"),
        ('version: "3"\npacks:\n  - name: Docker\n', f"r.yaml:2:1: packs: {PACKS}"),
        ("build: {}\n", "r.yaml:1:1: version: missing required key 'version'"),
        ('version: "2"\n', 'r.yaml:1:10: version: unsupported recipe version "2"; expected "3"'),
        ("version: 3.0\n", 'r.yaml:1:10: version: unsupported recipe version 3.0; expected "3"'),
        (
            'version: "3"\nruntime:\n  Environment: []\n',
            "r.yaml:3:3: runtime.Environment: unknown key 'Environment' in runtime; "
            "did you mean 'environment'?",
        ),
        (
            'version: "3"\nconfig:\n  image: x\n',
            "r.yaml:3:3: config.image: 'image' belongs at the top level of the recipe",
        ),
    ],
)
def test_top_level_rejections(text, expected):
    assert errors_of(text) == [expected]


def test_all_problems_are_reported_at_once_with_lines():
    errors = errors_of(
        """\
        version: "3"
        build:
          environment:
            - name: A
              value: "{{secret:user.TOKEN}}"
            - name: A
              value: x
          steps:
            - type: apt
              packages: [curl]
            - type: file
              path: ~/x
              permissions: 0644
              uid: 1
            - type: command
              command: echo hi
              shell: /bin/sh
              env: []
            - type: command
              command: "echo {{secret:team.X}}"
        launch:
          steps:
            - type: directory
              path: relative/dir
        """
    )
    assert errors == [
        "r.yaml:5:14: build.environment[0].value: user secrets are not available at build "
        "time: user.TOKEN; use a team secret",
        "r.yaml:6:13: build.environment[1].name: variable 'A' is already set in this list (item 0)",
        "r.yaml:9:13: build.steps[0]: unknown step type 'apt'; did you mean 'apt-get'?",
        "r.yaml:12:13: build.steps[1].path: '~' and '$' are not expanded in paths; write the "
        "absolute path, e.g. /home/devzero/...",
        'r.yaml:13:20: build.steps[1].permissions: quote the permissions value, e.g. "0644"',
        "r.yaml:14:7: build.steps[1].uid: unknown key 'uid' in build.steps[1]; use 'user' "
        "instead of 'uid'",
        "r.yaml:17:14: build.steps[2].shell: shell must contain '{}' where the script path "
        "goes, e.g. /bin/bash -l {}",
        "r.yaml:18:7: build.steps[2].env: unknown key 'env' in build.steps[2]; 'env' was "
        "renamed 'environment'",
        "r.yaml:20:16: build.steps[3].command: secret references are only allowed in "
        "environment values, file content, secret_mounts values and credentials; commands "
        "read secrets through 'environment' and $NAME",
        "r.yaml:24:13: launch.steps[0].path: path must be absolute (start with '/'): "
        "'relative/dir'",
    ]


def test_caret_snippet_points_at_the_column():
    with pytest.raises(RecipeError) as info:
        load_recipe('version: "3"\nbuild:\n  steps:\n    - type: git\n', "r.yaml")
    rendered = info.value.render().splitlines()
    assert rendered[0].startswith("r.yaml:4:13: build.steps[0]: unknown step type 'git'")
    assert rendered[1] == "    4 |     - type: git"
    assert rendered[2].index("^") == len("    4 | ") + 12


def test_unquoted_reference_is_a_yaml_error_with_a_quoting_hint():
    (error,) = errors_of('version: "3"\nenvironment:\n  - name: A\n    value: {{secret:team.X}}\n')
    assert error.startswith("r.yaml:4:13: ")
    assert "must be quoted" in error


def test_duplicate_keys_are_errors():
    (error,) = errors_of('version: "3"\nbuild: {}\nbuild: {}\n')
    assert error == "r.yaml:3:1: build: duplicate key 'build' (first written at line 2)"


def test_null_is_absent_but_required_null_is_missing():
    recipe = load_recipe('version: "3"\nbuild:\n  steps:\n  environment:\n', "r.yaml")
    assert recipe.build.steps is None
    (error,) = errors_of('version: "3"\nenvironment:\n  - name: A\n    value:\n')
    assert error == "r.yaml:3:5: environment[0].value: missing required key 'value'"


def test_too_many_build_steps():
    steps = "".join(f"    - {{type: command, command: 'echo {i}'}}\n" for i in range(101))
    errors = errors_of(f'version: "3"\nbuild:\n  steps:\n{steps}')
    assert errors == [
        "r.yaml:4:5: build.steps: too many build steps (101); "
        "at most 100 are supported — merge steps"
    ]


def test_warnings_are_kept_on_the_recipe():
    recipe = load_recipe(
        textwrap.dedent(
            """\
            version: "3"
            config:
              volumes: [{path: /data, sub_path: data}]
            build:
              steps:
                - type: file
                  path: /etc/token
                  content: "{{secret:team.TOKEN}}"
                - type: apt-get
                  packages: [x]
                  extra_repositories: [{repository: "https://example.invalid/apt"}]
            launch:
              environment: [{name: A, value: "{{env:user.X}}"}]
            """
        ),
        "r.yaml",
    )
    lines = [(w.line, w.path) for w in recipe.warnings]
    assert lines == [
        (3, "config.volumes"),
        (8, "build.steps[0].content"),
        (11, "build.steps[1].extra_repositories[0]"),
        (13, "launch.environment[0].value"),
    ]
    assert all(w.severity == "warning" for w in recipe.warnings)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'version: "3"\nbuld:\n',
            "r.yaml:2:1: buld: unknown key 'buld' in the recipe; did you mean 'build'?",
        ),
        (
            'version: "3"\nbuild:\n  steps:\n    - type: command\n      command: make\n'
            "      enviroment:\n",
            "r.yaml:6:7: build.steps[0].enviroment: unknown key 'enviroment' in "
            "build.steps[0]; did you mean 'environment'?",
        ),
        (
            'version: "3"\nruntime:\n  Environment:\n',
            "r.yaml:3:3: runtime.Environment: unknown key 'Environment' in runtime; "
            "did you mean 'environment'?",
        ),
    ],
)
def test_unknown_keys_are_errors_even_without_a_value(text, expected):
    assert errors_of(text) == [expected]


def test_null_known_keys_still_mean_absent():
    recipe = load_recipe(
        'version: "3"\nconfig:\n  minimum_hardware_spec:\n    cpu:\n    gpu:\n'
        "build:\n  steps:\n    - type: command\n      command: make\n      user:\n",
        "r.yaml",
    )
    assert recipe.config.minimum_hardware_spec.cpu == "auto"
    assert recipe.build_steps()[0].user is None


@pytest.mark.parametrize(
    "field",
    [
        "command: 'echo {{secret:team}}'",
        "command: 'echo {{ secret: team.X || fallback }}'",
        "command: make\n      name: '{{secret:team}}'",
        "command: make\n      directory: '{{ var:team }}/src'",
    ],
)
def test_reference_syntax_outside_reference_fields_is_an_error_malformed_or_not(field):
    (error,) = errors_of(f'version: "3"\nbuild:\n  steps:\n    - type: command\n      {field}\n')
    assert "secret references are only allowed in environment values" in error


def test_other_double_braces_stay_literal_in_commands():
    recipe = load_recipe(
        'version: "3"\nbuild:\n  steps:\n    - type: command\n'
        "      command: echo ${{ GH_PAT }} {{ .Values.x }} {{secret}}\n",
        "r.yaml",
    )
    assert recipe.build_steps()[0].command == "echo ${{ GH_PAT }} {{ .Values.x }} {{secret}}"


def test_quoting_hint_quotes_the_whole_value():
    line = '      command: echo "{{ secret : team.X }}"'
    text = f'version: "3"\nbuild:\n  steps:\n    - type: command\n{line}\n'
    (error,) = errors_of(text)
    assert error.startswith("r.yaml:5:32: yaml: YAML syntax error")
    suggestion = error.split("e.g. ", 1)[1]
    assert suggestion == "command: 'echo \"{{ secret : team.X }}\"'"
    # the suggestion, pasted in, is valid YAML: what is left is where references may go
    (error,) = errors_of(text.replace(line.strip(), suggestion))
    assert "secret references are only allowed in" in error


def test_quoting_hint_for_an_unquoted_reference_value():
    (error,) = errors_of('version: "3"\nenvironment:\n  - name: A\n    value: {{secret:team.X}}\n')
    assert error.endswith("e.g. value: '{{secret:team.X}}'")


def test_gpu_is_a_boolean_or_a_count_never_text():
    spec = 'version: "3"\nconfig:\n  minimum_hardware_spec:\n    gpu: {}\n'
    assert load_recipe(spec.format("2.0"), "r.yaml").config.minimum_hardware_spec.gpu == 2
    assert errors_of(spec.format('"2"')) == [
        "r.yaml:4:10: config.minimum_hardware_spec.gpu: expected true, false or a number of "
        "GPUs (0 or more), not '2'"
    ]
