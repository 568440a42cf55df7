"""The build pipeline's orchestration: what the thin Celery tasks in ``tasks/`` call.

Modules, one job each: ``services`` (clients from settings), ``keys`` (Redis names),
``control`` (cancel flag, heartbeats, team slots), ``inputs`` (pinning and team
names), ``credentials`` (registry credential providers), ``secrets`` (solve-time
secret values, memory only), ``logwriter`` and ``steps`` (BuildKit events to the log
bus and step records), ``headers`` (the log's pipeline lines), ``dedupe``,
``finalize``, ``compiling`` and ``building`` (the two task bodies) and ``reaper``.
"""
