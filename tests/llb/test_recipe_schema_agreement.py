"""The JSON Schema (what editors underline) and the loader (what builds) agree.

Every shared recipe, named edge cases and a few hundred generated recipes go
through both; the verdicts must be equal wherever the schema can express the
rule. The rules it cannot express are listed in ``SCHEMA_BLIND`` and each case
that breaks one of them is only required to be rejected by the loader.
"""

from __future__ import annotations

import random
import shlex
import types
import typing
from collections.abc import Callable

import pytest
import yaml
from jsonschema import Draft202012Validator
from pydantic.fields import FieldInfo

from llb.recipe import RecipeError, fields, limits, load_recipe, semantic
from llb.recipe.base import EnvValue
from llb.recipe.models import Recipe
from llb.recipe.schema import recipe_schema
from llb.recipe.shape import field_node, is_model, unwrap
from llb.recipe.source import SourceMap
from llb.recipe.steps import STEP_TYPES
from llb.recipe.yaml_loader import load_yaml

VALIDATOR = Draft202012Validator(recipe_schema())


def _cross_field(data: dict) -> bool:
    """semantic.py: duplicate names, user secrets where they feed the build, step counts."""
    source = SourceMap.for_text("x.yaml", "")
    return any(d.severity == "error" for d in semantic.check(data, source))


def _float_version(data: dict) -> bool:
    """``version: 3.0``: JSON Schema compares numbers by value, so 3.0 equals 3."""
    return isinstance(data.get("version"), float)


def _texts(value: object) -> typing.Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str):
                yield key, item
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def _byte_limits(data: dict) -> bool:
    """Sizes in UTF-8 bytes (script, file content): ``maxLength`` counts characters."""
    caps = {"command": limits.MAX_SCRIPT_BYTES, "content": limits.MAX_FILE_CONTENT_BYTES}
    return any(
        len(text.encode("utf-8", "surrogatepass")) > caps[key]
        for key, text in _texts(data)
        if key in caps
    )


def _unsplittable_shell(data: dict) -> bool:
    """A ``shell`` that shlex cannot split (unbalanced quotes): not a regular language."""
    for key, text in _texts(data):
        if key == "shell":
            try:
                shlex.split(text.replace("{}", "/tmp/script"))
            except ValueError:
                return True
    return False


# Rules the loader enforces that the schema cannot state (besides YAML-level rules:
# duplicate keys, anchors, tags, several documents, unreadable characters and the
# document size, which never reach a JSON value).
SCHEMA_BLIND: dict[str, Callable[[dict], bool]] = {
    "cross-field rules": _cross_field,
    "float version": _float_version,
    "byte-size limits": _byte_limits,
    "shell argument splitting": _unsplittable_shell,
}


def _loader_accepts(text: str) -> bool:
    try:
        load_recipe(text, "case.yaml")
    except RecipeError:
        return False
    return True


def check_agreement(text: str) -> str:
    """``agree`` / ``blind`` (a schema-blind rule is broken and the loader rejects)."""
    data, _source = load_yaml(text, "case.yaml")
    loader = _loader_accepts(text)
    schema_errors = [e.message for e in VALIDATOR.iter_errors(data)]
    blind = [n for n, broken in SCHEMA_BLIND.items() if isinstance(data, dict) and broken(data)]
    if blind:
        assert not loader, f"{blind} broken but the loader accepts:\n{text}"
        return "blind"
    assert loader == (not schema_errors), (
        f"loader {'accepts' if loader else 'rejects'}, schema says {schema_errors or 'valid'}:"
        f"\n{text}"
    )
    return "agree"


def test_every_shared_recipe(shared_dir):
    recipes = sorted((shared_dir / "recipes").glob("*.yaml"))
    assert recipes
    for path in recipes:
        assert check_agreement(path.read_text()) == "agree", path.name
        assert _loader_accepts(path.read_text()), path.name


