"""The recipe JSON Schema, generated from the models (``llb/recipe.schema.json``).

Regenerate with ``python -m llb.recipe.schema``; a test fails when the committed
file differs from what the models produce.
"""

from __future__ import annotations

import json
from pathlib import Path

from llb.recipe.models import Recipe

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "recipe.schema.json"
SCHEMA_ID = "https://recipe-builder.invalid/schemas/recipe-v3.schema.json"


def recipe_schema() -> dict:
    """The JSON Schema (draft 2020-12) of a v3 recipe."""
    schema = Recipe.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    schema["title"] = "DevZero recipe (format v3)"
    # version accepts "3" and the integer 3 (validated in code, not expressible above)
    schema["properties"]["version"] = {
        "description": 'Recipe format version: "3" (the integer 3 is accepted too).',
        "enum": ["3", 3],
    }
    for definition in [schema, *schema["$defs"].values()]:
        _null_means_absent(definition)
    return schema


_ANNOTATIONS = ("default", "description", "title")


def _null_means_absent(definition: dict) -> None:
    """``key: null`` is accepted wherever the key may be left out (recipe-spec.md §2).

    pydantic allows null only for fields typed ``X | None``; a field with another
    default (``cpu: "auto"``) is optional too, and its null also means "absent".
    """
    required = set(definition.get("required", ()))
    for name, prop in definition.get("properties", {}).items():
        if name in required or {"type": "null"} in prop.get("anyOf", []):
            continue
        value = {k: v for k, v in prop.items() if k not in _ANNOTATIONS}
        kept = {k: v for k, v in prop.items() if k in _ANNOTATIONS}
        prop.clear()
        prop.update(kept, anyOf=[value, {"type": "null"}])


def schema_text() -> str:
    return json.dumps(recipe_schema(), indent=2, sort_keys=True) + "\n"


def main() -> None:
    SCHEMA_PATH.write_text(schema_text())
    print(f"wrote {SCHEMA_PATH.name}")


if __name__ == "__main__":
    main()
