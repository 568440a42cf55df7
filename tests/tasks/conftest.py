"""Fixtures of the pipeline tests (defined in harness.py, shared with tests/e2e)."""

from tests.tasks.harness import pipeline  # noqa: F401
