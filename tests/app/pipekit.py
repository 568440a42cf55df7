"""A whole running system for end-to-end tests of the API, websocket, UI and CLI:
isolated records, real Celery workers (subprocesses, never eager), the real BuildKit
and registry, and the web app served over HTTP on a free port.

Import the fixtures into a test module (``from tests.app.pipekit import *``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
import requests

from app.serving import make_server
from tests.app.apikit import TeamFixture, dispose, isolated_settings, make_app, make_team
from tests.conftest import free_tcp_port
from tests.tasks.harness import Pipeline, busybox_recipe, ensure_dzlaunch_image


@dataclass
class Stack:
    pipeline: Pipeline
    app: object
    url: str

    @property
    def settings(self):
        return self.pipeline.settings

    def team(self) -> TeamFixture:
        import uuid

        return make_team(self.app, f"t{uuid.uuid4().hex[:8]}")

    def recipe(self, *scripts: str) -> str:
        """A busybox recipe whose steps are new to BuildKit's cache (they really run)."""
        import uuid

        run = uuid.uuid4().hex[:12]
        return busybox_recipe(self.settings, *(f"{script} # run {run}" for script in scripts))

    def api(self, team: TeamFixture, method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(method, f"{self.url}/api/v1{path}", headers=team.headers(),
                                timeout=30, **kwargs)

    def wait(self, team: TeamFixture, build_id: str, timeout: float = 300) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            build = self.api(team, "GET", f"/builds/{build_id}").json()
            if build["terminal"]:
                return build
            time.sleep(0.2)
        pytest.fail(f"{build_id} did not end in {timeout}s")


class ServerThread(threading.Thread):
    def __init__(self, app, port: int, **options) -> None:
        super().__init__(daemon=True)
        self.server = make_server("127.0.0.1", port, app, **options)

    def run(self) -> None:
        self.server.serve_forever()

    def stop(self) -> None:
        self.server.shutdown()


@contextmanager
def running_stack(settings, root, *, compile_processes: int = 1,
                  buildqd_processes: int = 2) -> Iterator[Stack]:
    """Compile + buildqd workers, and the app on ``http://127.0.0.1:<port>``."""
    from pipeline.services import Services

    ensure_dzlaunch_image(settings)
    with isolated_settings(settings, root) as configured:
        pipe = Pipeline(configured, Services.from_settings(configured), root)
        app = make_app(configured)
        # The app sends builds through the test's Celery app (queues of this run only).
        app.extensions["rb.services"].__dict__["celery"] = pipe.app
        port = free_tcp_port()
        server = ServerThread(app, port)
        server.start()
        try:
            pipe.start_worker("compile", concurrency=compile_processes)
            pipe.start_worker("buildqd", concurrency=buildqd_processes)
            yield Stack(pipe, app, f"http://127.0.0.1:{port}")
        finally:
            pipe.stop()
            server.stop()
            dispose(app)


@pytest.fixture(scope="module")
def stack(settings, redis_url, docker_socket, tmp_path_factory) -> Iterator[Stack]:
    """:func:`running_stack` with one compile and two buildqd processes."""
    with running_stack(settings, tmp_path_factory.mktemp("stack")) as running:
        yield running


__all__ = ["stack", "Stack"]
