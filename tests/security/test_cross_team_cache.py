"""The build cache is no channel between teams, nor a way around a secret's rotation.

Team A builds a recipe whose step copies a secret into the image.  Team B, with its
own value under the same name, builds A's exact YAML: before the fix every step came
back CACHED from A's build and B's image held A's value.  Then A deletes the secret
and makes it again (the store restarts at version 1): the step that reads it must
rerun, and only that step.  Runs on both engines (scripts/run-tests' two passes).
"""

from __future__ import annotations

import secrets
import uuid

from core.db import BuildState
from core.teamsecrets import delete_secret
from tests.conftest import pushed_image_bytes
from tests.tasks.harness import BUSYBOX_RECIPE, command_step, secret_ref


def recipe(settings, token: str) -> str:
    steps = (command_step(f"echo plain {token} > /plain")
             + command_step('printf %s "$CANARY" > /canary', env={"CANARY": secret_ref("CANARY")})
             + command_step(f"echo after {token} > /after"))
    return BUSYBOX_RECIPE.format(registry=settings.registry, steps=steps)


def build(pipeline, team, yaml: str):
    build_id = pipeline.submit(team, yaml)
    record = pipeline.wait(build_id, timeout=600)
    assert record.state is BuildState.SUCCEEDED, record.error_message
    steps = [s for s in pipeline.steps(build_id) if s.step_id]
    assert len(steps) == 3, [(s.step_id, s.cached) for s in pipeline.steps(build_id)]
    return record, {s.step_id: s.cached for s in steps}


def test_teams_share_no_exec_cache_and_a_recreated_secret_reruns_its_step(pipeline):
    token = uuid.uuid4().hex[:8]
    yaml = recipe(pipeline.settings, token)
    value_a = f"canary-a-{secrets.token_hex(12)}"
    value_b = f"canary-b-{secrets.token_hex(12)}"
    team_a, team_b = pipeline.team(), pipeline.team()
    pipeline.put_secret(team_a, "CANARY", value_a)
    pipeline.put_secret(team_b, "CANARY", value_b)

    built_a, cached_a = build(pipeline, team_a, yaml)
    assert not any(cached_a.values())
    again_a, cached_again = build(pipeline, team_a, yaml)
    assert all(cached_again.values()), "the same team's rebuild must come from cache"

    built_b, cached_b = build(pipeline, team_b, yaml)
    assert not any(cached_b.values()), f"team B got team A's cache records: {cached_b}"
    image_b = pushed_image_bytes(pipeline.settings, built_b.image_ref)
    assert value_b.encode() in image_b
    assert value_a.encode() not in image_b
    assert value_a not in pipeline.log_text(built_b.id)

    # Delete and make again: the store's version is 1 again, the value is new.
    with pipeline.services.sessions() as session:
        assert delete_secret(session, pipeline.services.secret_store, team_a.id, "CANARY")
        session.commit()
    value_a2 = f"canary-a2-{secrets.token_hex(12)}"
    assert pipeline.put_secret(team_a, "CANARY", value_a2) == 1
    rebuilt_a, cached_rebuilt = build(pipeline, team_a, yaml)
    assert [step for step, cached in sorted(cached_rebuilt.items()) if not cached] == [
        "1-build-step-1", "1-build-step-2"], cached_rebuilt
    image_a = pushed_image_bytes(pipeline.settings, rebuilt_a.image_ref)
    assert value_a2.encode() in image_a and value_a.encode() not in image_a
