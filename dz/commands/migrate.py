"""``dz migrate OLD.yaml [-o NEW.yaml]``: rewrite a legacy recipe as version "3", offline."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from llb import RecipeError, load_recipe
from llb.recipe.legacy import Migration, migrate


def report_lines(name: str, result: Migration) -> list[str]:
    """The report, one line per change and per untranslated item, at the old file's lines."""
    lines = [f"{name}:{note.line}: {note.message}" for note in result.changes]
    lines += [f"{name}:{note.line}: not translated: {note.message}" for note in result.untranslated]
    return lines


@click.command("migrate")
@click.argument("recipe", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the version 3 recipe here (default: standard output).",
)
def migrate_command(recipe: Path, output: Path | None) -> None:
    """Write the version "3" equivalent of the legacy recipe RECIPE.

    What changed and what could not be translated go to stderr, one line each with
    RECIPE's line number; untranslated parts stay in the output as TODO comments.
    Exit 2 when RECIPE cannot be read, 1 when the new recipe still has errors.
    """
    try:
        result = migrate(recipe.read_text(encoding="utf-8"), str(recipe))
    except RecipeError as exc:
        click.echo(exc.render(), err=True)
        sys.exit(2)
    except UnicodeDecodeError as exc:
        click.echo(f"{recipe}: not UTF-8 text: {exc}", err=True)
        sys.exit(2)
    for line in report_lines(str(recipe), result):
        click.echo(line, err=True)
    target = str(output) if output else "<stdout>"
    if output:
        output.write_text(result.yaml, encoding="utf-8")
    else:
        click.echo(result.yaml, nl=False)
    try:
        load_recipe(result.yaml, target)
    except RecipeError as exc:
        # Said plainly rather than hidden: the user has to finish the translation.
        click.echo(f"the new recipe does not validate yet:\n{exc.render()}", err=True)
        sys.exit(1)
    click.echo(
        f"{target}: version 3 recipe written; {len(result.changes)} change(s), "
        f"{len(result.untranslated)} item(s) left as TODO comments",
        err=True,
    )
