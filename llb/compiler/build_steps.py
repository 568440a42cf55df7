"""Build steps -> LLB: one layer per step, each on the previous step's root.

``command`` and ``apt-get`` (and files whose content needs a secret, and clones
with an SSH key) run through ``dzlaunch --mode build <payload>``; plain files and
directories are file ops; clones with a token use BuildKit's git source.
"""

from __future__ import annotations

import posixpath
from typing import NamedTuple

from llb.compiler import environment
from llb.compiler.apt import apt_label, apt_script
from llb.compiler.constants import BUILD_SECRETS_DIR, DEFAULT_SHELL, DEFAULT_USER, HOME, POSIX_SHELL
from llb.compiler.context import Context, dzlaunch_args, vertex_name
from llb.compiler.credentials import effective_credentials, single_secret
from llb.compiler.inputs import StepInfo
from llb.compiler.payload import Payload, summary
from llb.compiler.permissions import file_mode
from llb.compiler.scripts import (
    CONTENT_VAR,
    clone_script,
    clone_target,
    default_directory,
    make_directory_script,
    owner_spec,
    write_file_script,
)
from llb.graph.exec import cache_mount, secret_mount
from llb.graph.fileop import copy, mkdir, mkfile
from llb.graph.layers import Layers
from llb.graph.sources import git
from llb.recipe.steps import AptGetStep, CommandStep, DirectoryStep, FileStep, GitCloneStep

PHASE = "build"


def step_id(index: int) -> str:
    return f"1-build-step-{index}"


def _phase_env(ctx: Context, step_env=None) -> dict[str, str]:
    recipe = ctx.recipe
    if not step_env:  # the phase's own env, the same for every such step: merged once
        if ctx.build_env is None:
            ctx.build_env = environment.merge(recipe.environment, recipe.build.environment)
        return ctx.build_env
    return environment.merge(recipe.environment, recipe.build.environment, step_env)


def _versions(ctx: Context, refs) -> dict[str, str]:
    return {ref: ctx.team.version(*ref.split(".", 1)) for ref in refs}


def _run(layers: Layers, ctx: Context, payload: Payload, env, mounts, name: str, path) -> None:
    layers.run(
        dzlaunch_args(payload),
        env=ctx.exec_env(env),
        cwd=payload.directory,
        user=payload.user,
        network=ctx.network,
        mounts=mounts,
        custom_name=name,
        locations=ctx.locations(path),
    )


def command(layers: Layers, ctx: Context, step: CommandStep, index: int, name: str) -> None:
    path = (PHASE, "steps", index)
    user = step.user or DEFAULT_USER
    env = ctx.split_env(_phase_env(ctx, step.environment))
    refs = list(env.references)
    mounts = []
    for i, sm in enumerate(step.secret_mounts or []):
        template = environment.resolve(sm.value, ctx.team)
        ref = single_secret(template)
        if ref is None:
            ref = f"{step_id(index)}.secret_mounts.{i}"
            ctx.derived[ref] = template.render()
            refs.extend(r.key for r in template.references if r.key not in refs)
        elif ref not in refs:
            refs.append(ref)
        uid, gid = ctx.secret_owner(user, path + ("user",))
        ctx.use_secret(ref)
        mounts.append(secret_mount(sm.path, ref, uid=uid, gid=gid))
    mounts += ctx.secret_mounts(env.references, user, path + ("user",))
    payload = Payload(
        id=step_id(index),
        phase=PHASE,
        name=summary(step.command),
        script=step.command,
        shell=step.shell or DEFAULT_SHELL,
        directory=default_directory(step.directory),
        user=user,
        secret_env=env.secret,
        secret_files={r: f"{BUILD_SECRETS_DIR}/{r}" for r in env.references},
        secret_versions=_versions(ctx, refs),
    )
    return _run(layers, ctx, payload, env.literal, mounts, name, path)


def apt_get(layers: Layers, ctx: Context, step: AptGetStep, index: int, name: str) -> None:
    path = (PHASE, "steps", index)
    env = ctx.split_env(_phase_env(ctx))
    mounts = ctx.secret_mounts(env.references, "root", path)
    mounts.append(cache_mount("/var/cache/apt", f"{ctx.namespace}/apt", sharing="locked"))
    payload = Payload(
        id=step_id(index),
        phase=PHASE,
        name=apt_label(step),
        script=apt_script(step),
        shell=POSIX_SHELL,
        directory="/",
        user="root",
        secret_env=env.secret,
        secret_files={r: f"{BUILD_SECRETS_DIR}/{r}" for r in env.references},
        secret_versions=_versions(ctx, env.references),
    )
    return _run(layers, ctx, payload, env.literal, mounts, name, path)


