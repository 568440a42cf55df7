"""Fixtures for tests that drive several packages against the real services."""

from __future__ import annotations

import pytest

from core.config import Settings


@pytest.fixture(scope="session")
def pinned(settings: Settings):
    """Resolves ``<registry>/library/...`` tags to digests, as the pipeline does first."""
    from pipeline.registry_settings import registry_settings
    from registry.naming import parse_ref
    from registry.wiring import system_client

    client = system_client(registry_settings(settings))

    def pin(ref: str) -> str:
        parsed = parse_ref(ref)
        return f"{ref.rsplit(':', 1)[0]}@{client.resolve(parsed)}"

    return pin


@pytest.fixture(scope="session")
def buildkit_client(settings: Settings, build_engine):
    import buildkit

    with buildkit.connect(settings.buildkit_addr) as client:
        yield client


# The pipeline with real Celery workers (tests/e2e/test_pipeline_*.py); defined beside
# the pipeline's own tests so both folders share one harness.
from tests.tasks.harness import pipeline  # noqa: E402, F401
