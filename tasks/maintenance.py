"""Maintenance tasks."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="tasks.maintenance.ping")
def ping() -> str:
    """A no-op round trip through a queue: proves a worker consumes it."""
    return "pong"
