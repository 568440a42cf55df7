"""Debian's docker-registry (distribution 2.8) on loopback, with a generated config."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlparse

import yaml

from core.health import Check, registry_check
from stack import procs
from stack.layout import Layout

NAME = "registry"


def render_config(storage: Path, addr: str) -> dict:
    """Config for an open registry; token auth replaces the ``auth`` section later."""
    return {
        "version": 0.1,
        "log": {"level": "info", "fields": {"service": "registry"}},
        "storage": {
            "filesystem": {"rootdirectory": str(storage)},
            "delete": {"enabled": True},
            "cache": {"blobdescriptor": "inmemory"},
        },
        "http": {"addr": addr, "headers": {"X-Content-Type-Options": ["nosniff"]}},
    }


def write_config(layout: Layout, registry_url: str, name: str = NAME) -> Path:
    url = urlparse(registry_url)
    addr = f"{url.hostname}:{url.port or 80}"
    base = layout.registry_dir if name == NAME else layout.root / name
    base.mkdir(parents=True, exist_ok=True)
    path = base / "config.yml"
    path.write_text(yaml.safe_dump(render_config(base / "storage", addr), sort_keys=False))
    return path


def start(layout: Layout, registry_url: str, name: str = NAME, timeout: float = 20) -> None:
    """Start a registry serving ``registry_url``; tests use other names and ports."""
    config = write_config(layout, registry_url, name)
    binary = shutil.which("docker-registry") or "/usr/bin/docker-registry"
    procs.spawn([binary, "serve", str(config)], layout.run(name), layout.log(name))
    if not procs.wait_until(lambda: registry_check(registry_url).ok, timeout):
        raise RuntimeError(f"{name} did not answer at {registry_url}; see {layout.log(name)}")


def status(layout: Layout) -> Check:
    return registry_check(layout.settings.registry_url)


def up(layout: Layout) -> str:
    if status(layout).ok:
        return "reused" if procs.read_pid(layout.run(NAME)) is None else "running"
    start(layout, layout.settings.registry_url)
    return "started"


def down(layout: Layout, name: str = NAME) -> bool:
    return procs.stop(layout.run(name))
