"""Fault-injection fixtures: a private stack (tests/faults/privstack.py) per module and
real Celery workers on it."""

from __future__ import annotations

import pytest

from core.config import REPO_ROOT
from tests.conftest import need
from tests.faults.privstack import pipeline_on, start_private_stack


@pytest.fixture(scope="module")
def private(settings, docker_socket, redis_url):
    """A private stack with a compile worker and a buildqd worker (2 processes), each
    run under scripts/supervise as the Procfile runs them: a worker that exits comes back."""
    from tests.faults.privstack import _pg_binary

    need(_pg_binary("initdb") is not None, "PostgreSQL server binaries (initdb) are absent")
    stack = start_private_stack(settings)
    pipe = pipeline_on(stack)
    pipe.launcher = (str(REPO_ROOT / "scripts" / "supervise"),)
    try:
        pipe.start_worker("compile", concurrency=1)
        pipe.start_worker("buildqd", concurrency=2)
        pipe.stack = stack
        yield pipe
    finally:
        pipe.stop()
        pipe.services.engine.dispose()
        stack.down()