EDGE_CASES = {
    "integer env value": "environment:\n  - {name: PORT, value: 3000}\n",
    "boolean and float env values": "environment:\n  - {name: A, value: true}\n"
    "  - {name: B, value: 1.10}\n",
    "null env value": "environment:\n  - {name: A, value: }\n",
    "optional key with a default, null": "config:\n  minimum_hardware_spec: {cpu: , gpu: }\n",
    "gpu as text": "config:\n  minimum_hardware_spec: {gpu: '2'}\n",
    "gpu negative": "config:\n  minimum_hardware_spec: {gpu: -1}\n",
    "gpu integral float": "config:\n  minimum_hardware_spec: {gpu: 2.0}\n",
    "typo with no value": "buld:\n",
    "step typo with no value": "build:\n  steps:\n    - type: command\n      command: x\n"
    "      enviroment:\n",
    "capitalised key with no value": "runtime:\n  Environment:\n",
    "malformed reference in a command": "build:\n  steps:\n"
    "    - {type: command, command: 'echo {{secret:team}}'}\n",
    "reference in a command": "build:\n  steps:\n"
    "    - {type: command, command: 'echo {{secret:team.X}}'}\n",
    "Actions expression in a command": "build:\n  steps:\n"
    "    - {type: command, command: 'echo ${{ GH_PAT }}'}\n",
    "malformed reference in a value": "environment:\n  - {name: A, value: '{{secret:team}}'}\n",
    "reserved variable name": "environment:\n  - {name: DEVZERO_X, value: x}\n",
    "empty command": "build:\n  steps:\n    - {type: command, command: '  '}\n",
    "permissions as a number": "build:\n  steps:\n"
    "    - {type: file, path: /x, permissions: 0644}\n",
    "relative path": "build:\n  steps:\n    - {type: directory, path: x/y}\n",
    "home path": "build:\n  steps:\n    - {type: directory, path: ~/y}\n",
    "unset git-clone strings": "build:\n  steps:\n"
    "    - {type: git-clone, url: 'https://x.invalid/r.git', branch: '', directory: ''}\n",
    "package starting with a dash": "build:\n  steps:\n    - {type: apt-get, packages: [-y]}\n",
    "no packages": "build:\n  steps:\n    - {type: apt-get, packages: []}\n",
    "shell without placeholder": "build:\n  steps:\n"
    "    - {type: command, command: x, shell: /bin/sh}\n",
    "shell with unbalanced quote": "build:\n  steps:\n"
    '    - {type: command, command: x, shell: "bash \'{}"}\n',
    "float version": None,
    "user secret at build time": "build:\n  environment: [{name: A, value: '{{secret:user.X}}'}]\n",
    "duplicate variable": "environment: [{name: A, value: x}, {name: A, value: y}]\n",
    "legacy top level": "dev: {}\n",
    "packs": "packs: [{name: Docker}]\n",
    "unknown step type": "build:\n  steps:\n    - {type: apt, packages: [x]}\n",
    "missing step type": "build:\n  steps:\n    - {command: x}\n",
    "string where a list goes": "build:\n  steps: x\n",
}


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_edge_cases(name):
    body = EDGE_CASES[name]
    text = "version: 3.0\n" if body is None else 'version: "3"\n' + body
    check_agreement(text)


# ---------------------------------------------------------------- generated recipes

_P = fields  # the annotated string types are the vocabulary's keys
_TEMPLATES = (
    [
        "x",
        "",
        "Bearer {{secret:team.TOKEN}}",
        "{{ secret:devzero.GITHUB_ACCESS_TOKEN }}",
        "${{ GH_PAT }}",
        "{{ .Values.x }}",
        "{{secret:user.TOKEN}}",
        "{{env:team.OLD}}",
    ],
    ["{{secret:team}}", "{{secret:team.X || y}}", "{{ secret: other.X }}", ["a"], {"a": 1}],
)
POOLS: list[tuple[object, tuple[list, list]]] = [
    (_P.TemplateText, _TEMPLATES),
    (EnvValue, ([*_TEMPLATES[0], 3000, True, 1.5, 0], _TEMPLATES[1])),
    (_P.FileContent, (_TEMPLATES[0], [*_TEMPLATES[1], 3])),
    (
        _P.PlainText,
        (["hello", "", "a\nb", "${{ GH_PAT }}"], ["{{secret:team.X}}", "{{secret:team}}", 3, True]),
    ),
    (_P.NonEmptyPlain, (["auto", "4 cores"], ["", " \t", "{{secret:team.X}}", 3])),
    (_P.Url, (["https://github.com/a/b.git"], ["", "h" * 2049, "{{secret:team.X}}"])),
    (
        _P.AbsolutePath,
        (
            ["/etc/x", "/home/devzero/a b"],
            ["rel/x", "~/x", "/a/$HOME", "/a\0b", "/" + "a" * 4100, ""],
        ),
    ),
    (_P.RelativeOrAbsolutePath, (["src", "/abs", ""], ["~/x", "$HOME", 5, "{{var:team.X}}"])),
    (_P.EnvName, (["A", "_x1", "PATH"], ["1A", "DEVZERO_X", "A-B", "", "A\n"])),
    (_P.UserName, (["root", "devzero", "svc$", "a.b-c"], ["-x", "a b", "", "{{secret:team.X}}"])),
    (_P.Permissions, (["0644", "755", "rw-r--r--"], [644, "0999", "rwxrwxrwxx", True])),
    (
        _P.ShellTemplate,
        (["/bin/bash -l {}", "python3 {}"], ["/bin/sh", "{{secret:team.X}} {}", "bash '{}"]),
    ),
    (
        _P.Script,
        (
            ["echo hi", "echo ${{ GH_PAT }}", "a\nb"],
            ["", "  \n", "echo {{secret:team.X}}", "echo {{secret:team}}", 3],
        ),
    ),
    (_P.PackageName, (["curl", "python3.11", "g++"], ["-y", "a b", "", "{{secret:team.X}}"])),
    (_P.SubPath, (["home", "a.b_c-d"], ["a/b", "", "x y"])),
]
SCALARS = {
    "version": (["3", 3], ["2", 2, 3.0]),
    "gpu": ([False, True, 0, 2, 1.0], [-1, "2", 1.5]),
    "type": (["github-token", "ssh-private-key"], ["token"]),
}


