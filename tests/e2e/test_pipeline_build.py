"""End to end through real workers: recipe → compile → solve → push → records and logs."""

from __future__ import annotations

import json
import re
import uuid

import pytest

import buildkit
from buildkit.engine import EngineClient
from core.db import BuildState
from pipeline.registry_settings import registry_settings
from registry.auth import Credentials
from registry.client import RegistryClient
from registry.errors import Denied
from registry.naming import parse_ref
from registry.wiring import system_client, team_worker_credentials
from tests.tasks.harness import busybox_recipe


def test_busybox_recipe_builds_pushes_and_records_steps_and_log(pipeline):
    token = uuid.uuid4().hex[:8]
    team = pipeline.team()
    recipe = busybox_recipe(pipeline.settings, f"echo hello-{token}", "echo second > /tmp/2")
    build_id = pipeline.submit(team, recipe)

    build = pipeline.wait(build_id)

    assert build.state is BuildState.SUCCEEDED, build.error_message
    ref = parse_ref(build.image_ref)
    assert ref.repository.startswith(f"{team.slug}/")
    with system_client(registry_settings(pipeline.settings)) as client:
        assert client.resolve(ref) == build.image_digest
    # Pushed by the worker path, the image is pullable by its team and by no other.
    workers = team_worker_credentials(registry_settings(pipeline.settings))
    url = pipeline.settings.registry_url
    with RegistryClient(url, Credentials(*workers.for_team(team.slug))) as own:
        assert own.resolve(ref) == build.image_digest
    with RegistryClient(url, Credentials(*workers.for_team("someone-else"))) as other:
        with pytest.raises(Denied):
            other.resolve(ref)
    if pipeline.settings.engine_is_docker:
        # Once in the registry it is no longer tagged in the daemon, where builds would
        # pile up out of reach of the build cache's pruning (the cache keeps the layers
        # later builds reuse: see the rebuild test below).
        engine = EngineClient(str(pipeline.settings.docker_socket))
        assert engine.inspect_image(build.image_ref) is None
    steps = pipeline.steps(build_id)
    recipe_steps = [s for s in steps if s.step_id]
    assert [s.step_id for s in recipe_steps] == ["1-build-step-0", "1-build-step-1"]
    assert all(s.exit_status == 0 for s in recipe_steps)
    text = pipeline.log_text(build_id)
    assert f"Build {build_id} started at " in text
    assert f"hello-{token}" in text
    for line in ("Fetching secrets for this build...", "0 secrets fetched.",
                 "Build completed", "The image was successfully built."):
        assert line in text


def test_the_push_is_a_step_with_its_bytes_rate_and_time(pipeline):
    # A new 3 MB layer, so the push has bytes to move on either engine.
    recipe = busybox_recipe(pipeline.settings,
                            f"head -c 3000000 /dev/urandom > /blob-{uuid.uuid4().hex[:8]}")
    build_id = pipeline.submit(pipeline.team(), recipe)
    build = pipeline.wait(build_id)
    assert build.state is BuildState.SUCCEEDED, build.error_message

    name = f"[push] {build.image_ref}"
    steps = pipeline.steps(build_id)
    (push,) = [s for s in steps if s.name == name]
    assert push.error is None and push.completed_at >= push.started_at
    assert steps[-1] is push or steps.index(push) > [s.name for s in steps].index(
        "exporting to image")
    records = [json.loads(e.text) for e in pipeline.services.bus.read(build_id)
               if e.kind == "vertex" and e.vertex == f"push:{build.image_ref}"]
    kinds = [r["type"] for r in records]
    assert kinds[0] == "vertex.started" and kinds[-1] == "vertex.completed", kinds
    final = [r for r in records if r["type"] == "vertex.progress"][-1]
    assert final["current"] >= 3_000_000 * 0.9  # urandom does not compress
    assert final["total"] >= final["current"] and final["rate_bps"] > 0
    text = pipeline.log_text(build_id)
    number = re.search(rf"^#(\d+) {re.escape(name)}$", text, re.M).group(1)
    # Other vertexes (the cache export) may print between the push step's lines.
    assert re.search(rf"^#{number} [\d.]+ MB / [\d.]+ MB [\d.]+s \([\d.]+ MB/s\)\n"
                     rf"#{number} DONE [\d.]+s$", text, re.M), text