def file(layers: Layers, ctx: Context, step: FileStep, index: int, name: str) -> None:
    path = (PHASE, "steps", index)
    mode = file_mode(step.permissions, 0o644)
    owner = owner_spec(step.user, step.group)
    template = environment.resolve(step.content or "", ctx.team)
    if template.references:
        refs = [r.key for r in template.references]
        payload = Payload(
            id=step_id(index),
            phase=PHASE,
            name=f"write {step.path}",
            script=write_file_script(step.path, mode, step.user, step.group, True),
            shell=POSIX_SHELL,
            directory="/",
            user="root",
            secret_env=((CONTENT_VAR, template.render()),),
            secret_files={r: f"{BUILD_SECRETS_DIR}/{r}" for r in refs},
            secret_versions=_versions(ctx, refs),
        )
        mounts = ctx.secret_mounts(list(dict.fromkeys(refs)), "root", path)
        return _run(layers, ctx, payload, (), mounts, name, path)
    parent = posixpath.dirname(step.path)
    content = template.render()
    if parent == "/":
        action = mkfile(step.path, mode, content, owner=owner)
    else:
        # parents the recipe never created (e.g. ~/.config/code-server) get 0755 and the owner
        action = mkdir(parent, 0o755, parents=True, owner=owner).mkfile(
            step.path, mode, content, owner=owner
        )
    layers.file(action, custom_name=name, locations=ctx.locations(path))


def directory(layers: Layers, ctx: Context, step: DirectoryStep, index: int, name: str) -> None:
    # Spec §4.2: an existing directory gets the step's mode and owner too. BuildKit's
    # mkdir (and copy) leave an existing directory's metadata alone, so this runs as an
    # exec, with the same script the launch phase uses.
    payload = Payload(
        id=step_id(index),
        phase=PHASE,
        name=f"mkdir {step.path}",
        script=make_directory_script(
            step.path, file_mode(step.permissions, 0o755), step.user, step.group
        ),
        shell=POSIX_SHELL,
        directory="/",
        user="root",
    )
    return _run(layers, ctx, payload, (), [], name, (PHASE, "steps", index))


def git_clone(layers: Layers, ctx: Context, step: GitCloneStep, index: int, name: str) -> None:
    path = (PHASE, "steps", index)
    root = (ctx.recipe.config.code_clone_root if ctx.recipe.config else None) or HOME
    target = clone_target(step.url, step.directory, root)
    creds = effective_credentials(ctx, step, path, step_id(index))
    if creds.kind == "ssh-private-key":
        key_file = f"{BUILD_SECRETS_DIR}/{creds.secret}"
        payload = Payload(
            id=step_id(index),
            phase=PHASE,
            name=f"git clone {step.url}",
            script=clone_script(step.url, step.branch, target, root, ssh_key_file=key_file),
            shell=POSIX_SHELL,
            directory=root,
            user=DEFAULT_USER,
            secret_files={creds.secret: key_file},
            secret_versions=_versions(ctx, [creds.secret]),
        )
        mounts = ctx.secret_mounts([creds.secret], DEFAULT_USER, path)
        return _run(layers, ctx, payload, (), mounts, name, path)
    token = creds.secret if creds.kind == "github-token" else None
    if token:
        ctx.use_secret(token)
    checkout = git(
        step.url,
        step.branch or "",
        keep_git_dir=True,
        auth_token_secret=token,
        custom_name=f"{name} (fetch)",
        locations=ctx.locations(path),
    )
    owner = f"{DEFAULT_USER}:{DEFAULT_USER}"
    action = copy(checkout, "/", target, owner=owner, dir_contents_only=True, create_dest_path=True)
    layers.file(action, custom_name=name, locations=ctx.locations(path))


COMPILERS = {
    "command": command,
    "apt-get": apt_get,
    "file": file,
    "directory": directory,
    "git-clone": git_clone,
}


def label(step) -> str:
    """The step's name, else a summary of its content."""
    if step.name and step.name.strip():
        return step.name
    match step.type:
        case "command":
            return summary(step.command)
        case "apt-get":
            return apt_label(step)
        case "file":
            return f"write {step.path}"
        case "directory":
            return f"mkdir {step.path}"
        case _:
            return f"git clone {step.url}"


class BuiltStep(NamedTuple):
    """A compiled build step; its :class:`StepInfo` is made once its op's digest is known."""

    id: str
    type: str
    name: str
    lines: tuple[int, int]
    secrets: tuple[str, ...]

    def info(self, digest: str) -> StepInfo:
        return StepInfo(self.id, PHASE, self.type, self.name, self.lines, digest, self.secrets)


def compile_build(layers: Layers, ctx: Context) -> list[BuiltStep]:
    """Add every build step to ``layers``, one layer each."""
    steps = ctx.recipe.build_steps()
    built = []
    for index, step in enumerate(steps):
        name = vertex_name(PHASE, index, len(steps), label(step))
        ctx.step_secrets = []
        COMPILERS[step.type](layers, ctx, step, index, name)
        lines = ctx.lines((PHASE, "steps", index))
        built.append(BuiltStep(step_id(index), step.type, name, lines, tuple(ctx.step_secrets)))
    return built
