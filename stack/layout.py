"""Where the stack keeps its files under the state directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.config import Settings


@dataclass(frozen=True)
class Layout:
    settings: Settings

    @property
    def root(self) -> Path:
        return self.settings.state_dir

    def run(self, name: str) -> Path:
        """Pidfile of a service the stack started."""
        return self.root / "run" / f"{name}.pid"

    def log(self, name: str) -> Path:
        return self.root / "log" / f"{name}.log"

    @property
    def docker_dir(self) -> Path:
        return self.root / "docker"

    @property
    def registry_dir(self) -> Path:
        return self.root / "registry"

    @property
    def images_cache(self) -> Path:
        """Rootfs tarballs survive ``down`` and new checkouts: a rerun takes seconds."""
        return self.settings.cache_dir / "rootfs"
