"""A worker's pool processes settle their heap after the fork and between jobs
(core/gcsettle.py), through the signals ``celery -A tasks.worker:app`` connects."""

from __future__ import annotations

from celery.signals import task_postrun, worker_process_init

from core import gcsettle


def test_pool_processes_settle_after_fork_and_between_jobs(monkeypatch):
    import tasks.worker  # noqa: F401  (connects the handlers)

    calls: list[str] = []
    monkeypatch.setattr(gcsettle, "settle", lambda: calls.append("settle"))
    monkeypatch.setattr(gcsettle, "settle_if_grown", lambda: calls.append("if grown"))
    worker_process_init.send(sender=None)
    assert calls == ["settle"]
    task_postrun.send(sender=None, task_id="t", task=None, args=(), kwargs={}, retval=None)
    assert calls == ["settle", "if grown"]
