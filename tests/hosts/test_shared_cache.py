"""Layer cache shared across build hosts through the registry.

Two buildkitd daemons with roots of their own stand for two build hosts, each with its
own buildqd worker.  A recipe built on host A exports its cache to the team's
``:cache`` ref; the same recipe then built on host B, whose cache is empty, must show
every step CACHED: B imported A's records from the registry.  What this proves and
what it does not is in docs/operations.md ("Cache across build hosts").

The two daemons keep buildkitd's host network (no CNI bridge of their own): the
recipe here is the test's, not a tenant's.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.db import BuildState
from stack import buildkitd, procs
from tests.conftest import need
from tests.faults.privstack import unmount_under
from tests.tasks.harness import busybox_recipe


class BuildHost:
    def __init__(self, settings, root: Path, name: str) -> None:
        self.root, self.name = root, name
        self.socket = root / "buildkitd.sock"
        self.pidfile, self.logfile = root / "buildkitd.pid", root / "buildkitd.log"
        self.address = f"unix://{self.socket}"
        buildkitd.start(settings, self.socket, root / "root", self.pidfile, self.logfile,
                        network=None)

    def stop(self) -> None:
        procs.stop(self.pidfile)
        unmount_under(self.root)


@pytest.fixture(scope="module")
def hosts(settings, build_engine, tmp_path_factory) -> Iterator[tuple[BuildHost, BuildHost]]:
    need(not settings.engine_is_docker, "build hosts here are buildkitd daemons")
    started = []
    try:
        for name in ("a", "b"):
            root = Path(tmp_path_factory.mktemp(f"host-{name}"))
            started.append(BuildHost(settings, root, name))
        yield started[0], started[1]
    finally:
        for host in started:
            host.stop()


def run_on(pipeline, host: BuildHost, team, recipe: str):
    worker = pipeline.start_worker(
        "buildqd", settings=pipeline.settings.with_overrides(buildkit_addr=host.address,
                                                             network_mode="unset"))
    try:
        build = pipeline.wait(pipeline.submit(team, recipe), timeout=600)
    finally:
        pipeline.kill_worker("buildqd")
    assert worker.returncode is not None
    assert build.state is BuildState.SUCCEEDED, build.error_message
    return build, {s.step_id: s.cached for s in pipeline.steps(build.id) if s.step_id}


@pytest.fixture(scope="module")
def pipeline_without_buildqd(pipeline):
    """The shared harness, minus its buildqd worker: each host brings its own."""
    pipeline.kill_worker("buildqd")
    return pipeline


def test_a_recipe_built_on_host_a_is_all_cached_on_host_b(pipeline_without_buildqd, hosts):
    pipeline = pipeline_without_buildqd
    host_a, host_b = hosts
    token = uuid.uuid4().hex[:8]
    team = pipeline.team()
    recipe = busybox_recipe(pipeline.settings, f"echo one-{token} > /one",
                            f"cat /one > /two # {token}", f"echo three-{token} > /three")

    on_a, cached_a = run_on(pipeline, host_a, team, recipe)
    assert cached_a == {"1-build-step-0": False, "1-build-step-1": False,
                        "1-build-step-2": False}

    on_b, cached_b = run_on(pipeline, host_b, team, recipe)
    assert cached_b == {step: True for step in cached_a}, cached_b
    assert f"importing cache manifest from {on_a.cache_ref}" in pipeline.log_text(on_b.id)
