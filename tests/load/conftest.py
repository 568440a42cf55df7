"""The running system for the load test: the ``stack`` of tests/app/pipekit.py with
more worker processes, so 50 builds fit the time of one test run."""

from __future__ import annotations

import resource
from collections.abc import Iterator

import pytest

from tests.app.pipekit import Stack, running_stack

COMPILE_PROCESSES = 2
BUILDQD_PROCESSES = 4


@pytest.fixture(scope="module")
def load_stack(settings, redis_url, docker_socket, tmp_path_factory) -> Iterator[Stack]:
    """:func:`running_stack` with more worker processes."""
    # The web app here holds one socket per follower plus its Redis connections.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(8192, hard)), hard))
    with running_stack(settings, tmp_path_factory.mktemp("load"),
                       compile_processes=COMPILE_PROCESSES,
                       buildqd_processes=BUILDQD_PROCESSES) as running:
        yield running
