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

from llb.compiler.constants import DEFAULT_PATH, DZLAUNCH, HOME, KEEP_ALIVE


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


def image_config() -> dict:
    """Env, User, WorkingDir and a Cmd that runs launch steps, then keeps the workspace alive.

    ``User`` is root because ``dzlaunch --mode launch`` switches to each step's user.
    Returned in OCI form (``CompileResult.image_config``); :meth:`ImageConfig.from_oci`
    reads it.
    """
    return {
        "Env": [f"PATH={DEFAULT_PATH}"],
        "User": "root",
        "WorkingDir": HOME,
        "Cmd": [DZLAUNCH, "--mode", "launch", "--then", *KEEP_ALIVE],
    }
