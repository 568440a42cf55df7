"""Debian's docker-registry (distribution 2.8) on loopback, with token auth.

The config, signing key and certificate bundle come from :mod:`registry.config`; the
realm is served by :mod:`stack.token_service`.
"""

from __future__ import annotations

import shutil

from core.health import Check, registry_check
from pipeline.registry_settings import registry_settings
from registry.config import write_registry_config
from stack import procs
from stack.layout import Layout

NAME = "registry"


def start(layout: Layout, name: str = NAME, timeout: float = 20) -> None:
    """Start a registry for ``layout.settings`` (tests give other names and ports)."""
    settings = layout.settings
    config = write_registry_config(registry_settings(settings))
    binary = shutil.which("docker-registry") or "/usr/bin/docker-registry"
    procs.spawn([binary, "serve", str(config)], layout.run(name), layout.log(name))
    if not procs.wait_until(lambda: registry_check(settings.registry_url).ok, timeout):
        raise RuntimeError(f"{name} did not answer at {settings.registry_url}; "
                           f"see {layout.log(name)}")


def status(layout: Layout) -> Check:
    return registry_check(layout.settings.registry_url)


def up(layout: Layout) -> str:
    if status(layout).ok:
        return "reused" if procs.read_pid(layout.run(NAME)) is None else "running"
    start(layout)
    return "started"


def down(layout: Layout, name: str = NAME) -> bool:
    return procs.stop(layout.run(name))
