"""Celery settings that do not depend on the deployment (lowercase, Celery's names).

The broker, the result backend and the visibility timeout come from the application's
settings in ``tasks.celery_app.make_celery``: nothing here reads the environment.
"""

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
task_track_started = True
worker_send_task_events = True
task_send_sent_event = True
broker_connection_retry_on_startup = True
# The reaper fails builds whose worker stopped sending heartbeats (run by `beat`).  A
# build whose worker died ends within the reaper's staleness (20 s, pipeline/reaper.py)
# plus this period: well inside a minute.
beat_schedule = {
    "reap-stale-builds": {"task": "tasks.maintenance.reap", "schedule": 10.0},
}
