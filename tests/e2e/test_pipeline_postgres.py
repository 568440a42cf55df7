"""The pipeline on PostgreSQL: workers and the API side share a real database schema."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from core.db import BuildState, make_engine
from core.health import database_check
from tests.conftest import need
from tests.tasks.harness import busybox_recipe, ensure_dzlaunch_image, make_pipeline


@pytest.fixture(scope="module")
def pg_pipeline(settings, redis_url, build_engine, tmp_path_factory):
    postgres = settings.postgres_url
    need(database_check(postgres).ok, "PostgreSQL is not answering at RB_POSTGRES_URL")
    ensure_dzlaunch_image(settings)
    schema = f"rb_pipeline_{uuid.uuid4().hex[:10]}"
    admin = make_engine(postgres)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{postgres}?options=-csearch_path%3D{schema}"
    pipe = make_pipeline(settings, tmp_path_factory.mktemp("pg-pipeline"), database_url=url)
    pipe.start_worker("compile")
    pipe.start_worker("buildqd")
    try:
        yield pipe
    finally:
        pipe.stop()
        pipe.services.engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_build_succeeds_with_records_in_postgresql(pg_pipeline):
    token = uuid.uuid4().hex[:8]
    build_id = pg_pipeline.submit(pg_pipeline.team(),
                                  busybox_recipe(pg_pipeline.settings, f"echo pg-{token}"))
    build = pg_pipeline.wait(build_id)

    assert build.state is BuildState.SUCCEEDED, build.error_message
    with pg_pipeline.services.engine.connect() as conn:
        assert conn.execute(text("SELECT current_schema()")).scalar().startswith("rb_pipeline_")
        rows = conn.execute(text("SELECT step_id, exit_status FROM build_steps "
                                 "WHERE build_id = :b AND step_id IS NOT NULL"),
                            {"b": build_id}).all()
    assert rows == [("1-build-step-0", 0)]
    assert f"pg-{token}" in pg_pipeline.log_text(build_id)
