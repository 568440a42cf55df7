"""The running system for the load test: the ``stack`` of tests/app/pipekit.py with
more worker processes, so 50 builds fit the time of one test run, and its web app
served by the production server (``python -m app``, gunicorn) in a process of its
own, which every request and websocket of the test goes through."""

from __future__ import annotations

import dataclasses
import resource
from collections.abc import Iterator

import pytest

from app.serving import production_server
from tests.app.pipekit import Stack, running_stack
from tests.conftest import free_tcp_port
from tests.load.webapp import celery_env

COMPILE_PROCESSES = 2
BUILDQD_PROCESSES = 4


@dataclasses.dataclass
class LoadStack(Stack):
    web_pid: int = 0  # the production server's master; its worker is its child


@pytest.fixture(scope="module")
def load_stack(settings, redis_url, docker_socket, tmp_path_factory) -> Iterator[LoadStack]:
    """:func:`running_stack` with more worker processes, served by the production server."""
    # The web app holds one socket per follower plus its Redis connections; the
    # server's processes inherit this limit.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(8192, hard)), hard))
    root = tmp_path_factory.mktemp("load")
    with running_stack(settings, root, compile_processes=COMPILE_PROCESSES,
                       buildqd_processes=BUILDQD_PROCESSES) as running:
        port = free_tcp_port()
        env = {**running.settings.as_env(), **celery_env(running.pipeline.app)}
        with open(root / "web.log", "ab") as log, production_server(
                "tests.load.webapp:create()", port, env=env, log=log) as web:
            fields = {f.name: getattr(running, f.name) for f in dataclasses.fields(Stack)}
            yield LoadStack(**{**fields, "url": f"http://127.0.0.1:{port}"}, web_pid=web.pid)
