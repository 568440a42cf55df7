"""``load_recipe``: YAML text -> validated :class:`Recipe`, or every problem at once."""

from __future__ import annotations

from pydantic import ValidationError

from llb.recipe import semantic
from llb.recipe.diagnostics import Diagnostic, RecipeError
from llb.recipe.legacy_docker import DOCKER_STEPS_YAML
from llb.recipe.models import Recipe
from llb.recipe.schema_errors import translate
from llb.recipe.shape import Node, field_node, known_keys, model_of
from llb.recipe.source import Path, SourceMap
from llb.recipe.walk import env_lists
from llb.recipe.yaml_loader import load_yaml

LEGACY_V2 = (
    'legacy recipe format (v2 "dev/commands") is not supported; run '
    "'dz migrate <file> -o <new file>' (or POST /api/v1/recipes/migrate) to write the "
    'equivalent version "3" recipe'
)
LEGACY_V1 = (
    'legacy recipe format (v1 "environment templates") is not supported; write a version "3" '
    "recipe ('dz migrate' cannot convert v1: its schema was never documented)"
)
PACKS = (
    "'packs' is not supported: named step bundles are an undocumented DevZero feature; "
    "write the steps out explicitly. For 'packs: [{name: Docker}]' these steps install "
    "Docker Engine on the default base image (Debian 12):\n" + DOCKER_STEPS_YAML.rstrip()
)
_V1_KEYS = ("softwarepolicy", "repopolicy", "scriptpolicy")


def load_recipe(text: str | bytes, filename: str = "recipe.yaml") -> Recipe:
    """Parse and validate a recipe.

    Args:
        text: the YAML document, as text or as the file's bytes (UTF-8; other
            bytes are reported at their line and column).
        filename: shown in diagnostics.

    Returns:
        The validated recipe; ``recipe.source`` maps values to lines and
        ``recipe.warnings`` holds non-fatal diagnostics.

    Raises:
        RecipeError: with every error found (syntax, schema and semantic), each
            located as ``file:line:col``.
    """
    data, source = load_yaml(text, filename)
    diags = _top_level(data, source)
    if not isinstance(data, dict) or any(d.message in (LEGACY_V1, LEGACY_V2) for d in diags):
        raise RecipeError(diags)
    data = _drop_nulls({k: v for k, v in data.items() if k != "packs"})
    _env_values_as_written(data, source)
    diags += semantic.check(data, source)
    recipe = None
    try:
        recipe = Recipe.model_validate(data)
    except ValidationError as exc:
        diags += translate(exc, Recipe, data, source)
    if recipe is None or any(d.severity == "error" for d in diags):
        raise RecipeError(diags)
    recipe._source = source
    recipe._warnings = tuple(sorted((d for d in diags), key=lambda d: (d.line, d.col)))
    return recipe


def _top_level(data: object, source: SourceMap) -> list[Diagnostic]:
    if not isinstance(data, dict):
        what = "empty" if data is None else "not a mapping"
        return [source.diag((), f'the recipe is {what}; expected a mapping with version: "3"')]
    if "dev" in data:
        return [source.diag(("dev",), LEGACY_V2, at_key=True)]
    for key in _V1_KEYS:
        if key in data:
            return [source.diag((key,), LEGACY_V1, at_key=True)]
    if "packs" in data:
        return [source.diag(("packs",), PACKS, at_key=True)]
    return []


def _drop_nulls(value: object, node: Node = Recipe) -> object:
    """``key: null`` means the key is absent (recipe-spec.md §2), for keys the model knows.

    An unknown key keeps its null so that validation reports it: a typo such as
    ``buld:`` with nothing after it must not pass for an empty recipe.
    """
    if isinstance(value, dict):
        model, known = model_of(node, value), known_keys(node, value)
        return {
            k: _drop_nulls(v, field_node(model, k))
            for k, v in value.items()
            if v is not None or k not in known
        }
    if isinstance(value, list):
        return [_drop_nulls(v, node) for v in value]
    return value


def _env_values_as_written(data: dict, source: SourceMap) -> None:
    """Numbers and booleans in env values become the exact text written (§7.1)."""
    for path, items, _scope in env_lists(data):
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            value = item.get("value")
            if isinstance(value, (bool, int, float)):
                at: Path = path + (index, "value")
                item["value"] = source.plain_text.get(at, str(value))
