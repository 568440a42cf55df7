"""What the registry package needs to know about its installation, and nothing more.

``registry/`` does not read the application's settings: the layers above it (the app,
the pipeline, the stack) build a :class:`RegistrySettings` from theirs, so this package
stays usable, and testable, without the rest of the system.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RegistrySettings:
    """One registry and its token service.

    Attributes:
        host: ``host:port`` the registry listens on, as it appears in image references.
        url: base URL of the registry's HTTP API (``http://host:port``).
        service: the token ``service`` the registry expects.
        issuer: the token ``iss`` the registry trusts.
        realm: URL of the token endpoint the registry points clients to.
        system_user: user name of the all-powerful seeding credential.
        token_ttl_s: lifetime of issued tokens, in seconds.
        state_dir: where the registry's keys, config, credentials and storage live.
    """

    host: str
    url: str
    service: str
    issuer: str
    realm: str
    system_user: str
    token_ttl_s: int
    state_dir: Path
