"""Manifest media types, digests and the documents of a single-layer image."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import BinaryIO

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
MANIFEST_TYPES = (OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST)
INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)


def sha256_digest(data: bytes) -> str:
    """``sha256:<hex>`` of ``data``."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def file_digest(stream: BinaryIO, chunk: int = 1 << 20) -> tuple[str, int]:
    """Digest and size of a stream read from its current position to the end."""
    hasher, size = hashlib.sha256(), 0
    while block := stream.read(chunk):
        hasher.update(block)
        size += len(block)
    return "sha256:" + hasher.hexdigest(), size


def canonical_json(document: dict) -> bytes:
    """Stable JSON bytes, so the same document always has the same digest."""
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Descriptor:
    """A content descriptor: media type, digest and size."""

    media_type: str
    digest: str
    size: int

    def as_json(self) -> dict:
        """The descriptor as it appears in a manifest."""
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size}


@dataclass(frozen=True)
class Manifest:
    """A manifest (or index) as fetched: its raw bytes decide its digest."""

    media_type: str
    digest: str
    body: bytes

    @property
    def document(self) -> dict:
        """The manifest body parsed as JSON."""
        return json.loads(self.body)

    @property
    def is_index(self) -> bool:
        """True for an image index or manifest list."""
        return self.media_type in INDEX_TYPES

    def blobs(self) -> list[str]:
        """Digests of the config and layers (empty for an index)."""
        doc = self.document
        if self.is_index:
            return []
        return [doc["config"]["digest"], *(layer["digest"] for layer in doc.get("layers", []))]


def image_config(
    diff_ids: list[str], config: dict | None = None, architecture: str = "amd64"
) -> bytes:
    """An image configuration blob for layers with uncompressed digests ``diff_ids``."""
    document = {
        "architecture": architecture,
        "os": "linux",
        "config": config or {},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": "recipe-builder seed"} for _ in diff_ids],
    }
    return canonical_json(document)


def image_manifest(config: Descriptor, layers: list[Descriptor]) -> bytes:
    """A Docker v2 schema 2 manifest (what Docker 20.10 and BuildKit read everywhere)."""
    document = {
        "schemaVersion": 2,
        "mediaType": DOCKER_MANIFEST,
        "config": config.as_json(),
        "layers": [layer.as_json() for layer in layers],
    }
    return canonical_json(document)
