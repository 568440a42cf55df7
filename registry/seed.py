"""Base-image seeding: push a rootfs tarball as a single-layer image with the client.

Idempotent without recompressing: the image config (which names the layer's
uncompressed digest) is computed first, and when the tag already points at a manifest
with that config and its blobs, nothing is uploaded.  Compression is deterministic
(``mtime=0``, no file name), so a re-push yields the same digests.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from registry.client import RegistryClient
from registry.errors import NotFound
from registry.manifests import (
    DOCKER_CONFIG,
    DOCKER_LAYER_GZIP,
    DOCKER_MANIFEST,
    Descriptor,
    file_digest,
    image_config,
    image_manifest,
    sha256_digest,
)
from registry.naming import validate_repository, validate_tag

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SeedResult:
    """What seeding did: the manifest digest and whether the push was skipped."""

    repository: str
    tag: str
    digest: str
    skipped: bool


def tar_digest(path: Path) -> str:
    """The uncompressed layer digest (``diff_id``) of a tarball."""
    hasher = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            hasher.update(block)
    return "sha256:" + hasher.hexdigest()


def gzip_deterministic(source: Path, dest: Path) -> None:
    """Compress ``source`` so the same input always gives the same bytes."""
    with source.open("rb") as raw, dest.open("wb") as out:
        with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=6) as gz:
            shutil.copyfileobj(raw, gz, 1 << 20)


def tar_directory(directory: Path, dest: Path) -> Path:
    """Write ``directory``'s tree as a rootfs tarball (sorted entries, numeric owners)."""
    with tarfile.open(dest, "w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(directory.rglob("*")):
            arcname = str(path.relative_to(directory))
            tar.add(path, arcname=arcname, recursive=False, filter=_numeric_owner)
    return dest


def _numeric_owner(info: tarfile.TarInfo) -> tarfile.TarInfo:
    # The image's own /etc/passwd decides names; the build host's must not leak in.
    info.uname = info.gname = ""
    return info


def _already_seeded(client: RegistryClient, repository: str, tag: str, config_digest: str):
    try:
        manifest = client.get_manifest(repository, tag)
    except NotFound:
        return None
    if manifest.is_index or manifest.document.get("config", {}).get("digest") != config_digest:
        return None
    if all(client.blob_exists(repository, blob) for blob in manifest.blobs()):
        return manifest.digest
    return None


def seed_rootfs(
    client: RegistryClient,
    repository: str,
    tag: str,
    rootfs_tar: Path,
    config: dict | None = None,
    architecture: str = "amd64",
) -> SeedResult:
    """Push ``rootfs_tar`` as ``repository:tag``, a one-layer image; skip if present.

    Args:
        client: a client with push rights on ``repository`` (the system credential for
            ``library/…``).
        repository: e.g. ``library/busybox``.
        tag: e.g. ``latest``.
        rootfs_tar: an uncompressed tarball of the image's root file system.
        config: the image's runtime ``config`` (``Env``, ``Cmd``, ``User``, …).
        architecture: the image config's architecture.

    Returns:
        The manifest digest, with ``skipped`` true when nothing had to be pushed.
    """
    validate_repository(repository)
    validate_tag(tag)
    config_blob = image_config([tar_digest(rootfs_tar)], config, architecture)
    config_digest = sha256_digest(config_blob)
    existing = _already_seeded(client, repository, tag, config_digest)
    if existing:
        log.info("seed %s:%s already at %s", repository, tag, existing)
        return SeedResult(repository, tag, existing, skipped=True)
    with tempfile.TemporaryDirectory() as tmp:
        layer_path = Path(tmp) / "layer.tar.gz"
        gzip_deterministic(rootfs_tar, layer_path)
        layer = _push_blob(client, repository, layer_path, DOCKER_LAYER_GZIP)
    config_desc = _push_blob(client, repository, config_blob, DOCKER_CONFIG)
    manifest = image_manifest(config_desc, [layer])
    digest = client.put_manifest(repository, tag, manifest, DOCKER_MANIFEST)
    log.info("seeded %s:%s at %s", repository, tag, digest)
    return SeedResult(repository, tag, digest, skipped=False)


def _push_blob(client: RegistryClient, repository: str, source: bytes | Path, media_type: str):
    if isinstance(source, Path):
        with source.open("rb") as stream:
            digest, size = file_digest(stream)
    else:
        digest, size = sha256_digest(source), len(source)
    if not client.blob_exists(repository, digest):
        client.upload_blob(repository, source, digest)
    return Descriptor(media_type, digest, size)
