"""Seeds the base images into the registry's shared ``library/`` namespace.

Pushed with the registry client and the system credential (no Docker CLI); seeding
is idempotent: an image whose tag already carries the same config (which names the
rootfs digest) is skipped without recompressing anything.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.config import Settings
from pipeline.registry_settings import registry_settings
from registry.seed import seed_rootfs
from registry.wiring import system_client
from stack import rootfs
from stack.layout import Layout

PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class BaseImage:
    repository: str  # inside the registry, e.g. library/busybox
    tag: str
    make_tar: Callable[[Path, Settings], Path]
    config: dict


def base_images(dzlaunch_tag: str) -> list[BaseImage]:
    return [
        BaseImage("library/busybox", "latest", lambda cache, _: rootfs.busybox_tar(cache),
                  {"Env": [PATH_ENV], "Cmd": ["/bin/sh"]}),
        BaseImage("library/dzlaunch", dzlaunch_tag, lambda cache, _: rootfs.dzlaunch_tar(cache),
                  {"Cmd": ["/dzlaunch"]}),
        BaseImage("library/devbox", "bookworm",
                  lambda cache, settings: rootfs.devbox_tar(cache, settings.debian_mirror),
                  {"Env": [PATH_ENV], "Cmd": ["/bin/bash"]}),
    ]


def seed(layout: Layout, image: BaseImage, log: Callable[[str], None] = print) -> str:
    """Make sure ``image`` is in the registry; returns what was done."""
    started = time.monotonic()
    tar = image.make_tar(layout.images_cache, layout.settings)
    client = system_client(registry_settings(layout.settings))
    result = seed_rootfs(client, image.repository, image.tag, tar, config=image.config)
    if result.skipped:
        return "present"
    log(f"seeded {image.repository}:{image.tag} from {tar.name} at {result.digest} "
        f"in {time.monotonic() - started:.0f}s")
    return "pushed"


def seed_all(layout: Layout, log: Callable[[str], None] = print) -> dict[str, str]:
    from core.config import dzlaunch_version

    return {f"{image.repository}:{image.tag}": seed(layout, image, log)
            for image in base_images(dzlaunch_version())}
