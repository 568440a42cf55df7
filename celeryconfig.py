"""Celery settings only (lowercase), read from the environment through core.config."""

from core.config import Settings as _Settings
from pipeline.control import redelivery_after_s as _redelivery_after_s

_settings = _Settings.from_env()

broker_url = _settings.redis_url
result_backend = _settings.redis_url
task_serializer = "json"
result_serializer = "json"
accept_content = ["json"]
result_accept_content = ["json"]
# A build is acknowledged only when it finished, and a worker that dies mid-build puts
# it back on the queue: redelivery resumes it, with finished steps cached.
task_acks_late = True
task_reject_on_worker_lost = True
worker_prefetch_multiplier = 1
task_default_queue = "compile"
task_routes = {
    "tasks.compile.*": {"queue": "compile"},
    "tasks.build.*": {"queue": "buildqd"},
}
result_expires = 24 * 3600
# Redis redelivers unacknowledged tasks after this; it must outlast the longest build.
# (A waiting build's message held by a killed worker is resent sooner by the reaper:
# see the leases in pipeline/control.py.)
broker_transport_options = {"visibility_timeout": _redelivery_after_s(_settings.build_timeout_s)}
task_track_started = True
worker_send_task_events = True
task_send_sent_event = True
broker_connection_retry_on_startup = True
# The reaper fails builds whose worker stopped sending heartbeats (run by `beat`).
beat_schedule = {
    "reap-stale-builds": {"task": "tasks.maintenance.reap", "schedule": 60.0},
}
