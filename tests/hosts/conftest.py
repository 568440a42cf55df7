"""Two build hosts share one registry: the Celery-worker harness of tests/e2e."""

from tests.tasks.harness import pipeline  # noqa: F401
