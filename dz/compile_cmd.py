"""``dz compile RECIPE``: validate and compile a recipe offline, print or save the LLB."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from core.config import Settings
from llb import CompileInputs, RecipeError, TeamNames, compile_recipe, load_recipe
from llb.graph.definition import Definition

TEAM_NAMES_HELP = (
    'JSON file {"namespace": "team-a", "variables": {"NAME": "value"}, '
    '"secrets": {"NAME": "version"}}; without it every team./devzero. name is a secret'
)


def read_team_names(path: Path) -> tuple[TeamNames, str | None]:
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        raise click.BadParameter("expected a JSON object", param_hint="--team-names")
    team = TeamNames(variables=data.get("variables") or {}, secrets=data.get("secrets") or {})
    return team, data.get("namespace")


@click.command("compile")
@click.argument("recipe", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--team-names",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=TEAM_NAMES_HELP,
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the graph like buildctl debug dump-llb."
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the Definition bytes to this file.",
)
@click.option("--base-image", help="Pinned base image (default: the recipe's image or the devbox).")
@click.option(
    "--network",
    type=click.Choice(["host", "none", "unset"]),
    help="Exec network mode (default: RB_NETWORK_MODE).",
)
def compile_command(
    recipe: Path,
    team_names: Path | None,
    as_json: bool,
    output: Path | None,
    base_image: str | None,
    network: str | None,
) -> None:
    """Validate RECIPE and compile it to BuildKit LLB (errors: stderr, exit 2)."""
    settings = Settings.from_env()
    team, namespace = read_team_names(team_names) if team_names else (None, None)
    try:
        parsed = load_recipe(recipe.read_bytes(), str(recipe))
        inputs = CompileInputs(
            base_image=base_image or parsed.image or settings.default_base_image,
            dzlaunch_image=settings.dzlaunch_image,
            network_mode=network or settings.network_mode,
            team=team,
            team_namespace=namespace,
        )
        result = compile_recipe(parsed, inputs)
    except RecipeError as exc:
        click.echo(exc.render(), err=True)
        sys.exit(2)
    for warning in result.warnings:
        click.echo(warning.render(), err=True)
    if output:
        output.write_bytes(result.definition)
    if as_json:
        click.echo(Definition.from_bytes(result.definition).to_json())
    elif not output:
        for step in result.steps:
            click.echo(f"{step.id:<20} {step.name or step.type}")
        click.echo(f"result {result.digest}; secrets: {', '.join(result.secret_ids) or 'none'}")
