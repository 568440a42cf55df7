"""A build worker refuses to start where build steps would share the host's network
(and so reach Redis, PostgreSQL, Flower and the token service), unless the operator
declared a single-team deployment."""

from __future__ import annotations

import os
import subprocess

import pytest

from core.config import REPO_ROOT
from tests.tasks.harness import CELERY


def start_worker(settings, queue: str, **overrides: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **settings.as_env(), **overrides}
    for key in ("RB_NETWORK_MODE", "RB_ALLOW_UNISOLATED_ENGINE"):
        if key not in overrides:
            env.pop(key, None)
    return subprocess.run(
        [CELERY, "-A", "tasks.worker:app", "worker", "-Q", queue, "--concurrency", "1",
         "--pool", "solo", "--without-gossip", "--without-mingle", "--loglevel", "INFO"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("overrides,reason", [
    ({"RB_BUILDKIT_ADDR": "docker:///nonexistent/docker.sock"}, "RB_ALLOW_UNISOLATED_ENGINE"),
    ({"RB_NETWORK_MODE": "host"}, "RB_NETWORK_MODE=host"),
])
def test_build_worker_refuses_an_unisolated_engine(settings, redis_url, overrides, reason):
    result = start_worker(settings, "buildqd", **overrides)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "buildqd refuses to start" in output and reason in output
