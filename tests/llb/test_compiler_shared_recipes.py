"""Every shared real-world recipe compiles offline, and deterministically."""

from __future__ import annotations

from llb import compile_recipe, load_recipe
from llb.graph.definition import Definition
from tests.llb.compile_helpers import inputs


def test_every_shared_recipe_compiles_twice_to_the_same_bytes(shared_dir):
    for path in sorted((shared_dir / "recipes").glob("*.yaml")):
        recipe = load_recipe(path.read_text(), path.name)
        first = compile_recipe(recipe, inputs())
        again = compile_recipe(load_recipe(path.read_text(), path.name), inputs())
        assert first.definition == again.definition, path.name
        definition = Definition.from_bytes(first.definition)
        build = [s for s in first.steps if s.phase == "build"]
        assert len(build) == len(recipe.build_steps()), path.name
        assert all(s.digest in definition.digests for s in build), path.name
        assert len(first.definition) < 4 * 1024 * 1024


def test_neon_recipe_secret_reaches_steps_only_by_mount(shared_dir):
    text = (shared_dir / "recipes" / "40-neondb-todo-serialized.yaml").read_text()
    result = compile_recipe(load_recipe(text, "40.yaml"), inputs())
    assert result.secret_ids == ("team.DATABASE_URL", "devzero.GITHUB_ACCESS_TOKEN")
    npm = next(s for s in result.steps if s.id == "1-build-step-3")
    assert npm.secrets == ("team.DATABASE_URL",)