def test_failing_step_fails_the_build_naming_step_and_recipe_line(pipeline):
    team = pipeline.team()
    failing = f"echo boom-{uuid.uuid4().hex[:6]}; exit 3"
    recipe = busybox_recipe(pipeline.settings, "echo fine", failing)
    build_id = pipeline.submit(team, recipe)

    build = pipeline.wait(build_id)

    assert build.state is BuildState.FAILED
    assert build.error_step_id == "1-build-step-1"
    # The second step is written on lines 9-12 of the recipe.
    assert build.error_line is not None and 9 <= build.error_line <= 12
    assert f"line {build.error_line}" in build.error_message
    assert build.image_digest is None
    text = pipeline.log_text(build_id)
    assert text.rstrip().endswith("Build failed with code 3")
    failed = [s for s in pipeline.steps(build_id) if s.step_id == "1-build-step-1"]
    assert failed and failed[0].exit_status == 3


def test_unchanged_rebuild_is_all_cached_and_changing_step_k_reruns_k_to_n(pipeline):
    token = uuid.uuid4().hex[:8]
    team = pipeline.team()
    scripts = [f"echo one-{token}", f"echo two-{token}", f"echo three-{token}"]

    def executed(recipe: str) -> list[str]:
        build = pipeline.wait(pipeline.submit(team, recipe))
        assert build.state is BuildState.SUCCEEDED, build.error_message
        return [s.step_id for s in pipeline.steps(build.id) if s.step_id and not s.cached]

    first = executed(busybox_recipe(pipeline.settings, *scripts))
    assert first == ["1-build-step-0", "1-build-step-1", "1-build-step-2"]
    assert executed(busybox_recipe(pipeline.settings, *scripts)) == []
    changed = [scripts[0], f"echo TWO-{token}", scripts[2]]
    assert executed(busybox_recipe(pipeline.settings, *changed)) == [
        "1-build-step-1", "1-build-step-2"]


def test_after_the_daemon_lost_all_its_cache_a_rebuild_is_all_cached_from_the_registry(
        pipeline):
    token = uuid.uuid4().hex[:8]
    team = pipeline.team()
    recipe = busybox_recipe(pipeline.settings, f"echo one-{token} > /one",
                            f"cat /one > /two # {token}")
    first = pipeline.wait(pipeline.submit(team, recipe))
    assert first.state is BuildState.SUCCEEDED, first.error_message
    assert [s.step_id for s in pipeline.steps(first.id) if s.step_id and not s.cached] == [
        "1-build-step-0", "1-build-step-1"]

    # A new build host, or one that collected its cache (other tests' cache goes too:
    # only this test prunes everything).
    with buildkit.connect(pipeline.settings.buildkit_addr) as client:
        client.prune(all_cache=True)
    again = pipeline.wait(pipeline.submit(team, recipe))

    assert again.state is BuildState.SUCCEEDED, again.error_message
    steps = [s for s in pipeline.steps(again.id) if s.step_id]
    assert [s.step_id for s in steps] == ["1-build-step-0", "1-build-step-1"]
    assert all(s.cached for s in steps), [(s.step_id, s.cached) for s in steps]
    # From the cache the first build exported: inline in :latest on Docker 20.10,
    # the registry cache of every step on buildkitd.
    source = (first.image_ref.rsplit(":", 1)[0] + ":latest"
              if pipeline.settings.engine_is_docker else first.cache_ref)
    assert f"importing cache manifest from {source}" in pipeline.log_text(again.id)


def test_log_is_replayable_from_the_archive_after_the_stream_expires(pipeline):
    token = uuid.uuid4().hex[:8]
    build_id = pipeline.submit(pipeline.team(), busybox_recipe(pipeline.settings,
                                                               f"echo archived-{token}"))
    assert pipeline.wait(build_id).state is BuildState.SUCCEEDED
    assert pipeline.archived(build_id)
    live = list(pipeline.services.bus.read(build_id))
    bus = pipeline.services.bus
    bus.redis.delete(bus.stream_key(build_id), bus.meta_key(build_id))

    archived = list(bus.read(build_id))

    assert [e.seq for e in archived] == [e.seq for e in live] == list(range(1, len(live) + 1))
    assert archived[-1].kind == "end" and archived[-1].text == "succeeded"
    assert f"archived-{token}" in pipeline.log_text(build_id)
    # Following from the middle replays the rest from the archive, then stops at the end.
    assert [e.seq for e in bus.follow(build_id, from_seq=5)] == list(range(5, len(live) + 1))
