"""The layers of a build's source images, and linking them into its repository.

A recipe's first build pushes into a repository that holds none of its base image's
layers.  buildkitd avoids sending a layer only by a cross-repository mount, and it
tries one candidate: a repository it last saw holding the blob, often another team's,
which the token service refuses (as it must), so it then uploads the layer: the
devbox base is ~100 MB, sent twice at once (image push and cache export).  Linking
the source layers into the target repository before the push, from the source's own
repository (every team may pull the shared base images), leaves the push nothing to
send for them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from registry.client import RegistryClient
from registry.errors import RegistryError
from registry.naming import ImageRef, parse_ref

log = logging.getLogger(__name__)


def layer_digests(registry: RegistryClient, ref: ImageRef) -> list[str]:
    """The layer digests of ``ref``'s linux/amd64 image (through an index if it is one)."""
    manifest = registry.get_manifest(ref.repository, ref.digest or ref.tag)
    if manifest.is_index:
        entries = manifest.document.get("manifests", ())
        platform = next((m for m in entries if m.get("platform", {}).get("os") == "linux"
                         and m.get("platform", {}).get("architecture") == "amd64"), None)
        if platform is None:
            return []
        manifest = registry.get_manifest(ref.repository, platform["digest"])
    return [layer["digest"] for layer in manifest.document.get("layers", ())]


def same_registry(image: str, sources: Iterable[str]) -> list[ImageRef]:
    """The ``sources`` on ``image``'s registry (others are not ours to ask)."""
    host = parse_ref(image).registry
    return [ref for ref in map(parse_ref, sources) if ref.registry == host]


def link_source_layers(registry: RegistryClient, image: str, sources: Iterable[str]) -> int:
    """Mount each layer of ``sources`` that ``image``'s repository lacks; how many were.

    Best effort: a registry that refuses or cannot mount leaves the push to upload, as
    it did before.
    """
    target = parse_ref(image).repository
    linked = 0
    try:
        for source in same_registry(image, sources):
            for digest in layer_digests(registry, source):
                if not registry.blob_exists(target, digest) and \
                        registry.mount_blob(target, digest, source.repository):
                    linked += 1
    except RegistryError as err:
        log.warning("could not link the source layers of %s: %s", image, err)
    return linked
