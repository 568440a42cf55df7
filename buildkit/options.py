"""The inputs and outputs of a solve: options, image config, result."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from buildkit.session import CredentialLookup, SecretLookup, anonymous, no_secrets


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

    def to_json(self, os_name: str = "linux", architecture: str = "amd64") -> bytes:
        """The image config JSON the exporter expects (rootfs filled in by the daemon)."""
        config: dict = {}
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
        image = {
            "architecture": architecture,
            "os": os_name,
            "config": config,
            "rootfs": {"type": "layers", "diff_ids": []},
            "history": [],
        }
        return json.dumps(image, sort_keys=True).encode()


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


def registry_host(ref: str) -> str:
    """The registry host of an image reference (``127.0.0.1:5000/x/y:z`` → ``127.0.0.1:5000``)."""
    first, sep, _ = ref.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


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
