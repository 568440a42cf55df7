"""Seeds the base images into the registry's shared ``library/`` namespace.

Idempotent: an image whose registry copy already carries the rootfs checksum label
is left alone.  Imports and pushes go through the Docker CLI against the repo's dockerd.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import requests

from stack import rootfs
from stack.layout import Layout

LABEL = "org.recipe-builder.rootfs.sha256"
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
MANIFEST_TYPES = ", ".join([
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
])


@dataclass(frozen=True)
class BaseImage:
    repository: str  # inside the registry, e.g. library/busybox
    tag: str
    make_tar: Callable[[Path], Path]
    changes: tuple[str, ...]


def base_images(dzlaunch_tag: str) -> list[BaseImage]:
    return [
        BaseImage("library/busybox", "latest", rootfs.busybox_tar,
                  (f"ENV {PATH_ENV}", 'CMD ["/bin/sh"]')),
        BaseImage("library/dzlaunch", dzlaunch_tag, rootfs.dzlaunch_tar,
                  ('CMD ["/dzlaunch"]',)),
        BaseImage("library/devbox", "bookworm", rootfs.devbox_tar,
                  (f"ENV {PATH_ENV}", 'CMD ["/bin/bash"]')),
    ]


def docker(layout: Layout, *args: str, **kw) -> subprocess.CompletedProcess:
    # Debian's client matches the daemon; another docker on PATH may be newer.
    binary = "/usr/bin/docker" if Path("/usr/bin/docker").exists() else shutil.which("docker")
    return subprocess.run([binary, "-H", layout.settings.docker_host, *args],
                          check=True, capture_output=True, text=True, **kw)


def registry_label(registry_url: str, repository: str, tag: str) -> str | None:
    """The rootfs label of ``repository:tag`` in the registry, or None when absent."""
    base = registry_url.rstrip("/") + "/v2/" + repository
    resp = requests.get(f"{base}/manifests/{tag}", headers={"Accept": MANIFEST_TYPES}, timeout=10)
    if resp.status_code != 200:
        return None
    config = requests.get(f"{base}/blobs/{resp.json()['config']['digest']}", timeout=10)
    if config.status_code != 200:
        return None
    return ((config.json().get("config") or {}).get("Labels") or {}).get(LABEL)


def seed(layout: Layout, image: BaseImage, log: Callable[[str], None] = print) -> str:
    """Make sure ``image`` is in the registry; returns what was done."""
    settings = layout.settings
    ref = f"{settings.registry}/{image.repository}:{image.tag}"
    tar = image.make_tar(layout.images_cache)
    checksum = rootfs.file_sha256(tar)
    if registry_label(settings.registry_url, image.repository, image.tag) == checksum:
        return "present"
    log(f"seeding {ref} from {tar.name}")
    changes = [arg for change in (*image.changes, f"LABEL {LABEL}={checksum}")
               for arg in ("--change", change)]
    docker(layout, "import", *changes, str(tar), ref)
    docker(layout, "push", ref)
    return "pushed"


def seed_all(layout: Layout, log: Callable[[str], None] = print) -> dict[str, str]:
    from core.config import dzlaunch_version

    done = {}
    for image in base_images(dzlaunch_version()):
        done[f"{image.repository}:{image.tag}"] = seed(layout, image, log)
    return done
