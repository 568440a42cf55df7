"""The docker-registry (distribution 2.8) configuration for token authentication.

:func:`render_registry_config` is pure; :func:`write_registry_config` creates the key pair,
the HTTP secret and the storage directory under ``<state_dir>/registry`` and writes
``config.yml`` for ``docker-registry serve``.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import yaml

from registry.keys import ensure_signing_key
from registry.settings import RegistrySettings

CONFIG_FILE = "config.yml"
HTTP_SECRET_FILE = "http-secret"


@dataclass(frozen=True)
class RegistryConfig:
    """What the registry's YAML is made of (all paths absolute)."""

    addr: str
    realm: str
    service: str
    issuer: str
    rootcertbundle: Path
    storage_dir: Path
    http_secret: str
    log_level: str = "info"


def render_registry_config(config: RegistryConfig) -> str:
    """Render the registry's YAML.

    Deletes are enabled so the system credential can remove manifests and blobs; the HTTP
    secret is fixed so upload sessions survive a restart of the registry.

    Args:
        config: the values to render.

    Returns:
        YAML text for ``docker-registry serve``.
    """
    document = {
        "version": "0.1",
        "log": {"level": config.log_level, "formatter": "text"},
        "storage": {
            "filesystem": {"rootdirectory": str(config.storage_dir)},
            "delete": {"enabled": True},
        },
        "http": {"addr": config.addr, "secret": config.http_secret},
        "auth": {
            "token": {
                "realm": config.realm,
                "service": config.service,
                "issuer": config.issuer,
                "rootcertbundle": str(config.rootcertbundle),
            }
        },
    }
    return yaml.safe_dump(document, sort_keys=False)


def config_for(settings: RegistrySettings, directory: Path | None = None) -> RegistryConfig:
    """Gather the registry configuration for ``settings``, creating keys and secrets.

    Args:
        settings: ``host`` gives the listen address; ``realm``, ``service`` and ``issuer``
            the token settings.
        directory: state directory of this registry (default ``settings.state_dir``).
    """
    directory = directory or settings.state_dir
    key = ensure_signing_key(directory)
    storage = directory / "storage"
    storage.mkdir(parents=True, exist_ok=True)
    return RegistryConfig(
        addr=settings.host,
        realm=settings.realm,
        service=settings.service,
        issuer=settings.issuer,
        rootcertbundle=key.bundle_path,
        storage_dir=storage,
        http_secret=_http_secret(directory / HTTP_SECRET_FILE),
    )


def write_registry_config(settings: RegistrySettings, directory: Path | None = None) -> Path:
    """Write ``config.yml`` (and its key pair) for ``settings``; return its path.

    Run the registry with ``docker-registry serve <path>``.
    """
    directory = directory or settings.state_dir
    text = render_registry_config(config_for(settings, directory))
    path = directory / CONFIG_FILE
    path.write_text(text)
    return path


def _http_secret(path: Path) -> str:
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
    return path.read_text().strip()
