"""``compile_recipe``: a validated recipe + compile inputs -> LLB Definition and image config.

The whole compile is a pure function: no clock, randomness or I/O, so the same
recipe and inputs always give the same bytes. Shape (recipe-spec.md §9.2, issue 3):

    base image -> copy dzlaunch -> mkdir startup-scripts, /home/devzero
      -> one layer per build step -> launch manifest -> runtime env script
"""

from __future__ import annotations

from llb.compiler.build_steps import compile_build
from llb.compiler.constants import (
    DZLAUNCH,
    DZLAUNCH_IN_IMAGE,
    HOME,
    LAUNCH_MANIFEST,
    RUNTIME_ENV_SCRIPT,
    STARTUP_DIR,
)
from llb.compiler.context import Context
from llb.compiler.image_config import image_config
from llb.compiler.inputs import CompileInputs, CompileResult, StepInfo
from llb.compiler.launch import launch_manifest, runtime_env_script
from llb.graph.fileop import copy, mkdir, mkfile
from llb.graph.layers import Layers
from llb.graph.sources import image
from llb.imageref import split_ref
from llb.recipe import semantic
from llb.recipe.diagnostics import RecipeError
from llb.recipe.models import Recipe


def compile_recipe(recipe: Recipe, inputs: CompileInputs) -> CompileResult:
    """Compile ``recipe`` to an LLB Definition.

    Args:
        recipe: from :func:`llb.load_recipe` (its source map gives op locations and
            error lines).
        inputs: pinned image references, network mode and the team's names.

    Returns:
        The Definition bytes, image config, per-step info, the secret ids the
        session must serve, and warnings.

    Raises:
        RecipeError: unknown secret references, an image outside the team's
            namespace, or a step that cannot own its secret files.

    Example:
        >>> result = compile_recipe(load_recipe(text, "recipe.yaml"), CompileInputs(
        ...     base_image="127.0.0.1:5000/library/busybox@sha256:…",
        ...     dzlaunch_image="127.0.0.1:5000/library/dzlaunch@sha256:…"))
    """
    ctx = Context(recipe, inputs)
    _check_names(ctx)
    layers = _setup(ctx)
    built = compile_build(layers, ctx)
    launch_infos = _finish(layers, ctx)
    if ctx.errors:
        raise RecipeError(ctx.errors)
    definition = layers.definition()
    names = {name: digest for digest, name in definition.names().items()}
    steps = tuple([step.info(names.get(step.name, "")) for step in built]) + tuple(launch_infos)
    return CompileResult(
        definition=definition.to_bytes(),
        image_config=image_config(recipe, ctx.team),
        steps=steps,
        secret_ids=tuple(ctx.secret_ids),
        derived_secrets=dict(ctx.derived),
        warnings=tuple(recipe.warnings) + tuple(ctx.warnings),
        digest=definition.head[0],
    )


def _check_names(ctx: Context) -> None:
    recipe, source = ctx.recipe, ctx.recipe.source
    if source is not None:
        # Without None values the dump reads like the loader's data (nulls dropped), which
        # the rules walk alike; and it costs a third less to make.
        data = recipe.model_dump(exclude_none=True)
        ctx.errors += semantic.check_team(data, source, ctx.inputs.team)
    namespace = ctx.inputs.team_namespace
    if recipe.image and namespace and not _in_namespace(recipe.image, namespace):
        ctx.error(
            ("image",),
            f"image must be in the team's namespace '{namespace}/' or in "
            f"'library/': {recipe.image}",
        )


def _in_namespace(ref: str, namespace: str) -> bool:
    return split_ref(ref).path.startswith((f"{namespace}/", "library/"))


def _setup(ctx: Context) -> Layers:
    platform = ctx.inputs.platform
    where = ctx.locations(("image",)) if ctx.recipe.image else ()
    base = image(ctx.inputs.base_image, platform=platform, locations=where)
    launcher = image(ctx.inputs.dzlaunch_image, platform=platform)
    layers = Layers(base)
    layers.file(
        copy(launcher, DZLAUNCH_IN_IMAGE, DZLAUNCH, create_dest_path=True),
        custom_name="[setup] copy dzlaunch",
    )
    # uid 1000 rather than a name: the base image may not have a devzero user yet
    layout = mkdir(STARTUP_DIR, 0o755, parents=True).mkdir(
        HOME, 0o755, parents=True, owner=(1000, 1000)
    )
    layers.file(layout, custom_name=f"[setup] mkdir {STARTUP_DIR} {HOME}")
    return layers


def _finish(layers: Layers, ctx: Context) -> list[StepInfo]:
    manifest, infos = launch_manifest(ctx)
    where = ctx.locations(("launch",)) if ctx.recipe.launch else ()
    layers.file(
        mkfile(LAUNCH_MANIFEST, 0o644, manifest),
        custom_name=f"[launch] write {LAUNCH_MANIFEST}",
        locations=where,
    )
    script = runtime_env_script(ctx)
    if script is not None:
        layers.file(
            mkdir("/etc/profile.d", 0o755, parents=True).mkfile(RUNTIME_ENV_SCRIPT, 0o644, script),
            custom_name=f"[runtime] write {RUNTIME_ENV_SCRIPT}",
            locations=ctx.locations(("runtime",)),
        )
    return infos
