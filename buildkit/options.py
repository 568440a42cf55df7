"""The inputs and outputs of a solve: options, image config, result.

``ImageConfig`` is the compiler's type (``llb.compiler.image_config``), re-exported: one
type from the compile stage through the queue to the gateway, and llb may not import us.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass

from buildkit.session import CredentialLookup, SecretLookup, anonymous, no_secrets
from llb.compiler.image_config import ImageConfig
from llb.imageref import registry_host


@dataclass(frozen=True)
class SolveOptions:
    """What to do with a Definition besides solving it.

    Attributes:
        image_name: full reference to export as (``127.0.0.1:5000/team/app:tag``);
            None solves without exporting an image.
        push: push ``image_name`` to its registry.
        image_config: runtime config for the image (gateway mode sets it).
        cache_imports: image or cache references to import cache from.
        cache_export: registry cache reference (buildkitd, mode=max).  On Docker
            20.10 only inline cache exists: any value turns inline export on.
        secrets: per-build secret lookup served through the session.
        credentials: per-team registry credentials (session Auth and the push).
        entitlements: e.g. ``("network.host",)`` when ops use host networking.
        insecure_registry: the registry speaks plain HTTP.  buildkitd already talks
            plain HTTP to loopback registries; any other host gets ``registry.insecure``
            on the exporter and the registry cache (see :func:`plain_http_attrs`).
        oci_mediatypes: the registry takes OCI manifests (buildkitd writes them for the
            image and the cache when this holds).
        compression: ``gzip``, ``zstd`` or ``uncompressed``: how the exporter and the
            registry cache write new layers.  Docker 20.10's exporter has no such
            attribute: it always writes gzip.
        compression_level: the compressor's level (gzip 0-9); None keeps the daemon's
            default.  Docker 20.10's exporter ignores it too.
    """

    image_name: str | None = None
    push: bool = True
    image_config: ImageConfig | None = None
    cache_imports: tuple[str, ...] = ()
    cache_export: str | None = None
    secrets: SecretLookup = no_secrets
    credentials: CredentialLookup = anonymous
    entitlements: tuple[str, ...] = ()
    insecure_registry: bool = False
    oci_mediatypes: bool = True
    compression: str = "gzip"
    compression_level: int | None = None


@dataclass(frozen=True)
class SolveResult:
    """What a successful solve produced.

    Attributes:
        image_digest: the manifest digest in the registry when pushed, otherwise
            the exporter's ``containerimage.digest``.
        image_id: the exporter's ``containerimage.digest`` (config digest on Docker).
        exporter_response: the raw ``SolveResponse.ExporterResponse``.
        ref: the build reference used for Solve and Status.
    """

    image_digest: str
    image_id: str
    exporter_response: Mapping[str, str]
    ref: str


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses, with or without a port."""
    name = host
    if name.startswith("["):
        name = name[1:].partition("]")[0]
    elif name.count(":") == 1:
        name = name.partition(":")[0]
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def plain_http_attrs(ref: str, insecure_registry: bool) -> dict[str, str]:
    """``registry.insecure`` for a plain-HTTP registry that is not on loopback.

    buildkitd dials loopback registries over plain HTTP by itself; elsewhere it
    insists on TLS unless told per request.  The attribute replaces the daemon's own
    host configuration for that registry, so it is not set where it is not needed.
    """
    if insecure_registry and not is_loopback(registry_host(ref)):
        return {"registry.insecure": "true"}
    return {}
