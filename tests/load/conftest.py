"""The running system for the load test: the ``stack`` of tests/app/pipekit.py with
more worker processes, so 50 builds fit the time of one test run."""

from __future__ import annotations

import resource
from collections.abc import Iterator

import pytest

from tests.app.apikit import dispose, isolated_settings, make_app
from tests.app.pipekit import ServerThread, Stack
from tests.conftest import free_tcp_port
from tests.tasks.harness import Pipeline, ensure_dzlaunch_image

COMPILE_PROCESSES = 2
BUILDQD_PROCESSES = 4


@pytest.fixture(scope="module")
def load_stack(settings, redis_url, docker_socket, tmp_path_factory) -> Iterator[Stack]:
    """Compile and buildqd workers (prefork pools) and the app served by this process."""
    from core.pipeline.services import Services

    # The web app here holds one socket per follower plus its Redis connections.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(8192, hard)), hard))
    ensure_dzlaunch_image(settings)
    root = tmp_path_factory.mktemp("load")
    with isolated_settings(settings, root) as configured:
        pipe = Pipeline(configured, Services.from_settings(configured), root)
        app = make_app(configured)
        app.extensions["rb.services"].__dict__["celery"] = pipe.app
        server = ServerThread(app, free_tcp_port())
        server.start()
        try:
            pipe.start_worker("compile", concurrency=COMPILE_PROCESSES)
            pipe.start_worker("buildqd", concurrency=BUILDQD_PROCESSES)
            yield Stack(pipe, app, f"http://127.0.0.1:{server.server.server_port}")
        finally:
            pipe.stop()
            server.stop()
            dispose(app)
