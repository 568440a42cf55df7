"""``dz workspace build --recipe-file=…``: DevZero's spelling (recipe-spec.md §11)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console

from dz.commands.builds import follow_build, report, save_recipe
from dz.commands.client import Client

# Looked for, in order, when --recipe-file is not given (recipe-spec.md §11).
RECIPE_FILES = ("recipe.yml", "recipe.yaml", ".recipe.yml", ".recipe.yaml", "dz.recipe.yml",
                "dz.recipe.yaml", ".dz.recipe.yml", ".dz.recipe.yaml", ".devzero/recipe.yml",
                ".devzero/recipe.yaml", "DZ_RECIPE.yml")


def find_recipe_file(directory: Path) -> Path:
    for name in RECIPE_FILES:
        if (directory / name).is_file():
            return directory / name
    raise click.ClickException(f"no recipe file in {directory} (looked for "
                               f"{', '.join(RECIPE_FILES)})")


@click.group("workspace")
def workspace() -> None:
    """DevZero-style workspace commands."""


@workspace.command("build")
@click.option("--recipe-file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", help="recipe name (default: from the directory name)")
def workspace_build(recipe_file: Path | None, name: str | None) -> None:
    """Save the recipe, build it and follow the build; exit status = result."""
    client = Client.load()
    path = recipe_file or find_recipe_file(Path.cwd())
    recipe = save_recipe(client, path, name or _default_name(path))
    started = client.json("POST", "/builds", json={"recipe_id": recipe["id"]})
    result = follow_build(client, started["id"], Console(stderr=True))
    if result["state"] != "succeeded":
        report(result)
        sys.exit(1)
    click.echo("🚀\tBuild was successful!")
    click.echo("👉\tTo launch a workspace from this build:")
    click.echo(f"dz workspace create --build-id {result['id']} --recipe-id {recipe['id']}")


def _default_name(path: Path) -> str:
    from dz.commands.builds import recipe_name

    generic = path.name.lower().lstrip(".").startswith(("recipe", "dz", "devzero", "dz_recipe"))
    return recipe_name(path.resolve().parent if generic else path)
