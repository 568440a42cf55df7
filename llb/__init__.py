"""llb package."""

# The recipe pipeline's stable entry points (docs/design.md, "Recipe pipeline API").
from llb.compiler import CompileInputs, CompileResult, StepInfo, compile_recipe  # noqa: E402
from llb.recipe import Diagnostic, Recipe, RecipeError, TeamNames, load_recipe  # noqa: E402

__all__ = [
    "CompileInputs",
    "CompileResult",
    "Diagnostic",
    "Recipe",
    "RecipeError",
    "StepInfo",
    "TeamNames",
    "compile_recipe",
    "load_recipe",
]
