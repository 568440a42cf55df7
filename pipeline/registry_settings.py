"""The registry package's settings, taken from the application's.

``registry/`` sits below ``core/``'s configuration by design (it must not import it), so
the translation lives here, the lowest layer above ``registry/`` that every user of the
registry (the pipeline, tasks, the app, the stack, tests and benchmarks) may import.
"""

from __future__ import annotations

from core.config import Settings
from registry.settings import RegistrySettings


def registry_settings(settings: Settings) -> RegistrySettings:
    """The :class:`RegistrySettings` of this installation."""
    return RegistrySettings(
        host=settings.registry,
        url=settings.registry_url,
        service=settings.registry_service,
        issuer=settings.registry_issuer,
        realm=settings.registry_realm,
        system_user=settings.registry_system_user,
        token_ttl_s=settings.registry_token_ttl_s,
        state_dir=settings.state_dir / "registry",
    )
