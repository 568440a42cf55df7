"""gunicorn's settings for the web process: ``python -m app`` serves with them, and so
does ``gunicorn -c python:app.gunicorn_conf``.  Options on the command line or in
``GUNICORN_CMD_ARGS`` override them; ``WEB_CONCURRENCY`` sets the worker count.

* One worker process, with ``gthread`` threads (:class:`app.serving.ProductionWorker`):
  a websocket follower holds a pool thread for as long as it follows (flask-sock
  serves it inside the request), besides the relay's writer thread and
  simple-websocket's reader thread.  A follower past ``threads`` would wait for a
  free pool thread, and so would every plain request behind it, so there are about
  twice the 500 followers the load test opens (tests/load: with them the worker
  peaked at about 1400 threads and 240 MiB).  Idle threads cost little.  A second
  worker would split followers and requests between interpreters, but the web tier
  is not what is busy on the log path: relaying 50 000 lines took the worker about
  0.2 s of CPU (bench/logpath.py under py-spy).
* ``keepalive``: an idle kept-alive connection waits in the worker's poller, without
  a thread, this long before it is closed.
* ``timeout``: the arbiter restarts a worker that stops reporting for this long;
  the gthread worker reports from its own loop, so a long websocket does not count.
* The access log is off (the benchmarks and the load test turned werkzeug's off
  too): clients poll, and a line per poll buries the log's errors.  Turn it on
  with ``--access-logfile -``; errors go to stderr.
"""

from __future__ import annotations

from core import gcsettle
from core.config import Settings

_settings = Settings.from_env()
_settings.state_dir.mkdir(parents=True, exist_ok=True)

wsgi_app = "app:create_app()"
bind = [f"{_settings.web_host}:{_settings.web_port}"]
worker_class = "app.serving.ProductionWorker"
threads = 1024
worker_connections = 2048  # threads' connections plus kept-alive idle ones
keepalive = 5
limit_request_line = 8190  # gunicorn's largest (werkzeug took 65 536)
timeout = 30
graceful_timeout = 5  # followers reconnect with from=<seq>; no need to wait for them
# The control socket's default path is one per user: the web app, the token service
# and tests' servers on one machine would each take it from the other.
control_socket_disable = True
errorlog = "-"
accesslog = None
loglevel = "info"


def post_worker_init(worker) -> None:
    # The app is made (it is loaded in the worker): freeze what start-up made, so full
    # garbage collections walk only what requests make and do not stall live log
    # relays (core/gcsettle.py).
    gcsettle.settle()
