"""Launch steps -> the launch manifest; runtime env -> a profile script (§7.1, §8).

Both are written by final file ops, after every build step, so editing them never
invalidates build-step cache. Secret references stay unresolved: at launch the
platform places secret files under ``/run/devzero/secrets``.
"""

from __future__ import annotations

from llb.compiler import environment
from llb.compiler.apt import apt_label, apt_script
from llb.compiler.constants import (
    DEFAULT_SHELL,
    DEFAULT_USER,
    HOME,
    LAUNCH_SECRETS_DIR,
    POSIX_SHELL,
)
from llb.compiler.context import Context
from llb.compiler.credentials import effective_credentials
from llb.compiler.inputs import StepInfo
from llb.compiler.payload import Payload, canonical_json, summary
from llb.compiler.permissions import file_mode
from llb.compiler.scripts import (
    CONTENT_VAR,
    clone_script,
    clone_target,
    default_directory,
    make_directory_script,
    write_file_script,
)
from llb.recipe.interpolation import Reference
from llb.recipe.models import DEFAULT_VOLUMES

PHASE = "launch"


def step_id(index: int) -> str:
    return f"2-launch-step-{index}"


def _files(refs) -> dict[str, str]:
    return {ref: f"{LAUNCH_SECRETS_DIR}/{ref}" for ref in refs}


def _payload(ctx: Context, step, index: int) -> Payload:
    recipe = ctx.recipe
    env = environment.split(
        environment.merge(
            recipe.environment, recipe.launch.environment, getattr(step, "environment", None)
        ),
        ctx.team,
    )
    base = dict(
        id=step_id(index),
        phase=PHASE,
        env=dict(env.literal),
        secret_env=env.secret,
        secret_files=_files(env.references),
    )
    if step.type == "command":
        return Payload(
            **base,
            name=summary(step.command),
            script=step.command,
            shell=step.shell or DEFAULT_SHELL,
            directory=default_directory(step.directory),
            user=step.user or DEFAULT_USER,
        )
    if step.type == "apt-get":
        return Payload(
            **base,
            name=apt_label(step),
            script=apt_script(step),
            shell=POSIX_SHELL,
            directory="/",
            user="root",
        )
    if step.type == "directory":
        script = make_directory_script(
            step.path, file_mode(step.permissions, 0o755), step.user, step.group
        )
        return Payload(
            **base,
            name=f"mkdir {step.path}",
            script=script,
            shell=POSIX_SHELL,
            directory="/",
            user="root",
        )
    if step.type == "file":
        template = environment.resolve(step.content or "", ctx.team)
        refs = [r.key for r in template.references]
        mode = file_mode(step.permissions, 0o644)
        if refs:
            base["secret_env"] = env.secret + ((CONTENT_VAR, template.render()),)
            base["secret_files"] = {**base["secret_files"], **_files(refs)}
        script = write_file_script(
            step.path, mode, step.user, step.group, bool(refs), template.render()
        )
        return Payload(
            **base,
            name=f"write {step.path}",
            script=script,
            shell=POSIX_SHELL,
            directory="/",
            user="root",
        )
    return _clone_payload(ctx, step, index, base)


def _clone_payload(ctx: Context, step, index: int, base: dict) -> Payload:
    root = (ctx.recipe.config.code_clone_root if ctx.recipe.config else None) or HOME
    creds = effective_credentials(ctx, step, (PHASE, "steps", index), step_id(index))
    key = token = None
    if creds.secret and creds.secret in ctx.derived:
        ctx.error(
            (PHASE, "steps", index),
            "git credentials at launch must be exactly one secret reference",
        )
    elif creds.kind == "ssh-private-key":
        key = f"{LAUNCH_SECRETS_DIR}/{creds.secret}"
    elif creds.kind == "github-token":
        token = f"{LAUNCH_SECRETS_DIR}/{creds.secret}"
    if creds.secret:
        base["secret_files"] = {
            **base["secret_files"],
            creds.secret: f"{LAUNCH_SECRETS_DIR}/{creds.secret}",
        }
    target = clone_target(step.url, step.directory, root)
    script = clone_script(step.url, step.branch, target, root, ssh_key_file=key, token_file=token)
    return Payload(
        **base,
        name=f"git clone {step.url}",
        script=script,
        shell=POSIX_SHELL,
        directory=root,
        user=DEFAULT_USER,
    )


def launch_manifest(ctx: Context) -> tuple[str, list[StepInfo]]:
    """Canonical JSON of the manifest, and one StepInfo per launch step."""
    steps, infos = [], []
    for index, step in enumerate(ctx.recipe.launch_steps()):
        steps.append(_payload(ctx, step, index).to_dict())
        infos.append(
            StepInfo(step_id(index), PHASE, step.type, "", ctx.lines((PHASE, "steps", index)))
        )
    config = ctx.recipe.config
    volumes = (
        [(v.path, v.sub_path) for v in config.volumes]
        if config and config.volumes is not None
        else list(DEFAULT_VOLUMES)
    )
    manifest = {"v": 1, "steps": steps, "volumes": [{"path": p, "sub_path": s} for p, s in volumes]}
    return canonical_json(manifest), infos


def _double_quoted(text: str) -> str:
    """Text inside "...": $ expansion kept (runtime values support it), the rest literal."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`")


def runtime_env_script(ctx: Context) -> str | None:
    """``export`` lines for ``runtime.environment``; None when there are none."""
    runtime = ctx.recipe.runtime
    if runtime is None or not runtime.environment:
        return None
    lines = ["# Written by recipe-builder from runtime.environment; sourced by login shells."]
    for var in runtime.environment:
        template = environment.resolve(var.value, ctx.team)
        value = "".join(
            f'$(cat "{LAUNCH_SECRETS_DIR}/{p.key}" 2>/dev/null)'
            if isinstance(p, Reference)
            else _double_quoted(p)
            for p in template.parts
        )
        lines.append(f'export {var.name}="{value}"')
    return "\n".join(lines) + "\n"
