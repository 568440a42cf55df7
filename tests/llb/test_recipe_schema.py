"""The committed JSON Schema matches the models, and it describes real recipes."""

from __future__ import annotations

import json

from llb.recipe.schema import SCHEMA_PATH, recipe_schema, schema_text


def test_committed_schema_is_current():
    assert SCHEMA_PATH.read_text() == schema_text(), (
        "llb/recipe.schema.json is stale: run python -m llb.recipe.schema"
    )


def test_schema_names_every_step_type_and_forbids_unknown_keys():
    schema = recipe_schema()
    step_defs = ["CommandStep", "FileStep", "DirectoryStep", "AptGetStep", "GitCloneStep"]
    tags = [schema["$defs"][name]["properties"]["type"]["const"] for name in step_defs]
    assert tags == ["command", "file", "directory", "apt-get", "git-clone"]
    for name, definition in schema["$defs"].items():
        assert definition["additionalProperties"] is False, name
        for field, spec in definition["properties"].items():
            assert spec.get("description"), f"{name}.{field} has no description"
    assert schema["properties"]["version"]["enum"] == ["3", 3]
    assert json.loads(json.dumps(schema)) == schema
