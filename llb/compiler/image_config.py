"""The OCI image config returned beside the Definition, and its one typed form.

:class:`ImageConfig` is the single type for the runtime config of a built image: the
compiler's output is read into it, the build plan carries it across the queue, and
BuildKit's gateway writes it into the image (``buildkit`` re-exports it; ``llb`` may
not import ``buildkit``, so the type lives here).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from llb.compiler import environment
from llb.compiler.constants import (
    DEFAULT_PATH,
    DEFAULT_USER,
    DZLAUNCH,
    HOME,
    KEEP_ALIVE,
    LAUNCH_SECRETS_DIR,
)
from llb.recipe.models import Recipe
from llb.recipe.team import TeamNames


@dataclass(frozen=True)
class ImageConfig:
    """The runtime config written into the image (OCI ``config`` object).

    ``env`` entries are ``KEY=value``; include ``PATH`` since this config replaces
    the base image's.  ``None`` for ``cmd``/``entrypoint`` leaves them unset.
    """

    env: tuple[str, ...] = ()
    user: str = ""
    working_dir: str = ""
    cmd: tuple[str, ...] | None = None
    entrypoint: tuple[str, ...] | None = None
    labels: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_oci(cls, config: Mapping[str, Any]) -> ImageConfig:
        """Read OCI-cased fields (``Env``, ``User``, ``WorkingDir``, ``Cmd``, ...).

        An empty ``Entrypoint`` reads as unset, as the build stage always treated it.
        """
        cmd = config.get("Cmd")
        entrypoint = config.get("Entrypoint")
        return cls(env=tuple(config.get("Env") or ()), user=config.get("User") or "",
                   working_dir=config.get("WorkingDir") or "",
                   cmd=tuple(cmd) if cmd is not None else None,
                   entrypoint=tuple(entrypoint) if entrypoint else None,
                   labels=dict(config.get("Labels") or {}))

    def to_oci(self) -> dict[str, Any]:
        """The OCI ``config`` object: only the fields that are set."""
        config: dict[str, Any] = {}
        if self.env:
            config["Env"] = list(self.env)
        if self.user:
            config["User"] = self.user
        if self.working_dir:
            config["WorkingDir"] = self.working_dir
        if self.cmd is not None:
            config["Cmd"] = list(self.cmd)
        if self.entrypoint is not None:
            config["Entrypoint"] = list(self.entrypoint)
        if self.labels:
            config["Labels"] = dict(self.labels)
        return config

    def to_json(self, os_name: str = "linux", architecture: str = "amd64") -> bytes:
        """The image config JSON an exporter expects (rootfs filled in by the daemon)."""
        image = {
            "architecture": architecture,
            "os": os_name,
            "config": self.to_oci(),
            "rootfs": {"type": "layers", "diff_ids": []},
            "history": [],
        }
        return json.dumps(image, sort_keys=True).encode()


def image_config(recipe: Recipe | None = None, team: TeamNames | None = None) -> dict:
    """The config of a workspace image (docs/design.md, "The image's runtime config").

    ``User`` is root because the entrypoint (``dzlaunch --mode session``) runs the
    launch steps as root under the default ``Cmd``; it then becomes ``devzero`` and
    applies the runtime environment script before exec'ing the command. ``Env`` is the
    environment before that script: ``PATH``, then the literal top-level variables, then
    the ``runtime.environment`` values that shell expansion would not change. Secret
    values never enter the config: the runtime script reads them from files at run
    time, and the entrypoint names those files only to warn when one is missing.
    Returned in OCI form (``CompileResult.image_config``); :meth:`ImageConfig.from_oci`
    reads it. ``recipe=None`` stands for a recipe without any environment.
    """
    team = team or TeamNames()
    top = environment.merge(recipe.environment if recipe else None)
    runtime = recipe.runtime.environment if recipe and recipe.runtime else None
    env = {"PATH": DEFAULT_PATH, **dict(environment.split(top, team).literal)}
    secret_refs: list[str] = []
    for var in runtime or ():
        template = environment.resolve(var.value, team)
        refs = [r.key for r in template.references]
        secret_refs += [ref for ref in refs if ref not in secret_refs]
        if not refs and "$" not in template.render():
            env[var.name] = template.render()
    secret_args = [arg for ref in secret_refs
                   for arg in ("--secret-file", f"{LAUNCH_SECRETS_DIR}/{ref}")]
    return {
        "Env": [f"{name}={value}" for name, value in env.items()],
        "User": "root",
        "WorkingDir": HOME,
        "Entrypoint": [DZLAUNCH, "--mode", "session", "--user", DEFAULT_USER, *secret_args],
        "Cmd": ["--launch", *KEEP_ALIVE],
    }
