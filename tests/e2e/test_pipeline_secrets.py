"""Secrets through the whole pipeline: served at solve time, versioned in the cache
key, and found nowhere afterwards (Redis, broker, database, archive, image)."""

from __future__ import annotations

import base64
import gzip
import secrets
import time
import uuid
from pathlib import Path

from core.db import BuildState
from core.teamsecrets import delete_secret
from stack.layout import Layout
from stack.vault_server import audit_log
from tests.conftest import pushed_image_bytes
from tests.tasks.harness import BUSYBOX_RECIPE, command_step, secret_ref


def secret_recipe(settings, token: str) -> str:
    steps = (command_step(f"echo plain {token} > /tmp/plain")
             + command_step(f'test -n "$CANARY" && echo "canary length ${{#CANARY}} {token}"',
                            env={"CANARY": secret_ref("CANARY")}))
    return BUSYBOX_RECIPE.format(registry=settings.registry, steps=steps)


def executed(pipeline, build_id: str) -> list[str]:
    return [s.step_id for s in pipeline.steps(build_id) if s.step_id and not s.cached]


def redis_values(redis) -> bytes:
    """Every key and value in the pipeline's Redis database, broker queues included."""
    chunks = []
    for key in redis.scan_iter(count=1000):
        chunks.append(key)
        kind = redis.type(key)
        if kind == b"string":
            chunks.append(redis.get(key) or b"")
        elif kind == b"list":
            chunks += redis.lrange(key, 0, -1)
        elif kind == b"hash":
            for field, value in redis.hgetall(key).items():
                chunks += [field, value]
        elif kind == b"set":
            chunks += list(redis.smembers(key))
        elif kind == b"zset":
            chunks += [m for m, _ in redis.zrange(key, 0, -1, withscores=True)]
        elif kind == b"stream":
            for _, fields in redis.xrange(key):
                chunks += list(fields.values())
    return b"\n".join(chunks)


def database_bytes(database_url: str) -> bytes:
    path = Path(database_url.removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def archive_bytes(root: Path) -> bytes:
    return b"".join(gzip.decompress(p.read_bytes()) for p in root.rglob("*.gz"))


def test_secret_is_served_then_rotation_rebuilds_only_its_step_and_nothing_leaks(
        pipeline):
    token = uuid.uuid4().hex[:8]
    canary_v1 = f"canary-{secrets.token_hex(12)}"
    canary_v2 = f"canary-{secrets.token_hex(12)}"
    team = pipeline.team()
    pipeline.put_secret(team, "CANARY", canary_v1)
    recipe = secret_recipe(pipeline.settings, token)

    first = pipeline.wait(pipeline.submit(team, recipe))
    assert first.state is BuildState.SUCCEEDED, first.error_message
    assert executed(pipeline, first.id) == ["1-build-step-0", "1-build-step-1"]
    text = pipeline.log_text(first.id)
    assert f"canary length {len(canary_v1)} {token}" in text
    assert "1 secrets fetched." in text

    again = pipeline.wait(pipeline.submit(team, recipe))
    assert executed(pipeline, again.id) == []

    pipeline.put_secret(team, "CANARY", canary_v2)
    rotated = pipeline.wait(pipeline.submit(team, recipe))
    assert rotated.state is BuildState.SUCCEEDED, rotated.error_message
    assert executed(pipeline, rotated.id) == ["1-build-step-1"]
    # "<store version>.<generation>": the version the build read, and which incarnation.
    assert rotated.pinned_inputs["secrets"]["CANARY"].split(".")[0] == "2"
    assert (rotated.pinned_inputs["secrets"]["CANARY"].split(".")[1]
            == first.pinned_inputs["secrets"]["CANARY"].split(".")[1])

    image = b"".join(pushed_image_bytes(pipeline.settings, b.image_ref)
                     for b in (first, rotated))
    places = {
        "redis and broker": redis_values(pipeline.services.redis),
        "database": database_bytes(pipeline.settings.database_url),
        "archived logs": archive_bytes(pipeline.settings.archive_dir),
        "image layers, config and history": image,
    }
    if pipeline.settings.vault_addr:
        # OpenBao's audit log records every read and write of these secrets, with
        # HMACs of the values (its default), never a value.
        audit = audit_log(Layout(pipeline.settings)).read_bytes()
        assert b"hmac-sha256:" in audit
        places["OpenBao's audit log"] = audit
    assert all(len(data) > 1000 for data in places.values())
    for canary in (canary_v1, canary_v2):
        needles = [canary.encode(), base64.b64encode(canary.encode())]
        for where, data in places.items():
            assert not any(n in data for n in needles), f"secret value found in {where}"


def two_secret_steps(token: str) -> str:
    return "".join(command_step(f'test -n "${name}" && echo {name.lower()} {token}',
                                env={name: secret_ref(name)}) for name in ("FIRST", "SECOND"))


def test_changing_one_of_two_secrets_reruns_only_the_steps_that_read_it(pipeline):
    token = uuid.uuid4().hex[:8]
    team = pipeline.team()
    pipeline.put_secret(team, "FIRST", f"first-{secrets.token_hex(8)}")
    pipeline.put_secret(team, "SECOND", f"second-{secrets.token_hex(8)}")
    recipe = BUSYBOX_RECIPE.format(registry=pipeline.settings.registry,
                                   steps=two_secret_steps(token))
    first = pipeline.wait(pipeline.submit(team, recipe))
    assert first.state is BuildState.SUCCEEDED, first.error_message
    assert executed(pipeline, first.id) == ["1-build-step-0", "1-build-step-1"]

    pipeline.put_secret(team, "SECOND", f"second-{secrets.token_hex(8)}")
    again = pipeline.wait(pipeline.submit(team, recipe))
    assert again.state is BuildState.SUCCEEDED, again.error_message
    assert executed(pipeline, again.id) == ["1-build-step-1"]


def test_a_pinned_version_deleted_before_the_build_runs_fails_it_with_a_reason(pipeline):
    token = uuid.uuid4().hex[:8]
    team = pipeline.team()
    pipeline.put_secret(team, "CANARY", f"canary-{secrets.token_hex(8)}")
    pipeline.kill_worker("buildqd")  # compile now, build later
    try:
        build_id = pipeline.submit(team, secret_recipe(pipeline.settings, token))
        deadline = time.monotonic() + 120
        while "compiled" not in (pipeline.build(build_id).pinned_inputs or {}):
            assert time.monotonic() < deadline, "the compile stage never stored the plan"
            time.sleep(0.2)
        with pipeline.services.sessions() as session:
            assert delete_secret(session, pipeline.services.secret_store, team.id, "CANARY")
            session.commit()
    finally:
        pipeline.start_worker("buildqd", concurrency=2)
    build = pipeline.wait(build_id)
    assert build.state is BuildState.FAILED
    assert "CANARY" in (build.error_message or ""), build.error_message