def _metadata(annotation: object) -> list:
    """Every Annotated metadata item inside ``annotation`` (through Optional and list)."""
    found = list(getattr(annotation, "__metadata__", ()))
    for arg in typing.get_args(annotation):
        found += _metadata(arg)
    return found


def _pool(info: FieldInfo, key: str) -> tuple[list, list]:
    """The vocabulary of the most specific annotated type the field is declared with."""
    if key in SCALARS:
        return SCALARS[key]
    meta = _metadata(info.annotation) + list(info.metadata)
    best: tuple[int, tuple[list, list]] | None = None
    for typ, pool in POOLS:
        wanted = [m for m in typ.__metadata__ if not isinstance(m, FieldInfo)]
        if all(m in meta for m in wanted) and (best is None or len(wanted) > best[0]):
            best = (len(wanted), pool)
    assert best is not None, f"no vocabulary for {key}: {info.annotation}"
    return best[1]


class Generator:
    """Random recipes from the models: mostly valid values, now and then a wrong one."""

    def __init__(self, seed: int):
        self.rnd = random.Random(seed)

    def chance(self, p: float) -> bool:
        return self.rnd.random() < p

    def recipe(self) -> dict:
        return self.mapping(Recipe)

    def mapping(self, model: type) -> dict:
        out: dict = {}
        for key, info in model.model_fields.items():
            if key == "type" and model in STEP_TYPES.values():
                out[key] = info.annotation.__args__[0] if not self.chance(0.02) else "bogus"
                continue
            if not info.is_required() and self.chance(0.5):
                continue
            if not info.is_required() and self.chance(0.15):
                out[key] = None
                continue
            if info.is_required() and self.chance(0.02):
                continue
            out[key] = self.value(model, key, info)
        if self.chance(0.03):  # an unknown key, a typo of a known one
            key = self.rnd.choice(list(model.model_fields))
            out[key[:-1] or "x_"] = self.rnd.choice([None, "x", []])
        return out

    def value(self, model: type, key: str, info: FieldInfo) -> object:
        node, annotation = field_node(model, key), info.annotation
        if self.chance(0.02):
            return self.rnd.choice(["x", 1, [], {}])  # the wrong kind of value
        if node is STEP_TYPES or is_model(node):
            if typing.get_origin(_strip_optional(annotation)) is list:
                return [self.item(node) for _ in range(self.rnd.randint(0, 3))]
            return self.item(node)
        good, bad = _pool(info, key)
        if typing.get_origin(_strip_optional(annotation)) is list:
            return [self.scalar(good, bad) for _ in range(self.rnd.randint(0, 3))]
        return self.scalar(good, bad)

    def item(self, node: object) -> dict:
        model = self.rnd.choice(list(STEP_TYPES.values())) if node is STEP_TYPES else node
        return self.mapping(model)

    def scalar(self, good: list, bad: list) -> object:
        return self.rnd.choice(bad if self.chance(0.06) else good)


def _strip_optional(annotation: object) -> object:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return args[0] if len(args) == 1 else annotation
    return annotation


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: object) -> bool:
        return True


def test_generated_recipes_get_the_same_verdict():
    gen = Generator(seed=20)
    outcomes = {"agree-valid": 0, "agree-invalid": 0, "blind": 0}
    for _ in range(400):
        text = yaml.dump(gen.recipe(), Dumper=_NoAliases, sort_keys=False, allow_unicode=True)
        verdict = check_agreement(text)
        if verdict == "agree":
            verdict += "-valid" if _loader_accepts(text) else "-invalid"
        outcomes[verdict] += 1
    # the set exercises both answers, not only rejections
    assert outcomes["agree-valid"] >= 40 and outcomes["agree-invalid"] >= 40, outcomes


def test_vocabulary_covers_every_field():
    """A new field needs a vocabulary here, else it would never be generated."""

    def visit(model: type) -> None:
        for key, info in model.model_fields.items():
            node = unwrap(info.annotation)
            if node is STEP_TYPES:
                for step in STEP_TYPES.values():
                    visit(step)
            elif is_model(node):
                visit(node)
            elif not (key == "type" and model in STEP_TYPES.values()):
                _pool(info, key)

    visit(Recipe)
