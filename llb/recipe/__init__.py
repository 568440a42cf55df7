"""The recipe language: models (the schema), loader, diagnostics, interpolation."""

from llb.recipe.diagnostics import Diagnostic, RecipeError
from llb.recipe.interpolation import Reference, Template, parse_template
from llb.recipe.loader import load_recipe
from llb.recipe.models import Recipe
from llb.recipe.team import TeamNames

__all__ = [
    "Diagnostic",
    "Recipe",
    "RecipeError",
    "Reference",
    "TeamNames",
    "Template",
    "load_recipe",
    "parse_template",
]
